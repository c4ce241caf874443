// The shapes of what the dataset module returns. Everything here is plain JSON (no Maps, no Buffers), so a
// report can be cached, sent to the renderer and printed by `lorabias run --json` as it is.

/** How bad a problem is. `error`: the file cannot be trained on. `warning`: it can, but probably should not
 * be as it is. `info`: worth knowing, nothing to fix. */
export type Severity = 'error' | 'warning' | 'info';

/** One thing wrong with one file. `file` is relative to the recipe folder (POSIX separators). */
export interface DatasetProblem {
  file: string;
  code: ProblemCode;
  severity: Severity;
  /** What is wrong and what to do about it, in one or two sentences. */
  message: string;
}

export type ProblemCode =
  | 'missing-folder' | 'empty-folder' | 'symlink-loop' | 'symlink-outside' | 'unreadable' | 'not-a-file'
  | 'empty-file' | 'not-an-image' | 'unsupported-format' | 'truncated' | 'too-large' | 'colour-space' | 'converted' | 'wrong-extension'
  | 'too-small' | 'aspect-ratio' | 'alpha' | 'orientation' | 'animated'
  | 'duplicate' | 'near-duplicate'
  | 'missing-caption' | 'orphan-caption' | 'shared-caption' | 'empty-caption'
  | 'caption-bom' | 'caption-encoding' | 'caption-nul'
  | 'ignored-file'
  | 'metadata-unreadable' | 'metadata-line' | 'metadata-missing-file'
  | 'tagger';

export interface DatasetImage {
  /** Image path relative to the recipe folder. */
  path: string;
  width: number;
  height: number;
  /** File size in bytes. */
  bytes: number;
  /** sharp's format name: png, jpeg, webp, gif, avif, tiff… */
  format: string;
  /** The caption text as read (BOM removed, decoded), when there is one. */
  caption?: string;
  /** Where the caption came from: a caption file (relative path), or the metadata file. */
  captionFile?: string;
  /** `tags`: comma-separated tags; `prose`: a sentence (its `tags` are then empty). */
  captionKind?: 'tags' | 'prose';
  /** Tags used for analysis: the caption's tags; where the caption has none (missing, empty, prose), the tagger's. Normalised (see tags.ts). */
  tags: string[];
  /** Tags the tagger predicted (general and character tags above their thresholds), when a tagger ran. */
  predicted?: string[];
  /** How often the image is seen per epoch: the `N_` prefix of its folder, else the spec's `repeats`. */
  repeats: number;
  hasAlpha: boolean;
  /** 64-bit perceptual hash, 16 hex digits. */
  phash: string;
}

export interface DatasetCounts {
  /** Image files found (by extension), readable or not. */
  files: number;
  /** Images that decoded completely. */
  images: number;
  /** Sum of repeats over readable images: the images seen per epoch. */
  imagesPerEpoch: number;
  captioned: number;
  uncaptioned: number;
  captionsAsTags: number;
  captionsAsProse: number;
  orphanCaptions: number;
  /** Distinct tags over all images. */
  distinctTags: number;
  /** Groups of exact duplicates, and of near duplicates. */
  duplicateGroups: number;
  nearDuplicateGroups: number;
  /** Problems by severity. */
  errors: number;
  warnings: number;
  infos: number;
  /** Problems by code. */
  byCode: Partial<Record<ProblemCode, number>>;
}

/** A bucket of kohya's aspect-ratio bucketing (sd-scripts `make_bucket_resolutions` / `select_bucket`). */
export interface Bucket {
  family: 'sd15' | 'sdxl';
  width: number;
  height: number;
  /** Readable images assigned to this bucket. */
  count: number;
  /** The same weighted by repeats. */
  perEpoch: number;
}

export interface DuplicateGroup {
  kind: 'exact' | 'near';
  /** Paths relative to the recipe folder; the first is kept, the others are reported as problems. */
  files: string[];
  /** Largest perceptual-hash Hamming distance (0…64) from the first file; 0 for exact duplicates. */
  distance: number;
}

export interface Thumbnail {
  path: string;
  width: number;
  height: number;
  /** An absolute path to a small WebP file in `opts.cacheDir`, when one was given. */
  file?: string;
  /** Otherwise a `data:image/webp;base64,…` URI (a few KB each). */
  dataUri?: string;
}

export interface DatasetReport {
  /** The folders scanned (relative to the recipe) and the metadata file, if any. */
  sources: string[];
  images: DatasetImage[];
  counts: DatasetCounts;
  problems: DatasetProblem[];
  buckets: Bucket[];
  duplicates: DuplicateGroup[];
  thumbnails?: Thumbnail[];
  /** Present when a tagger ran: which execution provider it used, and the caption files it wrote. */
  tagger?: { provider: 'cuda' | 'cpu'; model: string; written: string[]; backups: string[] };
}

export interface DatasetSpec {
  images?: string | string[];
  metadata?: string;
  caption_extension?: '.txt' | '.caption';
  repeats?: number;
  min_size?: number;
  tagger?: TaggerSpec;
}

export interface TaggerSpec {
  model: string;
  general_threshold?: number;
  character_threshold?: number;
  write_captions?: 'never' | 'missing' | 'overwrite';
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called once per image read (`phase` 'read'), then, with a tagger, once per batch tagged ('tag'). */
  onProgress?: (done: number, total: number, phase?: 'read' | 'tag') => void;
  /** A folder the scan may write thumbnails into (created if missing). Without it thumbnails are data URIs. */
  cacheDir?: string;
  /** How many thumbnails to make for the strip. Default 24; 0 for none. */
  thumbnails?: number;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
  /** Where the tagger runs: the `lorabias.device` setting (`auto`, `cpu`, `cuda`, `cuda:N`). Default `auto`:
   * CUDA when onnxruntime's CUDA provider loads, else CPU. */
  device?: string;
}
