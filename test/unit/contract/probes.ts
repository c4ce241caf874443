// The probe of every recipe key: what to put in a cell, and where its effect must show. One entry per key path
// of recipe.schema.json (see schemaContract.test.ts for how the table is checked and how to add an entry).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constraintFailure } from '../../../extension/core/run/constraint';
import type { Ran } from './harness';
import { TINY_TAGGER } from './harness';

/** Where a key's effect shows. */
export type Observe =
  /** A field of an engine request (dotted path into params, as in test/contract/engine-requests.json). */
  | { request: string; field: string; expect?: (value: unknown, run: Ran) => boolean }
  /** The artifact a LoRA cell hands on (manifest `artifact`). */
  | { artifact: string; expect?: (value: unknown, run: Ran) => boolean }
  /** Something the cell wrote or reported (a file's content, a figure): must differ from the run without the key. */
  | { result: (run: Ran) => unknown }
  /** The cell's name: later cells and `--cell NAME` find the cell by it (checked through planRecipe). */
  | { name: true };

export interface Probe {
  /** Merged into both runs (the starting point); `undefined` removes a key of the base body. */
  base?: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
  /** Merged into the second run only: the key being probed. */
  set: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
  observe: Observe;
}

/** The body each kind's probes start from (it runs as is). */
export const BASE: Record<string, (dir: string) => Record<string, unknown>> = {
  model: () => ({ name: 'base', checkpoint: 'builtin:tiny-shapes' }),
  dataset: (dir) => ({ name: 'ds', images: path.join(dir, 'a') }),
  analyze: () => ({ dataset: 'ds', concept: 'circle' }),
  bias: () => ({ name: 'copier', model: 'base', dataset: 'ds' }),
  target: () => ({ name: 'slider', dataset: 'ds2', over: ['copier'] }),
  slider: () => ({ name: 'textslider', model: 'base', target: 'shape', positive: 'large {target}' }),
  preview: () => ({ lora: 'slider', prompts: ['a red disc'], weights: [0, 1], seeds: [1] }),
  export: () => ({ lora: 'slider', to: 'out/x.safetensors' }),
};

const req = (request: string, field: string, expect?: (v: unknown, run: Ran) => boolean): Observe => ({ request, field, expect });
const json = (run: Ran, file: string) => JSON.parse(fs.readFileSync(path.join(run.outDir, file), 'utf8'));
const imagesOf = (run: Ran) => json(run, 'images.json') as { path: string; caption?: string; repeats?: number }[];
const predicted = (run: Ran) => (json(run, 'report.json') as { images: { predicted?: string[] }[] }).images.map((i) => i.predicted);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Training keys shared by bias and target: each reaches the train request under its own name. */
const TRAIN_VALUES: Record<string, unknown> = {
  rank: 8, alpha: 2, conv_rank: 2, conv_alpha: 1, steps: 7, lr: 0.002, scheduler: 'cosine', warmup_steps: 2, batch_size: 2,
  resolution: 64, seed: 9, mixed_precision: 'bf16', gradient_checkpointing: true, train_text_encoder: true, min_snr_gamma: 5,
  noise_offset: 0.05, checkpoint_every: 3,
};
const trainProbes = (kind: string): Record<string, Probe> => Object.fromEntries(Object.entries(TRAIN_VALUES).map(([k, v]) => [
  `${kind}.${k}`, { set: { [k]: v }, observe: req('train', k) },
]));

