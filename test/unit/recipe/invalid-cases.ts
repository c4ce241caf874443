// Invalid recipes, each with the exact problem expected: [line, col] (1-based, in the file), code and message.
// Only the problem with the expected code is asserted (other true problems of a short case are allowed).
// Files named here exist in the test's temporary folder: data/ (a folder) and models/base.safetensors.
export interface InvalidCase {
  name: string;
  text: string;
  expect: { line: number; col: number; severity?: 'error' | 'warning'; code: string; message: string; fix?: string };
}

const M = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\n';
const D = 'dataset:\n  name: data\n  images: data\n---\n';
const MD = M + D;
const S = 'slider:\n  name: s\n  model: base\n  target: circle\n';

export const INVALID_CASES: InvalidCase[] = [
  { name: 'misspelt cell kind', text: 'modle:\n  name: base\n', expect: { line: 1, col: 1, code: 'unknown-kind', message: 'unknown cell kind `modle`; did you mean `model`?', fix: 'model' } },
  { name: 'unknown kind far from any', text: 'training:\n  steps: 3\n', expect: { line: 1, col: 1, code: 'unknown-kind', message: 'unknown cell kind `training`; use one of: markdown, model, dataset, analyze, bias, target, slider, preview, export' } },
  { name: 'misspelt key', text: 'model:\n  name: base\n  checkpint: builtin:tiny-shapes\n', expect: { line: 3, col: 3, code: 'unknown-key', message: 'unknown key `checkpint` in a `model` cell; did you mean `checkpoint`?', fix: 'checkpoint' } },
  { name: 'key from another cell kind', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  over: [x]\n', expect: { line: 13, col: 3, code: 'unknown-key', message: 'unknown key `over` in a `bias` cell; expected one of: name, model, dataset, file, lock, weight, rank, alpha, conv_rank, steps, lr, scheduler, warmup_steps, batch_size, resolution, seed, mixed_precision, gradient_checkpointing, train_text_encoder, min_snr_gamma, noise_offset, checkpoint_every, until' } },
  { name: 'missing required key', text: M + 'bias:\n  model: base\n  dataset: x\n', expect: { line: 5, col: 1, code: 'missing-key', message: 'a `bias` cell needs `name:`' } },
  { name: 'text where a number goes', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  rank: sixteen\n', expect: { line: 13, col: 9, code: 'wrong-type', message: '`rank` must be a whole number, not text' } },
  { name: 'rank zero', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  rank: 0\n', expect: { line: 13, col: 9, code: 'out-of-range', message: '`rank` must be at least 1 (got 0)' } },
  { name: 'rank too large', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  rank: 4096\n', expect: { line: 13, col: 9, code: 'out-of-range', message: '`rank` must be at most 1024 (got 4096)' } },
  { name: 'fractional steps', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  steps: 1.5\n', expect: { line: 13, col: 10, code: 'wrong-type', message: '`steps` must be a whole number, not a number' } },
  { name: 'zero learning rate', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  lr: 0\n', expect: { line: 13, col: 7, code: 'out-of-range', message: '`lr` must be more than 0 (got 0)' } },
  { name: 'misspelt enum value', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  lock: evrything\n', expect: { line: 13, col: 9, code: 'bad-value', message: '`lock` must be one of: everything, style (not "evrything"); did you mean `everything`?', fix: 'everything' } },
  { name: 'fidelity above 1', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  until: { fidelity: 1.5 }\n', expect: { line: 13, col: 22, code: 'out-of-range', message: '`until.fidelity` must be at most 1 (got 1.5)' } },
  { name: 'weight out of range', text: 'preview:\n  lora: t\n  prompts: [a]\n  weights: [0, 6]\n', expect: { line: 4, col: 16, code: 'out-of-range', message: '`weights[1]` must be at most 5 (got 6)' } },
  { name: 'prompts as text, not a list', text: 'preview:\n  lora: t\n  prompts: a girl\n', expect: { line: 3, col: 12, code: 'wrong-type', message: '`prompts` must be a list, not text' } },
  { name: 'empty prompt list', text: 'preview:\n  lora: t\n  prompts: []\n', expect: { line: 3, col: 12, code: 'too-few', message: '`prompts` needs at least 1 entry' } },
  { name: 'negative seed', text: 'preview:\n  lora: t\n  prompts: [a]\n  seeds: [3, -1]\n', expect: { line: 4, col: 14, code: 'out-of-range', message: '`seeds[1]` must be at least 0 (got -1)' } },
  { name: 'resolution not a multiple of 8', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  resolution: 500\n', expect: { line: 13, col: 15, code: 'out-of-range', message: '`resolution` must be a multiple of 8 (got 500)' } },
  { name: 'name with a space', text: 'model:\n  name: my model\n  checkpoint: builtin:tiny-shapes\n', expect: { line: 2, col: 9, code: 'bad-value', message: '`name` "my model" is not a usable name: use letters, digits, `_`, `-` and `.`, starting with a letter or digit' } },
  { name: 'export to a non-safetensors file', text: 'export:\n  lora: t\n  to: out/x.ckpt\n', expect: { line: 3, col: 7, code: 'bad-value', message: '`to` must be a `.safetensors` file (got "out/x.ckpt")' } },
  { name: 'duplicate cell name', text: M + 'dataset:\n  name: base\n  images: data\n', expect: { line: 6, col: 9, code: 'duplicate-name', message: 'the name `base` is already used by the model cell 1: names must be unique' } },
  { name: 'misspelt reference', text: MD + 'bias:\n  name: c\n  model: bsae\n  dataset: data\n', expect: { line: 11, col: 10, code: 'unknown-ref', message: 'no model cell is named `bsae`; did you mean `base`?', fix: 'base' } },
  { name: 'reference to nothing like it', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: photos\n', expect: { line: 12, col: 12, code: 'unknown-ref', message: 'no dataset cell is named `photos`; earlier dataset cells: data' } },
  { name: 'reference with no candidates', text: M + 'analyze:\n  dataset: pics\n  concept: x\n', expect: { line: 6, col: 12, code: 'unknown-ref', message: 'no dataset cell is named `pics`; add a dataset cell named `pics` above this one' } },
  { name: 'reference to a later cell', text: M + 'analyze:\n  dataset: data\n  concept: x\n---\n' + D, expect: { line: 6, col: 12, code: 'later-ref', message: '`data` is defined below, in cell 3: cells can only use cells above them, so move this cell after it' } },
  { name: 'over: names a dataset', text: MD + 'target:\n  name: t\n  over: [data]\n  dataset: data\n', expect: { line: 11, col: 10, code: 'wrong-kind-ref', message: '`data` is a dataset cell, but a bias cell is needed here' } },
  { name: 'preview of itself', text: 'preview:\n  name: p\n  lora: p\n  prompts: [a]\n', expect: { line: 3, col: 9, code: 'self-ref', message: 'a cell cannot use itself (`p`)' } },
  { name: 'misspelt key in an over: item', text: MD + 'target:\n  name: t\n  dataset: data\n  model: base\n  over:\n    - bais: c\n', expect: { line: 14, col: 7, code: 'unknown-key', message: 'unknown key `bais` in `over[0]`; did you mean `bias`?', fix: 'bias' } },
  { name: 'missing dataset folder', text: 'dataset:\n  name: d\n  images: pictures/originals\n', expect: { line: 3, col: 11, code: 'missing-path', message: '`pictures/originals` does not exist (looked for TMP/pictures/originals); paths are relative to the recipe\'s folder' } },
  { name: 'missing checkpoint file', text: 'model:\n  name: m\n  checkpoint: models/sdxl.safetensors\n', expect: { line: 3, col: 15, code: 'missing-path', message: '`models/sdxl.safetensors` does not exist (looked for TMP/models/sdxl.safetensors); paths are relative to the recipe\'s folder' } },
  { name: 'pickle checkpoint', text: 'model:\n  name: m\n  checkpoint: models/base.ckpt\n', expect: { line: 3, col: 15, code: 'pickle', message: '`base.ckpt` is a pickle checkpoint, which can run code when loaded: convert it to .safetensors, or set `allow_pickle: true` if you trust it' } },
  { name: 'unknown built-in model', text: 'model:\n  name: m\n  checkpoint: builtin:tiny-shape\n', expect: { line: 3, col: 15, code: 'unknown-builtin', message: 'unknown built-in model `builtin:tiny-shape`; the built-in models are: builtin:tiny-shapes', fix: 'builtin:tiny-shapes' } },
  { name: 'analyze with two sources', text: D + 'analyze:\n  dataset: data\n  tags: data\n  concept: x\n', expect: { line: 5, col: 1, code: 'analyze-source', message: 'an `analyze` cell needs exactly one of `dataset:` (a dataset cell) or `tags:` (a tag-list file)' } },
  { name: 'analyze with no source', text: 'analyze:\n  concept: x\n', expect: { line: 1, col: 1, code: 'analyze-source', message: 'an `analyze` cell needs exactly one of `dataset:` (a dataset cell) or `tags:` (a tag-list file)' } },
  { name: 'bias with nothing to learn from', text: M + 'bias:\n  name: c\n  model: base\n', expect: { line: 5, col: 1, code: 'bias-source', message: 'a `bias` cell needs exactly one of `dataset:` (to train it) or `file:` (an existing LoRA)' } },
  { name: 'target without a model', text: D + 'target:\n  name: t\n  dataset: data\n', expect: { line: 5, col: 1, code: 'target-model', message: 'a `target` cell needs `model:` when it has no `over:` biases' } },
  { name: 'tab indentation', text: 'model:\n\tname: base\n', expect: { line: 2, col: 1, code: 'yaml', message: 'tabs cannot indent YAML: indent with spaces' } },
  { name: 'duplicate key', text: 'model:\n  name: a\n  name: b\n', expect: { line: 3, col: 3, code: 'yaml', message: 'this key appears twice in the same mapping: keep one' } },
  { name: 'unclosed flow list', text: 'preview:\n  lora: t\n  prompts: [a, b\n', expect: { line: 3, col: 17, code: 'yaml', message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' } },
  { name: 'unclosed quote', text: 'model:\n  name: "base\n', expect: { line: 2, col: 14, code: 'yaml', message: 'YAML: Missing closing "quote' } },
  { name: 'a list instead of a cell', text: '- model\n- base\n', expect: { line: 1, col: 1, code: 'not-a-cell', message: 'a cell is a mapping with one key, its kind (markdown, model, dataset, analyze, bias, target, slider, preview, export), e.g. `model:`' } },
  { name: 'forgotten separator', text: 'model:\n  name: a\ndataset:\n  name: d\n', expect: { line: 3, col: 1, code: 'second-kind', message: 'a cell has one top-level key, its kind; `dataset` belongs inside `model:` (indent it) or in a new cell after a `---` line' } },
  { name: 'empty cell body', text: 'model:\n', expect: { line: 1, col: 1, code: 'empty-value', message: '`model` is empty: add its keys on the lines below, indented' } },
  { name: 'key with no value', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  rank:\n', expect: { line: 13, col: 3, code: 'empty-value', message: '`rank` is empty: give it a whole number' } },
  { name: 'alias bomb', text: 'preview:\n  lora: t\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n', expect: { line: 1, col: 1, code: 'alias-bomb', message: 'this cell expands too many YAML aliases (`*name`); write the values out instead' } },
  { name: 'content on the separator line', text: M + '--- dataset:\n  name: d\n', expect: { line: 6, col: 1, code: 'separator-content', message: 'text after `---` on the separator line is not supported: put the cell\'s content on the next line' } },
  { name: 'markdown that is not text', text: 'markdown: 5\n', expect: { line: 1, col: 11, code: 'wrong-type', message: '`markdown` must be text, not a whole number' } },
  { name: 'huge preview', text: 'preview:\n  lora: t\n  prompts: [a, b, c, d, e]\n  seeds: [1, 2, 3, 4, 5, 6, 7, 8]\n  weights: [-1, -0.5, 0, 0.5, 1]\n  compare: [u]\n', expect: { line: 1, col: 1, severity: 'warning', code: 'preview-size', message: 'this preview samples 400 images (weights × seeds × prompts × LoRAs); that can take long — fewer than 200 is usual' } },
  { name: 'metadata value that is a mapping', text: 'export:\n  lora: t\n  to: x.safetensors\n  metadata:\n    trigger: { a: 1 }\n', expect: { line: 5, col: 14, code: 'wrong-type', message: '`metadata.trigger` must be text or a number or `true` or `false`, not a mapping' } },
  { name: 'unknown precision', text: MD + 'bias:\n  name: c\n  model: base\n  dataset: data\n  mixed_precision: fp8\n', expect: { line: 13, col: 20, code: 'bad-value', message: '`mixed_precision` must be one of: no, fp16, bf16 (not "fp8")' } },
  { name: 'clip skip too large', text: 'model:\n  name: m\n  checkpoint: builtin:tiny-shapes\n  clip_skip: 13\n', expect: { line: 4, col: 14, code: 'out-of-range', message: '`clip_skip` must be at most 12 (got 13)' } },
  { name: 'empty image list', text: 'dataset:\n  name: d\n  images: []\n', expect: { line: 3, col: 11, code: 'too-few', message: '`images` needs at least 1 entry' } },
  { name: 'empty concept', text: D + 'analyze:\n  dataset: data\n  concept: ""\n', expect: { line: 7, col: 12, code: 'empty-value', message: '`concept` must not be empty' } },
  { name: 'plain text cell', text: M + 'hello there\n', expect: { line: 5, col: 1, code: 'not-a-cell', message: 'a cell is a mapping with one key, its kind (markdown, model, dataset, analyze, bias, target, slider, preview, export), e.g. `model:`' } },
{ name: 'slider without a model', text: 'slider:\n  name: s\n  target: circle\n  positive: large\n', expect: { line: 1, col: 1, code: 'target-model', message: 'a `slider` cell needs `model:` when it has no `over:` biases' } },
  { name: 'slider without a positive pole', text: M + S, expect: { line: 5, col: 1, code: 'missing-key', message: 'a `slider` cell needs `positive:`' } },
  { name: 'slider timesteps that are not a window', text: M + S + '  positive: large\n  timesteps: [800, 200]\n', expect: { line: 10, col: 14, code: 'slider-timesteps', message: '`timesteps: [800, 200]` is not a window: write [min, max] with min below max, e.g. [200, 1000]' } },
  { name: 'slider timestep above 1000', text: M + S + '  positive: large\n  timesteps: [0, 1200]\n', expect: { line: 10, col: 18, code: 'out-of-range', message: '`timesteps[1]` must be at most 1000 (got 1200)' } },
  { name: 'slider poles that are the same prompt', text: M + S + '  positive: large\n  negative: large\n', expect: { line: 10, col: 13, code: 'slider-poles', message: '`positive` and `negative` are the same prompt, so the slider has no direction: make them the two ends (e.g. `large, {target}` and `small, {target}`)' } },
  { name: 'slider prompt with a misspelt placeholder', text: M + S + '  positive: "large, {targt}"\n', expect: { line: 9, col: 13, severity: 'warning', code: 'slider-placeholder', message: '`{targt}` in `positive` is not replaced: the only placeholder is `{target}` (the target prompt)' } },
  { name: 'slider anchor with a misspelt key', text: M + S + '  positive: large\n  anchors:\n    - { prompt: red, strenght: 2 }\n', expect: { line: 11, col: 22, code: 'unknown-key', message: 'unknown key `strenght` in `anchors[0]`; did you mean `strength`?', fix: 'strength' } },
  { name: 'slider over: names a model', text: M + 'slider:\n  name: s\n  over: [base]\n  target: circle\n  positive: large\n', expect: { line: 7, col: 10, code: 'wrong-kind-ref', message: '`base` is a model cell, but a bias cell is needed here' } },
  { name: 'slider guidance of zero', text: M + S + '  positive: large\n  guidance: 0\n', expect: { line: 10, col: 13, code: 'out-of-range', message: '`guidance` must be more than 0 (got 0)' } },
];
