// `bias` and `target` cells: train a LoRA in the engine. A target's biases are applied frozen with their
// multipliers while it trains (`over`), the way kohya's `--base_weights` does; they are not part of the result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mdCode } from '../../text/markdownEscape';
import type { LoraArtifact } from '../artifact';
import { readLoraArtifact } from '../artifact';
import { CellContext, CellHandler, CellOutcome, engineRequest, fmt, modelParams } from './context';

const TRAIN_KEYS = ['rank', 'alpha', 'conv_rank', 'conv_alpha', 'steps', 'lr', 'scheduler', 'warmup_steps', 'batch_size', 'resolution', 'seed', 'mixed_precision',
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
  // the cached LoRA keeps full precision; `export` writes the precision asked for (`dtype`, fp16 by default)
  params.save_precision = 'float';
  params.output = path.join(ctx.workDir, 'lora.safetensors'); // the engine makes the folder, and removes it if left empty
  params.resume = true;
  return params;
}

type Handed = Omit<LoraArtifact, 'lora'>;

/** Removes a cell's work folder, then `work/` itself, each only when empty. */
export function removeIfEmpty(workDir: string): void {
  for (const dir of [workDir, path.dirname(workDir)]) {
    try { fs.rmdirSync(dir); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return; // not empty: a checkpoint to resume from
    }
  }
}

async function train(ctx: CellContext, params: Record<string, unknown>, handed: Handed, extra: Record<string, unknown>, lines: string[]): Promise<CellOutcome> {
  let r: Record<string, unknown>;
  try {
    r = await engineRequest(ctx, 'train', params);
  } catch (e) {
    // a cancelled or failed run keeps its resume checkpoints, but never leaves an empty folder behind
    removeIfEmpty(ctx.workDir);
    throw e;
  }
  const out = path.join(ctx.outDir, 'lora.safetensors');
  fs.renameSync(String(r.path ?? params.output), out);
  fs.rmSync(ctx.workDir, { recursive: true, force: true });
  removeIfEmpty(ctx.workDir);
  const losses = Array.isArray(r.losses) ? (r.losses as number[]) : [];
  const fidelity = r.fidelity as { value?: number; held?: boolean; target?: number } | undefined;
  const figures: Record<string, unknown> = { steps: r.steps_done, finalLoss: r.final_loss, trainSeconds: r.seconds, losses, ...extra };
  if (fidelity) figures.fidelity = fidelity;
  const md = [
    `**${ctx.cell.name}**: ${r.steps_done} steps, final loss ${fmt(r.final_loss)}, ${fmt(r.seconds)} s`,
    ...lines,
    ...skippedWarnings(r.over),
  ];
  if (fidelity && fidelity.value !== undefined) {
    const target = fidelity.target ?? (ctx.cell.body.until as Record<string, unknown> | undefined)?.fidelity;
    md.push(fidelity.held ? `fidelity **${fmt(fidelity.value)}** ≥ ${target}: the constraint holds`
      : `⚠ fidelity **${fmt(fidelity.value)}** did not reach ${target}: the bias does not hold — train longer, raise the rank or the learning rate`);
  }
  return { files: { lora: 'lora.safetensors' }, figures, artifact: { lora: 'lora.safetensors', ...handed }, display: { title: `${ctx.cell.kind} ${ctx.cell.name}`, markdown: md.join('\n\n'), data: { losses } } };
}

/** The family the model cell reported (for the artifact). */
export function familyOf(ctx: CellContext, modelName: string): string | undefined {
  const f = ctx.upstream(modelName).manifest.figures.family;
  return typeof f === 'string' ? f : undefined;
}

export const runBias: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  if (b.file) return biasFromFile(ctx);
  const model = String(b.model);
  const weight = (b.weight as number | undefined) ?? 1;
  const family = familyOf(ctx, model);
  const params = trainParams(ctx, model, String(b.dataset));
  if (b.until) {
    const u = b.until as Record<string, unknown>;
    params.until = { fidelity: u.fidelity, ...(u.every ? { every: u.every } : {}), ...(u.prompts ? { prompts: u.prompts } : {}), ...(u.seeds ? { seeds: u.seeds } : {}) };
  }
  params.metadata = { lorabias_role: 'bias', lorabias_lock: 'everything' };
  return train(ctx, params, { model, ...(family ? { family } : {}), weight, over: [], dataset: String(b.dataset) },
    { weight }, []);
};

