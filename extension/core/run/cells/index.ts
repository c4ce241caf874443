// The handler for each cell kind.
import { runAnalyze } from './analyze';
import type { CellHandler } from './context';
import { runDataset } from './dataset';
import { runExport } from './export';
import { runModel } from './model';
import { runPreview } from './preview';
import { runSlider } from './slider';
import { runBias, runTarget } from './train';

const HANDLERS: Record<string, CellHandler> = {
  model: runModel,
  dataset: runDataset,
  analyze: runAnalyze,
  bias: runBias,
  target: runTarget,
  slider: runSlider,
  preview: runPreview,
  export: runExport,
};

export function handlerFor(kind: string): CellHandler {
  const h = HANDLERS[kind];
  if (!h) throw Object.assign(new Error(`no way to run a \`${kind}\` cell`), { code: 'E_CELL' });
  return h;
}
