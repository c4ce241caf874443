// Running a WD14-format ONNX tagger through onnxruntime-node: shapes are read from the model, images go in
// batches, the CUDA execution provider is used when it loads and the CPU one otherwise (the result says which).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLabels, TaggerError, type Labels, type TagCategory } from './labels';
import { preprocessInto, type Layout } from './preprocess';

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default?.InferenceSession ? (m as unknown as { default: Ort }).default : m) as Ort,
    (e: Error) => {
      ortPromise = undefined;
      throw new TaggerError(`Tagging needs the \`onnxruntime-node\` package, which did not load (${e.message.split('\n')[0]}). Run \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node\` in the lorabias folder (the CPU provider ships in the package).`);
    },
  );
  return ortPromise;
}

export interface TaggerOptions {
  /** Folder with `model.onnx` and `selected_tags.csv`. */
  model: string;
  general_threshold?: number;
  character_threshold?: number;
}

export interface Tagger {
  session: import('onnxruntime-node').InferenceSession;
  provider: 'cuda' | 'cpu';
  /** Why CUDA was not used, when it was not. */
  cpuReason?: string;
  input: string;
  output: string;
  size: number;
  layout: Layout;
  /** A fixed batch size from the model, or undefined when the batch dimension is dynamic. */
  fixedBatch?: number;
  labels: Labels;
}

let cudaFailed: string | undefined;

/** Load the model and its labels, checking that they match. `device: 'cpu'` skips trying CUDA. */
export async function openTagger(modelDir: string, opts: { device?: 'auto' | 'cpu' | 'cuda'; deviceId?: number } = {}): Promise<Tagger> {
  const ort = await loadOrt();
  const modelPath = path.join(modelDir, 'model.onnx');
  if (!fs.existsSync(modelPath)) throw new TaggerError(`\`${modelPath}\` does not exist: \`tagger.model\` is a folder holding a WD14 tagger's \`model.onnx\` and \`selected_tags.csv\`.`);
  const labels = await readLabels(path.join(modelDir, 'selected_tags.csv'));
  let session: import('onnxruntime-node').InferenceSession | undefined;
  let provider: 'cuda' | 'cpu' = 'cpu';
  let cpuReason = opts.device === 'cpu' ? 'device: cpu' : cudaFailed;
  if (opts.device === 'cuda' && cudaFailed) throw new TaggerError(`CUDA was asked for, but ${cudaFailed}.`);
  if (opts.device !== 'cpu' && !cudaFailed) {
    // A missing CUDA provider is expected on most machines: keep onnxruntime from printing it as an error
    // (the result says which provider ran, and why not CUDA).
    if (!ort.env.logLevel || ort.env.logLevel === 'warning') ort.env.logLevel = 'fatal';
    try {
      session = await ort.InferenceSession.create(modelPath, { executionProviders: [{ name: 'cuda', deviceId: opts.deviceId ?? 0 }], logSeverityLevel: 4 });
      provider = 'cuda';
    } catch (e) {
      cpuReason = cudaFailed = `the CUDA execution provider did not load (${(e as Error).message.split('\n')[0].slice(0, 160)})`;
      if (opts.device === 'cuda') throw new TaggerError(`CUDA was asked for, but ${cpuReason}.`);
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    } catch (e) {
      throw new TaggerError(`\`${modelPath}\` is not a model onnxruntime can load (${(e as Error).message.split('\n')[0]}): download it again.`);
    }
  }
  if (provider === 'cuda') {
    // The CUDA provider can load and still fail on the first run (no cuDNN, an unsupported GPU): try one.
    try {
      await warmUp(ort, session);
    } catch (e) {
      await session.release().catch(() => undefined);
      cpuReason = cudaFailed = `the CUDA execution provider loaded but could not run the model (${(e as Error).message.split('\n')[0].slice(0, 160)})`;
      if (opts.device === 'cuda') throw new TaggerError(`CUDA was asked for, but ${cpuReason}.`);
      session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], logSeverityLevel: 3 });
      provider = 'cpu';
    }
  }
  const inMeta = session.inputMetadata[0];
  const outMeta = session.outputMetadata[0];
  const shape = inMeta && inMeta.isTensor ? inMeta.shape : [];
  let layout: Layout, size: unknown;
  if (shape.length === 4 && shape[3] === 3) { layout = 'nhwc'; size = shape[1]; if (shape[2] !== size) size = undefined; }
  else if (shape.length === 4 && shape[1] === 3) { layout = 'nchw'; size = shape[2]; if (shape[3] !== size) size = undefined; }
  else throw new TaggerError(`The model's input \`${session.inputNames[0]}\` has shape [${shape.join(', ')}]; a WD14 tagger takes [batch, size, size, 3] images.`);
  if (typeof size !== 'number' || size <= 0) throw new TaggerError(`The model's input \`${session.inputNames[0]}\` has no fixed square size ([${shape.join(', ')}]): lorabias needs it to resize images.`);
  const outShape = outMeta && outMeta.isTensor ? outMeta.shape : [];
  const outCount = outShape[outShape.length - 1];
  if (typeof outCount === 'number' && outCount !== labels.names.length) throw mismatch(outCount, labels.names.length);
  const fixedBatch = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : undefined;
  return { session, provider, cpuReason, input: session.inputNames[0], output: session.outputNames[0], size, layout, fixedBatch, labels };
}