export const runTarget: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const biases = overBiases(ctx, b.over);
  const modelName = b.model ? String(b.model) : biases[0]?.model;
  if (!modelName) throw Object.assign(new Error(`a ${ctx.cell.kind} without \`over:\` needs \`model:\``), { code: 'E_CELL' });
  const params = trainParams(ctx, modelName, String(b.dataset));
  params.over = biases.map((x) => ({ path: x.lora, weight: x.weight }));
  const scheme = schemeParams(ctx, params);
  params.metadata = { lorabias_role: 'target', lorabias_over: biases.map((x) => ({ name: x.name, weight: x.weight })), ...(scheme.from ? { lorabias_scheme: String(b.scheme) } : {}) };
  const line = scheme.line ?? (biases.length ? `trained over ${biases.map((x) => `\`${x.name}\` × ${x.weight}`).join(', ')} (frozen, not part of the result)` : 'trained directly on the model (no bias)');
  const family = familyOf(ctx, modelName);
  const handedOver = biases.map((x) => ({ name: x.name, weight: x.weight, lora: x.lora }));
  return train(ctx, params, { model: modelName, ...(family ? { family } : {}), weight: 1, over: handedOver, dataset: String(b.dataset) },
    { over: handedOver.map(({ name, weight }) => ({ name, weight })), ...(scheme.from ? { scheme: b.scheme, from: scheme.from } : {}) }, [line]);
};

/** `scheme:`, `from:`, `negative_over:`, `timesteps:` of a target cell → the engine's train parameters. */
function schemeParams(ctx: CellContext, params: Record<string, unknown>): { from?: string; line?: string } {
  const b = ctx.cell.body;
  if (b.timesteps) params.timesteps = b.timesteps;
  const scheme = (b.scheme as string | undefined) ?? 'over-copier';
  if (b.scheme !== undefined) params.scheme = scheme;
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
  const negative = ((b.negative_over as string[] | undefined) ?? []).map((n) => ({ name: n, path: readLoraArtifact(n, ctx.upstream(n)).lora }));
  if (scheme === 'bipolar') {
    if (!negative.length) throw Object.assign(new Error('`scheme: bipolar` needs `negative_over:`, a bias (copier) of the dataset\'s pictures A′ to train weight −1 over'), { code: 'E_CELL' });
    params.negative_over = negative.map((x) => ({ path: x.path, weight: 1 }));
  }
  const how = scheme === 'bipolar' ? `bipolar: +1 on \`${b.dataset}\` over ${(params.over as unknown[]).length} bias(es), −1 on \`${b.from}\` over ${negative.map((x) => `\`${x.name}\``).join(', ')}`
    : `pair difference: ${pairs.length} pair(s) \`${b.from}\` → \`${b.dataset}\`, no copier`;
  return { from: String(b.from), line: how + (b.timesteps ? `, timesteps ${(b.timesteps as number[]).join('–')}` : '') };
}

/** A bias that is an existing LoRA file: the engine checks it against the model and says what it applies and
 * skips, so a file that only partly fits warns here (and in `lorabias run`), not only in the engine log. */
async function biasFromFile(ctx: CellContext): Promise<CellOutcome> {
  const b = ctx.cell.body;
  const file = path.resolve(ctx.recipeDir, String(b.file));
  const model = String(b.model);
  const weight = (b.weight as number | undefined) ?? 1;
  const family = familyOf(ctx, model);
  const info = await engineRequest(ctx, 'lora_info', { ...modelParams(ctx, model), path: file }) as unknown as LoraInfo;
  const md = [`**${ctx.cell.name}**: the existing LoRA ${mdCode(String(b.file))} for \`${model}\` (${info.format}, ${info.modules} of ${info.total} modules), applied at weight ${weight}`,
    ...skippedWarnings([info])];
  return { files: { lora: file },
    figures: { source: 'file', weight, format: info.format, modules: info.modules, skipped: info.skipped ?? {} },
    artifact: { lora: file, model, ...(family ? { family } : {}), weight, over: [] },
    display: { title: `bias ${ctx.cell.name}`, markdown: md.join('\n\n') } };
}

/** What the engine says about a LoRA file it applies (`lora_info`, and each of train's `over`). */
interface LoraInfo { format: string; modules: number; total: number; skipped?: Record<string, number>; warning?: string }

function skippedWarnings(reports: unknown): string[] {
  return (Array.isArray(reports) ? (reports as LoraInfo[]) : []).filter((r) => r.warning).map((r) => `⚠ ${r.warning}`);
}

/** The bias cells of `over:` (names or `{bias, weight}`), read from their typed artifacts: file, multiplier, model. */
export function overBiases(ctx: CellContext, over: unknown): { name: string; lora: string; weight: number; model: string }[] {
  return ((over as unknown[] | undefined) ?? []).map((o) => {
    const spec = typeof o === 'string' ? { bias: o } : (o as { bias: string; weight?: number });
    const a = readLoraArtifact(spec.bias, ctx.upstream(spec.bias));
    return { name: spec.bias, lora: a.lora, weight: spec.weight ?? a.weight, model: a.model };
  });
}