export const PROBES: Record<string, Probe> = {
  // ---- model: the load request (and every request that uses the model, which carries the same parameters)
  'model.name': { set: {}, observe: { name: true } },
  'model.checkpoint': { set: { checkpoint: 'models/other.safetensors' }, observe: req('load', 'checkpoint', (v, r) => v === path.join(r.recipeDir, 'models/other.safetensors')) },
  'model.family': { set: { family: 'tiny' }, observe: req('load', 'family') },
  'model.vae': { set: { vae: 'vae/ft-mse.safetensors' }, observe: req('load', 'vae', (v, r) => v === path.join(r.recipeDir, 'vae/ft-mse.safetensors')) },
  'model.dtype': { set: { dtype: 'bf16' }, observe: req('load', 'dtype', (v) => v === 'bfloat16') },
  'model.clip_skip': { set: { clip_skip: 2 }, observe: req('load', 'clip_skip') },
  'model.prediction_type': { set: { prediction_type: 'epsilon' }, observe: req('load', 'prediction_type') },
  'model.zero_terminal_snr': { base: { prediction_type: 'v_prediction' }, set: { zero_terminal_snr: true }, observe: req('load', 'zero_terminal_snr') },
  'model.allow_pickle': { set: { allow_pickle: true }, observe: req('load', 'allow_pickle') },

  // ---- dataset: the images.json / report.json the training and analyze cells read
  'dataset.name': { set: {}, observe: { name: true } },
  'dataset.images': { set: (dir) => ({ images: path.join(dir, 'b') }), observe: { result: (r) => imagesOf(r).map((i) => path.basename(i.path)) } },
  'dataset.metadata': { set: (dir) => ({ metadata: path.join(dir, 'meta.jsonl') }), observe: { result: (r) => imagesOf(r).map((i) => i.caption) } },
  'dataset.caption_extension': { set: { caption_extension: '.caption' }, observe: { result: (r) => imagesOf(r).map((i) => i.caption) } },
  'dataset.repeats': { set: { repeats: 3 }, observe: { result: (r) => imagesOf(r).map((i) => i.repeats) } },
  'dataset.min_size': { set: { min_size: 16 }, observe: { result: (r) => r.outcome.figures.warnings } },
  // images without captions (b/) train on the tagger's tags
  'dataset.tagger.model': { base: (dir) => ({ images: path.join(dir, 'b') }), set: { tagger: { model: TINY_TAGGER } }, observe: { result: (r) => imagesOf(r).map((i) => i.caption ?? null) } },
  'dataset.tagger.general_threshold': { base: { tagger: { model: TINY_TAGGER } }, set: { tagger: { model: TINY_TAGGER, general_threshold: 0.001 } }, observe: { result: predicted } },
  'dataset.tagger.character_threshold': { base: { tagger: { model: TINY_TAGGER } }, set: { tagger: { model: TINY_TAGGER, character_threshold: 0.001 } }, observe: { result: predicted } },
  'dataset.tagger.write_captions': {
    base: (dir) => ({ images: path.join(dir, 'b'), tagger: { model: TINY_TAGGER } }),
    set: { tagger: { model: TINY_TAGGER, write_captions: 'missing' } },
    observe: { result: (r) => fs.readdirSync(path.join(r.recipeDir, 'b')).filter((f) => f.endsWith('.txt')).sort() },
  },

  // ---- analyze: the analysis it writes
  'analyze.name': { set: {}, observe: { name: true } },
  'analyze.dataset': { base: { dataset: undefined, tags: 'posts.txt' }, set: { dataset: 'ds', tags: undefined }, observe: { result: (r) => r.outcome.figures.posts } },
  'analyze.tags': { set: { dataset: undefined, tags: 'posts.txt' }, observe: { result: (r) => r.outcome.figures.posts } },
  'analyze.concept': { set: { concept: 'red' }, observe: { result: (r) => r.outcome.figures.concept } },
  'analyze.top': { base: { dataset: undefined, tags: 'posts.txt', concept: 'red', min_count: 1 }, set: { top: 1 }, observe: { result: (r) => (r.outcome.figures.cooccurrence as unknown[]).length } },
  'analyze.min_count': { base: { dataset: undefined, tags: 'posts.txt', concept: 'red' }, set: { min_count: 1 }, observe: { result: (r) => (r.outcome.figures.cooccurrence as unknown[]).length } },

  // ---- bias: the train request, or (file:) the artifact itself
  'bias.name': { set: {}, observe: { name: true } },
  'bias.model': { set: { model: 'other' }, observe: req('train', 'checkpoint', (v, r) => v === path.join(r.recipeDir, 'other.safetensors')) },
  'bias.dataset': { set: { dataset: 'ds2' }, observe: req('train', 'images', (v, r) => same(v, ['x0', 'x1'].map((x) => path.join(r.recipeDir, 'a2', `${x}.png`)))) },
  'bias.file': { set: { dataset: undefined, file: 'existing.safetensors' }, observe: req('lora_info', 'path', (v, r) => v === path.join(r.recipeDir, 'existing.safetensors')
    && r.requests.every((q) => q.method === 'lora_info') && r.outcome.artifact?.lora === v) },
  // a policy of the run, not of the engine: a bias whose `until:` missed fails its dependants unless `continue`
  'bias.on_fail': { base: { until: { fidelity: 0.8 } }, set: { on_fail: 'continue' },
    observe: { result: (run) => constraintFailure({ kind: 'bias', name: 'copier', body: run.body }, run.outcome.figures as Record<string, unknown>) ?? 'may be used' } },
  'bias.weight': { set: { weight: -0.5 }, observe: { artifact: 'weight' } },
  ...trainProbes('bias'),
  'bias.until.fidelity': { set: { until: { fidelity: 0.8 } }, observe: req('train', 'until.fidelity') },
  'bias.until.every': { base: { until: { fidelity: 0.8 } }, set: { until: { fidelity: 0.8, every: 7 } }, observe: req('train', 'until.every') },
  'bias.until.prompts': { base: { until: { fidelity: 0.8 } }, set: { until: { fidelity: 0.8, prompts: ['a disc'] } }, observe: req('train', 'until.prompts') },
  'bias.until.seeds': { base: { until: { fidelity: 0.8 } }, set: { until: { fidelity: 0.8, seeds: [4, 5] } }, observe: req('train', 'until.seeds') },

  // ---- target: the train request
  'target.name': { set: {}, observe: { name: true } },
  'target.model': { set: { model: 'other' }, observe: req('train', 'checkpoint', (v, r) => v === path.join(r.recipeDir, 'other.safetensors')) },
  'target.dataset': { set: { dataset: 'ds' }, observe: req('train', 'images', (v, r) => same(v, ['x0', 'x1'].map((x) => path.join(r.recipeDir, 'a', `${x}.png`)))) },
  'target.over': { base: { over: undefined, model: 'base' }, set: { over: ['copier'] }, observe: req('train', 'over', (v) => same(v, [{ path: v && (v as { path: string }[])[0]?.path, weight: 1 }]) && String((v as { path: string }[])[0].path).endsWith(path.join('copier', 'lora.safetensors'))) },
  'target.over[].bias': { set: { over: [{ bias: 'copier2' }] }, observe: req('train', 'over', (v) => same((v as { weight: number }[]).map((o) => o.weight), [0.5]) && String((v as { path: string }[])[0].path).includes('copier2')) },
  'target.over[].weight': { set: { over: [{ bias: 'copier', weight: -0.5 }] }, observe: req('train', 'over', (v) => same((v as { weight: number }[]).map((o) => o.weight), [-0.5])) },
  ...trainProbes('target'),
  'target.scheme': { base: { from: 'ds', negative_over: ['copier'] }, set: { scheme: 'pair-difference' }, observe: req('train', 'scheme') },
  'target.from': { base: { scheme: 'pair-difference', from: 'ds2' }, set: { from: 'ds' }, observe: req('train', 'pair_images', (v, r) => same(v, ['x0', 'x1'].map((x) => path.join(r.recipeDir, 'a', `${x}.png`)))) },
  'target.negative_over': { base: { scheme: 'bipolar', from: 'ds', negative_over: ['copier'] }, set: { negative_over: ['copier2'] }, observe: req('train', 'negative_over', (v) => String((v as { path: string }[])[0]?.path).includes('copier2')) },
  'target.timesteps': { set: { timesteps: [200, 800] }, observe: req('train', 'timesteps') },

  // ---- slider: the slider request
  'slider.name': { set: {}, observe: { name: true } },
  'slider.model': { set: { model: 'other' }, observe: req('slider', 'checkpoint', (v, r) => v === path.join(r.recipeDir, 'other.safetensors')) },
  'slider.over': { set: { over: ['copier'] }, observe: req('slider', 'over', (v) => String((v as { path: string }[])[0]?.path).endsWith(path.join('copier', 'lora.safetensors'))) },
  'slider.over[].bias': { set: { over: [{ bias: 'copier2' }] }, observe: req('slider', 'over', (v) => same((v as { weight: number }[]).map((o) => o.weight), [0.5]) && String((v as { path: string }[])[0].path).includes('copier2')) },
  'slider.over[].weight': { set: { over: [{ bias: 'copier', weight: -0.5 }] }, observe: req('slider', 'over', (v) => same((v as { weight: number }[]).map((o) => o.weight), [-0.5])) },
  'slider.target': { set: { target: ['disc', 'square'] }, observe: req('slider', 'targets', (v) => same(v, ['disc', 'square'])) },
  'slider.positive': { set: { positive: 'huge {target}' }, observe: req('slider', 'positive') },
  'slider.negative': { set: { negative: 'tiny {target}' }, observe: req('slider', 'negative') },
  'slider.neutral': { set: { neutral: 'a {target}' }, observe: req('slider', 'neutral') },
  'slider.guidance': { set: { guidance: 2.5 }, observe: req('slider', 'guidance') },
  'slider.anchors': { set: { anchors: ['a red disc'] }, observe: req('slider', 'anchors', (v) => same(v, [{ prompt: 'a red disc', strength: 1 }])) },
  'slider.anchors[].prompt': { set: { anchors: [{ prompt: 'a blue disc' }] }, observe: req('slider', 'anchors', (v) => same(v, [{ prompt: 'a blue disc', strength: 1 }])) },
  'slider.anchors[].strength': { set: { anchors: [{ prompt: 'a blue disc', strength: 3 }] }, observe: req('slider', 'anchors', (v) => same(v, [{ prompt: 'a blue disc', strength: 3 }])) },
  'slider.timesteps': { set: { timesteps: [200, 800] }, observe: req('slider', 'timesteps') },
  'slider.denoise_steps': { set: { denoise_steps: 10 }, observe: req('slider', 'denoise_steps') },
  'slider.rank': { set: { rank: 8 }, observe: req('slider', 'rank') },
  'slider.alpha': { set: { alpha: 2 }, observe: req('slider', 'alpha') },
  'slider.conv_rank': { set: { conv_rank: 2 }, observe: req('slider', 'conv_rank') },
  'slider.conv_alpha': { set: { conv_rank: 2, conv_alpha: 1 }, observe: req('slider', 'conv_alpha') },
  'slider.steps': { set: { steps: 7 }, observe: req('slider', 'steps') },
  'slider.lr': { set: { lr: 0.002 }, observe: req('slider', 'lr') },
  'slider.scheduler': { set: { scheduler: 'cosine' }, observe: req('slider', 'scheduler') },
  'slider.warmup_steps': { set: { warmup_steps: 2 }, observe: req('slider', 'warmup_steps') },
  'slider.batch_size': { set: { batch_size: 2 }, observe: req('slider', 'batch_size') },
  'slider.resolution': { set: { resolution: 64 }, observe: req('slider', 'resolution') },
  'slider.seed': { set: { seed: 9 }, observe: req('slider', 'seed') },
  'slider.mixed_precision': { set: { mixed_precision: 'bf16' }, observe: req('slider', 'mixed_precision') },
  'slider.gradient_checkpointing': { set: { gradient_checkpointing: true }, observe: req('slider', 'gradient_checkpointing') },
  'slider.checkpoint_every': { set: { checkpoint_every: 3 }, observe: req('slider', 'checkpoint_every') },

  // ---- preview: the sample requests, and the leakage figures
  'preview.name': { set: {}, observe: { name: true } },
  'preview.lora': { set: { lora: 'naive' }, observe: req('sample', 'loras', (v) => String((v as { path: string }[])[0].path).includes(path.join('naive', 'lora.safetensors'))) },
  'preview.weights': { set: { weights: [0, -1, 1] }, observe: req('sample', 'weights') },
  'preview.prompts': { set: { prompts: ['a blue square', 'a red disc'] }, observe: req('sample', 'prompts') },
  'preview.negative_prompt': { set: { negative_prompt: 'blurry' }, observe: req('sample', 'negative_prompt') },
  'preview.seeds': { set: { seeds: [3, 4] }, observe: req('sample', 'seeds') },
  'preview.steps': { set: { steps: 6 }, observe: req('sample', 'steps') },
  'preview.cfg': { set: { cfg: 4.5 }, observe: req('sample', 'cfg') },
  'preview.sampler': { set: { sampler: 'euler_a' }, observe: req('sample', 'scheduler') },
  'preview.width': { set: { width: 48 }, observe: req('sample', 'width') },
  'preview.height': { set: { height: 40 }, observe: req('sample', 'height') },
  'preview.compare': { set: { compare: ['naive'] }, observe: req('sample', 'loras', (v) => String((v as { path: string }[])[0].path).includes('naive')) },
  'preview.mask': { set: { mask: 'mask-left.png' }, observe: { result: (r) => r.outcome.figures.leakage } },
  'preview.tagger.model': { set: { tagger: { model: TINY_TAGGER, concept: 'red' } }, observe: { result: (r) => r.outcome.figures.tagLeakage ?? null } },
  'preview.tagger.concept': { base: { tagger: { model: TINY_TAGGER, concept: 'red' } }, set: { tagger: { model: TINY_TAGGER, concept: 'blue theme' } }, observe: { result: (r) => r.outcome.figures.tagLeakage } },

  // ---- export: the export request
  'export.name': { set: {}, observe: { name: true } },
  'export.lora': { set: { lora: 'naive' }, observe: req('export', 'lora', (v) => String(v).includes(path.join('naive', 'lora.safetensors'))) },
  'export.to': { set: { to: 'elsewhere/y.safetensors' }, observe: req('export', 'to', (v, r) => v === path.join(r.recipeDir, 'elsewhere/y.safetensors')) },
  'export.dtype': { set: { dtype: 'bf16' }, observe: req('export', 'dtype') },
  'export.metadata': { set: { metadata: { trigger: 'zxq' } }, observe: req('export', 'metadata', (v) => (v as Record<string, unknown>).trigger === 'zxq') },
};
