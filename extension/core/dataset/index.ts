// The dataset module's public face, used by the cell runner and the CLI. See README.md in this folder for
// the report shapes, the checks and the thresholds. Nothing here loads sharp or onnxruntime-node until a
// function that needs it is called.
export { analyzeTags, type AnalyzeOptions, type AnalyzeReport } from './analyze';
export { THRESHOLDS, type Cooccurrence } from './cooccurrence';
export { scanDataset, MAX_ASPECT } from './dataset';
export { datasetFingerprint } from './fingerprint';
export { analyzeMarkdown, datasetMarkdown } from './markdown';
export { NEAR_COLOUR, NEAR_DISTANCE } from './phash';
export { normalizeTag, splitCaption } from './tags';
export { TaggerError, type TagCategory } from './tagger/labels';
export { openTagger, tagImages, type TagImagesOptions, type TaggerOptions, type TagResult, type Tagger } from './tagger/run';
export type * from './types';
