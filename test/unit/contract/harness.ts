// Runs one cell's real handler (extension/core/run/cells) on a body, with finished upstream cells and an engine
// stand-in that records every request and answers with real files (a LoRA file where train writes one, PNGs for
// sample), so the handler runs to the end. What the engine then does with each request field is checked on the
// engine side by test/engine/test_contract.py; the real engine end to end by test/integration/run.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { LoraArtifact } from '../../../extension/core/run/artifact';
import { handlerFor } from '../../../extension/core/run/cells';
import type { CellOutcome } from '../../../extension/core/run/cells/context';
import type { Manifest } from '../../../extension/core/run/types';

export interface Request { method: string; params: Record<string, unknown> }
export interface Ran { requests: Request[]; outcome: CellOutcome; outDir: string; recipeDir: string; body: Record<string, unknown> }

export const TINY_TAGGER = path.resolve(__dirname, '../../fixtures/dataset/tiny-tagger');

async function png(file: string, rgb: [number, number, number], size = 32, patch?: [number, number, number]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const c = patch && x >= size / 2 && y < size / 2 ? patch : rgb;
    raw.set(c, (y * size + x) * 3);
  }
  await sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}

/** A fresh recipe folder: images (a/ and a2/, where a2's pictures differ from a's in the top-right corner), caption
 * files, a metadata file, a tag list, a mask, a LoRA file. Every run gets its own, so a run that writes (captions)
 * cannot change the next one. */
let runRoot: string | undefined;

