// `bias` and `target` cells: train a LoRA in the engine. A target's biases are applied frozen with their
// multipliers while it trains (`over`), the way kohya's `--base_weights` does; they are not part of the result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CellContext, CellHandler, CellOutcome, engineRequest, fmt, modelParams } from './context';

const TRAIN_KEYS = ['rank', 'alpha', 'steps', 'lr', 'scheduler', 'warmup_steps', 'batch_size', 'resolution', 'seed', 'mixed_precision',
  'gradient_checkpointing', 'train_text_encoder', 'min_snr_gamma', 'noise_offset', 'checkpoint_every'] as const;

export interface DatasetImage {
  path: string;
  caption?: string;
  repeats?: number;
}

/** The training images of a dataset cell (absolute paths, captions, repeats), from its artifact. */
export function datasetImages(ctx: CellContext, name: string): DatasetImage[] {
  const u = ctx.upstream(name);
  const file = u.manifest.files.images;
  if (!file) throw Object.assign(new Error(`the dataset cell \`${name}\` lists no images`), { code: 'E_DATASET' });
  const images: DatasetImage[] = JSON.parse(fs.readFileSync(path.resolve(u.dir, file), 'utf8'));
  if (!images.length) throw Object.assign(new Error(`the dataset cell \`${name}\` has no usable images`), { code: 'E_DATASET' });
  return images;
}

function trainParams(ctx: CellContext, modelName: string, datasetName: string): Record<string, unknown> {
  const images = datasetImages(ctx, datasetName);
  const paths: string[] = [];
  const captions: string[] = [];
  for (const im of images) {
    for (let i = 0; i < Math.max(1, im.repeats ?? 1); i++) {
      paths.push(im.path);
      captions.push(im.caption ?? '');
    }
  }
  const b = ctx.cell.body;
  const params: Record<string, unknown> = { ...modelParams(ctx, modelName), images: paths, captions };
  for (const k of TRAIN_KEYS) if (b[k] !== undefined) params[k] = b[k];
  if (b.conv_rank) params.train_conv = true;
  fs.mkdirSync(ctx.workDir, { recursive: true });
  params.output = path.join(ctx.workDir, 'lora.safetensors');
  params.resume = true;
  return params;
}

async function train(ctx: CellContext, params: Record<string, unknown>, extra: Record<string, unknown>, lines: string[]): Promise<CellOutcome> {
  const r = await engineRequest(ctx, 'train', params);
  const out = path.join(ctx.outDir, 'lora.safetensors');
  fs.renameSync(String(r.path ?? params.output), out);
  fs.rmSync(ctx.workDir, { recursive: true, force: true });
  const losses = Array.isArray(r.losses) ? (r.losses as number[]) : [];
  const fidelity = r.fidelity as { value?: number; held?: boolean; target?: number } | undefined;
  const figures: Record<string, unknown> = { steps: r.steps_done, finalLoss: r.final_loss, trainSeconds: r.seconds, losses, ...extra };
  if (fidelity) figures.fidelity = fidelity;
  const md = [
    `**${ctx.cell.name}**: ${r.steps_done} steps, final loss ${fmt(r.final_loss)}, ${fmt(r.seconds)} s`,
    ...lines,
  ];
  if (fidelity && fidelity.value !== undefined) {
    const target = fidelity.target ?? (ctx.cell.body.until as Record<string, unknown> | undefined)?.fidelity;
    md.push(fidelity.held ? `fidelity **${fmt(fidelity.value)}** ≥ ${target}: the constraint holds`
      : `⚠ fidelity **${fmt(fidelity.value)}** did not reach ${target}: the bias does not hold — train longer, raise the rank or the learning rate`);
  }
  return { files: { lora: 'lora.safetensors' }, figures, display: { title: `${ctx.cell.kind} ${ctx.cell.name}`, markdown: md.join('\n\n'), data: { losses } } };
}

export const runBias: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  if (b.file) {
    const file = path.resolve(ctx.recipeDir, String(b.file));
    return { files: { lora: file }, figures: { source: 'file', weight: b.weight ?? 1 },
      display: { title: `bias ${ctx.cell.name}`, markdown: `**${ctx.cell.name}**: the existing LoRA \`${b.file}\`, applied at weight ${b.weight ?? 1}` } };
  }
  const params = trainParams(ctx, String(b.model), String(b.dataset));
  if (b.until) {
    const u = b.until as Record<string, unknown>;
    params.until = { fidelity: u.fidelity, ...(u.every ? { every: u.every } : {}), ...(u.prompts ? { prompts: u.prompts } : {}), ...(u.seeds ? { seeds: u.seeds } : {}) };
  }
  params.metadata = { lorabias_role: 'bias', lorabias_lock: b.lock ?? 'everything' };
  return train(ctx, params, { model: String(b.model), dataset: String(b.dataset), weight: b.weight ?? 1, lock: b.lock ?? 'everything' }, [`lock: \`${b.lock ?? 'everything'}\``]);
};