/** One run on a blank image, shaped from the model's input (symbolic dimensions taken as 1). */
async function warmUp(ort: Ort, session: import('onnxruntime-node').InferenceSession): Promise<void> {
  const meta = session.inputMetadata[0];
  const shape = (meta && meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  if (shape.length !== 4) return; // openTagger reports the shape problem
  const n = shape.reduce((a, b) => a * b, 1);
  await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n).fill(255), shape) });
}

function mismatch(out: number, csv: number): TaggerError {
  return new TaggerError(`The model outputs ${out} scores but its \`selected_tags.csv\` lists ${csv} tags: the CSV belongs to another model. Put the \`selected_tags.csv\` that came with this \`model.onnx\` beside it.`);
}

export interface TagResult {
  path: string;
  /** Kept tags: the best rating, then character and general tags at or above their thresholds, best first. */
  tags: { tag: string; score: number; category: TagCategory }[];
  /** Set instead of tags when the image could not be read. */
  error?: string;
}

export interface TagImagesOptions {
  /** Override the thresholds (default: the tagger options', else 0.35 and 0.85). */
  general_threshold?: number;
  character_threshold?: number;
  batchSize?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Paths in the results are made relative to this folder (with `/`); absolute otherwise. */
  relativeTo?: string;
}

/** Tag image files. Opens the tagger (or takes an open one), runs it in batches, applies the thresholds. */
export async function tagImages(
  images: string[], tagger: TaggerOptions | Tagger, opts: TagImagesOptions = {},
): Promise<{ provider: 'cuda' | 'cpu'; cpuReason?: string; results: TagResult[] }> {
  const opened = !('session' in tagger);
  const t = 'session' in tagger ? tagger : await openTagger(tagger.model, { device: opts.device });
  try {
    return await runTagger(images, t, opts, opened ? (tagger as TaggerOptions) : undefined);
  } finally {
    if (opened) await t.session.release().catch(() => undefined); // a real WD14 model holds hundreds of MB
  }
}

async function runTagger(images: string[], t: Tagger, opts: TagImagesOptions, tagger: TaggerOptions | undefined) {
  const gth = opts.general_threshold ?? tagger?.general_threshold ?? 0.35;
  const cth = opts.character_threshold ?? tagger?.character_threshold ?? 0.85;
  const ort = await loadOrt();
  const batch = t.fixedBatch ?? Math.max(1, opts.batchSize ?? 8);
  const per = t.size * t.size * 3;
  const shown = (p: string) => (opts.relativeTo ? path.relative(opts.relativeTo, p).split(path.sep).join('/') : p);
  const results: TagResult[] = [];
  for (let start = 0; start < images.length; start += batch) {
    opts.signal?.throwIfAborted();
    const chunk = images.slice(start, start + batch);
    const data = new Float32Array(batch * per); // a fixed-batch model gets padding rows (ignored)
    const ok: number[] = [];
    const errors = new Map<number, string>();
    await Promise.all(chunk.map(async (file, k) => {
      try {
        await preprocessInto(await fs.promises.readFile(file), t.size, t.layout, data, k * per);
        ok.push(k);
      } catch (e) { errors.set(k, (e as Error).message.split('\n')[0]); }
    }));
    const n = t.fixedBatch ?? chunk.length;
    const dims = t.layout === 'nhwc' ? [n, t.size, t.size, 3] : [n, 3, t.size, t.size];
    let scores: Float32Array | undefined;
    let outCount = 0;
    if (ok.length) {
      let out: import('onnxruntime-node').Tensor;
      try {
        out = (await t.session.run({ [t.input]: new ort.Tensor('float32', data.subarray(0, n * per), dims) }))[t.output] as import('onnxruntime-node').Tensor;
      } catch (e) {
        throw new TaggerError(`The tagger failed to run (${(e as Error).message.split('\n')[0].slice(0, 200)}): is \`${t.input}\` an image input of a WD14 tagger?`);
      }
      outCount = out.dims[out.dims.length - 1] as number;
      if (outCount !== t.labels.names.length) throw mismatch(outCount, t.labels.names.length);
      scores = out.data as Float32Array;
    }
    for (let k = 0; k < chunk.length; k++) {
      if (errors.has(k) || !scores) { results.push({ path: shown(chunk[k]), tags: [], error: errors.get(k) ?? 'not tagged' }); continue; }
      results.push({ path: shown(chunk[k]), tags: pick(scores.subarray(k * outCount, (k + 1) * outCount), t.labels, gth, cth) });
    }
    opts.onProgress?.(Math.min(start + batch, images.length), images.length);
  }
  return { provider: t.provider, ...(t.cpuReason ? { cpuReason: t.cpuReason } : {}), results };
}

function pick(s: Float32Array, labels: Labels, gth: number, cth: number): TagResult['tags'] {
  let rating = -1;
  const chars: TagResult['tags'] = [], general: TagResult['tags'] = [];
  for (let i = 0; i < s.length; i++) {
    const cat = labels.categories[i];
    if (cat === 'rating') { if (rating < 0 || s[i] > s[rating]) rating = i; }
    else if (cat === 'character') { if (s[i] >= cth) chars.push({ tag: labels.names[i], score: s[i], category: cat }); }
    else if (s[i] >= gth) general.push({ tag: labels.names[i], score: s[i], category: cat });
  }
  const by = (a: { score: number }, b: { score: number }) => b.score - a.score;
  return [...(rating >= 0 ? [{ tag: labels.names[rating], score: s[rating], category: 'rating' as const }] : []), ...chars.sort(by), ...general.sort(by)];
}