export async function recipeFolder(): Promise<string> {
  if (!runRoot) {
    // all of this run's folders live under one, removed when the test process ends
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-contract-'));
    runRoot = root;
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  const dir = fs.mkdtempSync(path.join(runRoot, 'recipe-'));
  for (const [name, rgb] of [['x0', [200, 30, 30]], ['x1', [30, 200, 30]]] as const) {
    await png(path.join(dir, 'a', `${name}.png`), [...rgb]);
    await png(path.join(dir, 'a2', `${name}.png`), [...rgb], 32, [250, 230, 30]);
    fs.writeFileSync(path.join(dir, 'a', `${name}.txt`), `circle, ${name}, red`);
    fs.writeFileSync(path.join(dir, 'a2', `${name}.txt`), `circle, ${name}, large`);
    fs.writeFileSync(path.join(dir, 'a', `${name}.caption`), `square, ${name}, from caption files`);
  }
  await png(path.join(dir, 'b', 'y0.png'), [10, 10, 200]);
  await png(path.join(dir, 'b', 'y1.png'), [10, 200, 200]);
  await png(path.join(dir, 'b', 'y2.png'), [200, 200, 10]);
  fs.writeFileSync(path.join(dir, 'meta.jsonl'), ['{"file": "x0.png", "tags": "from metadata, zero"}', '{"file": "x1.png", "tags": "from metadata, one"}'].join('\n'));
  fs.writeFileSync(path.join(dir, 'posts.txt'), ['red, circle, small', 'red, circle, large', 'red, square, small', 'blue, circle, small', 'red, circle, small'].join('\n'));
  fs.writeFileSync(path.join(dir, 'posts2.txt'), ['red, square', 'red, square', 'red, triangle'].join('\n'));
  await png(path.join(dir, 'mask.png'), [0, 0, 0], 32, [255, 255, 255]);
  await png(path.join(dir, 'mask-left.png'), [255, 255, 255]);
  fs.writeFileSync(path.join(dir, 'existing.safetensors'), 'a LoRA file');
  return dir;
}

const lora = (over: LoraArtifact['over'], extra: Partial<LoraArtifact>): LoraArtifact => ({ lora: 'lora.safetensors', model: 'base', family: 'tiny', weight: 1, over, ...extra });

/** The finished cells a handler may use, by name: two models, two datasets, two biases, two targets. */
function upstreams(dir: string): Map<string, { manifest: Manifest; dir: string }> {
  const m = new Map<string, { manifest: Manifest; dir: string }>();
  const add = (name: string, kind: string, files: Record<string, string>, figures: Record<string, unknown>, artifact?: LoraArtifact) => {
    const cellDir = path.join(dir, '.cells', name);
    fs.mkdirSync(cellDir, { recursive: true });
    if (files.lora) fs.writeFileSync(path.join(cellDir, files.lora), name);
    m.set(name, { dir: cellDir, manifest: { format: 1, key: `key-${name}`, kind, name, recipe: path.join(dir, 'r.lorabias'), engine: 'e', createdAt: '', seconds: 0, files, figures, ...(artifact ? { artifact } : {}), display: { title: name, markdown: '' } } });
  };
  add('base', 'model', {}, { load: { checkpoint: 'builtin:tiny-shapes', family: 'tiny' }, family: 'tiny' });
  add('other', 'model', {}, { load: { checkpoint: path.join(dir, 'other.safetensors'), family: 'sd15' }, family: 'sd15' });
  for (const [name, folder] of [['ds', 'a'], ['ds2', 'a2']]) {
    const cellDir = path.join(dir, '.cells', name);
    fs.mkdirSync(cellDir, { recursive: true });
    const images = ['x0', 'x1'].map((x) => ({ path: path.join(dir, folder, `${x}.png`), caption: `circle, ${x}`, repeats: 1 }));
    fs.writeFileSync(path.join(cellDir, 'images.json'), JSON.stringify(images));
    const report = { images: ['x0', 'x1'].map((x) => ({ path: `${folder}/${x}.png`, tags: ['circle', 'red', x === 'x0' ? 'small' : 'large'] })) };
    fs.writeFileSync(path.join(cellDir, 'report.json'), JSON.stringify(report));
    m.set(name, { dir: cellDir, manifest: { format: 1, key: `key-${name}`, kind: 'dataset', name, recipe: '', engine: 'e', createdAt: '', seconds: 0, files: { images: 'images.json', report: 'report.json' }, figures: {}, display: { title: name, markdown: '' } } });
  }
  add('copier', 'bias', { lora: 'lora.safetensors' }, {}, lora([], { dataset: 'ds' }));
  add('copier2', 'bias', { lora: 'lora.safetensors' }, {}, lora([], { dataset: 'ds', weight: 0.5 }));
  const copierLora = path.join(dir, '.cells', 'copier', 'lora.safetensors');
  add('slider', 'target', { lora: 'lora.safetensors' }, {}, lora([{ name: 'copier', weight: 1, lora: copierLora }], { dataset: 'ds2' }));
  add('naive', 'target', { lora: 'lora.safetensors' }, {}, lora([], { dataset: 'ds2' }));
  return m;
}

/** The engine stand-in: records requests; `train` writes its output file, `sample` writes one PNG per image
 * (weight 0 plain, other weights with the top-right quarter changed, so leakage figures are real numbers). */
function recordingEngine(requests: Request[]) {
  let n = 0;
  return {
    request: async (method: string, params: Record<string, unknown>) => {
      requests.push({ method, params: JSON.parse(JSON.stringify(params)) });
      if (method === 'load') return { family: params.family ?? 'tiny', params: 1000, device: 'cpu', dtype: 'float32', model_id: 'm' };
      if (method === 'train') {
        // like the engine, it makes the output's folder itself
        fs.mkdirSync(path.dirname(String(params.output)), { recursive: true });
        fs.writeFileSync(String(params.output), 'trained');
        // an `until:` constraint is reported as missed, so that what the run does with a missed one can be seen
        const until = params.until as { fidelity?: number } | undefined;
        const fidelity = until ? { value: 0.5, held: false, target: until.fidelity, history: [] } : null;
        return { path: params.output, steps_done: params.steps ?? 500, final_loss: 0.1, seconds: 0.1, losses: [0.2, 0.1], fidelity };
      }
      if (method === 'sample') {
        const images = [];
        const dir = String(params.output_dir);
        for (const w of (params.weights as number[] | undefined) ?? [1]) for (const p of params.prompts as string[]) for (const s of (params.seeds as number[] | undefined) ?? [1]) {
          const file = path.join(dir, `img${n++}.png`);
          await png(file, [40, 60, 200], 32, w === 0 ? undefined : [Math.min(255, 120 + 100 * Math.abs(w)), 40, 40]);
          images.push({ path: file, prompt: p, seed: s, weight: w });
        }
        return { images };
      }
      if (method === 'slider') {
        fs.mkdirSync(path.dirname(String(params.output)), { recursive: true });
        fs.writeFileSync(String(params.output), 'slider');
        return { path: params.output, steps_done: params.steps ?? 500, final_loss: 0.1, seconds: 0.1, its: 1, losses: [0.2, 0.1], anchor_losses: null };
      }
      if (method === 'lora_info') return { format: 'kohya LoRA', modules: 3, total: 3, skipped: {} };
      if (method === 'export') return { path: params.to, keys: 3, sha256: 'ab'.repeat(32), dtype: params.dtype ?? 'fp16', sshs_model_hash: 'cd'.repeat(32) };
      throw new Error(`unexpected method ${method}`);
    },
  };
}

/** Runs the handler of `kind` on `body` in a fresh recipe folder. */
export async function runCell(kind: string, body: Record<string, unknown>, dir?: string): Promise<Ran> {
  const recipeDir = dir ?? await recipeFolder();
  const ups = upstreams(recipeDir);
  const requests: Request[] = [];
  const outDir = fs.mkdtempSync(path.join(recipeDir, '.out-'));
  const engine = recordingEngine(requests);
  const outcome = await handlerFor(kind)({
    cell: { index: 5, kind, name: typeof body.name === 'string' ? body.name : undefined, body, needs: [], inputs: [], key: 'k' },
    recipePath: path.join(recipeDir, 'r.lorabias'), recipeDir, outDir, workDir: path.join(recipeDir, '.work', String(Math.random()).slice(2)),
    upstream: (name) => {
      const u = ups.get(name);
      if (!u) throw new Error(`no upstream ${name}`);
      return u;
    },
    engine: () => engine as never,
    device: undefined,
    signal: new AbortController().signal,
    progress: () => undefined,
    log: () => undefined,
  });
  return { requests, outcome, outDir, recipeDir, body };
}

/** Request params flattened to dotted field paths (objects recurse, arrays are values); `leaves` stop the descent. */
export function flatten(params: Record<string, unknown>, leaves: Set<string>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(params)) {
    const field = prefix + k;
    if (v && typeof v === 'object' && !Array.isArray(v) && !leaves.has(field)) {
      for (const [kk, vv] of flatten(v as Record<string, unknown>, leaves, field + '.')) out.set(kk, vv);
    } else out.set(field, v);
  }
  return out;
}