export const runTarget: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const over = ((b.over as unknown[]) ?? []).map((o) => (typeof o === 'string' ? { bias: o } : (o as { bias: string; weight?: number })));
  const biases = over.map((o) => {
    const u = ctx.upstream(o.bias);
    const weight = o.weight ?? (u.manifest.figures.weight as number | undefined) ?? 1;
    return { name: o.bias, path: u.manifest.files.lora, weight, model: (u.manifest.figures as Record<string, unknown>).model };
  });
  const modelName = b.model ? String(b.model) : modelOfBias(ctx, over[0].bias);
  const params = trainParams(ctx, modelName, String(b.dataset));
  params.over = biases.map((x) => ({ path: x.path, weight: x.weight }));
  const scheme = schemeParams(ctx, params);
  params.metadata = { lorabias_role: 'target', lorabias_over: biases.map((x) => ({ name: x.name, weight: x.weight })), ...(scheme.from ? { lorabias_scheme: String(b.scheme) } : {}) };
  const line = scheme.line ?? (biases.length ? `trained over ${biases.map((x) => `\`${x.name}\` × ${x.weight}`).join(', ')} (frozen, not part of the result)` : 'trained directly on the model (no bias)');
  return train(ctx, params, { model: modelName, dataset: String(b.dataset), over: biases.map((x) => ({ name: x.name, weight: x.weight, lora: x.path })),
    ...(scheme.from ? { scheme: b.scheme, from: scheme.from } : {}) }, [line]);
};

/** `scheme:`, `from:`, `negative_over:`, `timesteps:` of a target cell → the engine's train parameters. */
function schemeParams(ctx: CellContext, params: Record<string, unknown>): { from?: string; line?: string } {
  const b = ctx.cell.body;
  if (b.timesteps) params.timesteps = b.timesteps;
  const scheme = (b.scheme as string | undefined) ?? 'over-copier';
  if (scheme === 'over-copier') return {};
  if (!b.from) throw Object.assign(new Error(`\`scheme: ${scheme}\` needs \`from:\`, the dataset cell of the original pictures (A) that \`${b.dataset}\` edits`), { code: 'E_CELL' });
  const originals = new Map(datasetImages(ctx, String(b.from)).map((im) => [path.basename(im.path), im]));
  const pairs = (params.images as string[]).map((p) => {
    const a = originals.get(path.basename(p));
    if (!a) throw Object.assign(new Error(`\`${b.dataset}\` has ${path.basename(p)} but \`${b.from}\` has no picture of that name: a pair needs the same file name in both`), { code: 'E_DATASET' });
    return a;
  });
  params.scheme = scheme;
  params.pair_images = pairs.map((a) => a.path);
  params.pair_captions = pairs.map((a) => a.caption ?? '');
  const negative = ((b.negative_over as string[] | undefined) ?? []).map((n) => ({ name: n, path: ctx.upstream(n).manifest.files.lora }));
  if (scheme === 'bipolar') {
    if (!negative.length) throw Object.assign(new Error('`scheme: bipolar` needs `negative_over:`, a bias (copier) of the dataset\'s pictures A′ to train weight −1 over'), { code: 'E_CELL' });
    params.negative_over = negative.map((x) => ({ path: x.path, weight: 1 }));
  }
  const how = scheme === 'bipolar' ? `bipolar: +1 on \`${b.dataset}\` over ${(params.over as unknown[]).length} bias(es), −1 on \`${b.from}\` over ${negative.map((x) => `\`${x.name}\``).join(', ')}`
    : `pair difference: ${pairs.length} pair(s) \`${b.from}\` → \`${b.dataset}\`, no copier`;
  return { from: String(b.from), line: how + (b.timesteps ? `, timesteps ${(b.timesteps as number[]).join('–')}` : '') };
}

/** The model a bias cell trained on (a target without `model:` uses its first bias's). */
export function modelOfBias(ctx: CellContext, biasName: string): string {
  const m = ctx.upstream(biasName).manifest;
  const model = (m.figures as Record<string, unknown>).model;
  if (typeof model === 'string') return model;
  throw Object.assign(new Error(`cannot tell which model \`${biasName}\` was trained on; add \`model:\` to this cell`), { code: 'E_CELL' });
}
