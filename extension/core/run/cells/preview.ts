// `preview` cell: sample the LoRA (and the ones in `compare:`) at each weight, for each prompt and seed, with
// the same seeds for all, and compose the images into one labelled grid.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composeGrid } from '../../preview/grid';
import { differenceMask, Leakage, leakage, maskFromImage, Raster, readRaster, ShapesLeakage, shapesLeakage } from '../../preview/leakage';
import { normalizeTag } from '../../dataset/tags';
import { FigureTable, leakageTable, PreviewData, previewMarkdown, shapesTable, tagLeakageTable } from '../../preview/previewData';
import { tagLeakage, tagScores } from '../../preview/tagLeakage';
import type { CellContext } from './context';
import { CellHandler, modelParams } from './context';
import { readLoraArtifact } from '../artifact';

interface Sampled { path: string; prompt: string; seed: number; weight?: number }

export const runPreview: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const loras = [String(b.lora), ...((b.compare as string[] | undefined) ?? [])];
  const weights = (b.weights as number[] | undefined) ?? [0, 1];
  const prompts = b.prompts as string[];
  const seeds = (b.seeds as number[] | undefined) ?? [1];
  const total = loras.length * weights.length * prompts.length * seeds.length;
  const sampled = new Map<string, Sampled[]>();
  const shapes: ShapesLeakage[] = [];
  let done = 0;
  for (const name of loras) {
    const a = readLoraArtifact(name, ctx.upstream(name));
    const dir = path.join(ctx.outDir, 'images', name);
    const params: Record<string, unknown> = {
      ...modelParams(ctx, a.model), loras: [{ path: a.lora, weight: 0 }], weights, prompts, seeds, output_dir: dir,
      ...(b.negative_prompt ? { negative_prompt: b.negative_prompt } : {}), ...(b.steps ? { steps: b.steps } : {}),
      ...(b.cfg !== undefined ? { cfg: b.cfg } : {}), ...(b.sampler ? { scheduler: b.sampler } : {}),
      ...(b.width ? { width: b.width } : {}), ...(b.height ? { height: b.height } : {}),
    };
    const before = done;
    const r = await ctx.engine().request('sample', params, {
      signal: ctx.signal,
      onEvent: (ev, data) => { if (ev === 'progress') { done = before + Number(data.step ?? 0); ctx.progress({ step: done, total }); } },
    });
    sampled.set(name, (r.images as Sampled[]).map((im) => ({ ...im, path: path.relative(ctx.outDir, im.path) })));
    shapes.push(...shapesLeakage(name, r.shapes_leakage));
  }
  // Rows: each LoRA at each weight. Columns: each prompt × seed.
  const colLabels: string[] = [];
  prompts.forEach((p, pi) => seeds.forEach((s) => colLabels.push(`${prompts.length > 1 ? `p${pi + 1} ` : ''}seed ${s}\n${p}`)));
  const rowLabels: string[] = [];
  const grid: string[][] = [];
  for (const name of loras) {
    for (const w of weights) {
      rowLabels.push(`${name} ${w >= 0 ? '+' : ''}${w}`);
      grid.push(prompts.flatMap((p) => seeds.map((s) => {
        const im = sampled.get(name)!.find((x) => x.prompt === p && x.seed === s && x.weight === w);
        return im ? path.join(ctx.outDir, im.path) : '';
      })));
    }
  }
  await composeGrid({ images: grid.map((r) => r.map((f) => f || undefined)), rowLabels, colLabels, comment: `lorabias: recipe ${ctx.recipePath}, cell ${ctx.cell.index + 1}${ctx.cell.name ? ` (${ctx.cell.name})` : ''}, preview of ${loras.join(', ')}` }, path.join(ctx.outDir, 'grid.png'));
  const images = [...sampled.values()].flat();
  fs.writeFileSync(path.join(ctx.outDir, 'images.json'), JSON.stringify(images, null, 1));
  const leak = await previewLeakage(ctx, loras, sampled);
  const tagLeak = ctx.cell.body.tagger ? await previewTagLeakage(ctx, loras, sampled) : [];
  const tables: FigureTable[] = [];
  if (leak.table.length) tables.push(leakageTable(leak.table, leak.source));
  if (shapes.length) tables.push(shapesTable(shapes));
  if (tagLeak.length) tables.push(tagLeakageTable(tagLeak, (ctx.cell.body.tagger as { concept: string }).concept));
  const data: PreviewData = {
    type: 'preview',
    summary: `${images.length} images: ${loras.join(', ')} at weights ${weights.join(', ')}; ${prompts.length} prompt(s) × ${seeds.length} seed(s)`,
    rowLabels, colLabels, images: grid.map((r) => r.map((f) => (f ? path.relative(ctx.outDir, f) : ''))),
    rows: loras.flatMap((lora) => weights.map((weight) => ({ lora, weight }))),
    tables, notes: !leak.table.length && leak.note ? [leak.note] : [],
  };
  return {
    files: { grid: 'grid.png', images: 'images.json' },
    figures: { images: images.length, loras, weights, prompts, seeds, leakage: leak.table.map(({ lora, ratio, intended, unintended }) => ({ lora, ratio, intended, unintended })),
      ...(shapes.length ? { shapesLeakage: shapes } : {}),
      ...(tagLeak.length ? { tagLeakage: tagLeak.map(({ lora, ratio, intended, unintended }) => ({ lora, ratio, intended, unintended })) } : {}) },
    display: {
      title: `preview of ${loras.join(' vs ')}`,
      markdown: previewMarkdown(data),
      images: [{ path: 'grid.png', caption: 'grid' }],
      data: data as unknown as Record<string, unknown>,
    },
  };
};

/** The region the previewed LoRA is meant to change: the preview's `mask:`, or where its dataset differs from its bias's. */
async function editMask(ctx: CellContext, lora: string, size: { width: number; height: number }): Promise<{ mask: Uint8Array; source: string } | undefined> {
  const b = ctx.cell.body;
  if (b.mask) return { mask: maskFromImage(await readRaster(path.resolve(ctx.recipeDir, String(b.mask)), size)), source: `mask ${b.mask}` };
  const f = readLoraArtifact(lora, ctx.upstream(lora));
  const from = (ctx.upstream(lora).manifest.figures as { from?: string }).from;
  const biasName = f.over[0]?.name;
  if (!f.dataset || (!biasName && !from)) return undefined;
  // the pictures A the dataset A′ edits: a pair scheme's `from:`, else the first bias's dataset
  const biasDataset = from ?? readLoraArtifact(biasName!, ctx.upstream(biasName!)).dataset;
  if (!biasDataset) return undefined;
  const list = (name: string) => {
    const u = ctx.upstream(name);
    return JSON.parse(fs.readFileSync(path.resolve(u.dir, u.manifest.files.images), 'utf8')) as { path: string }[];
  };
  const edited = list(f.dataset);
  const original = new Map(list(biasDataset).map((im) => [path.basename(im.path), im.path]));
  let mask: Uint8Array | undefined;
  let n = 0;
  for (const im of edited) {
    const a = original.get(path.basename(im.path));
    if (!a) continue;
    const m = differenceMask(await readRaster(a, size), await readRaster(im.path, size));
    mask = mask ? mask.map((v, i) => v | m[i]) : m;
    n++;
  }
  return mask ? { mask, source: `where ${n} image${n > 1 ? 's' : ''} of “${f.dataset}” differ from “${biasDataset}”` } : undefined;
}

async function previewLeakage(ctx: CellContext, loras: string[], sampled: Map<string, Sampled[]>): Promise<{ table: Leakage[]; source?: string; note?: string }> {
  const first = sampled.get(loras[0])?.[0];
  if (!first) return { table: [] };
  if (!sampled.get(loras[0])!.some((im) => im.weight === 0)) return { table: [], note: 'Add weight 0 to `weights:` to see leakage figures.' };
  const sample = await readRaster(path.join(ctx.outDir, first.path));
  const size = { width: sample.width, height: sample.height };
  const region = await editMask(ctx, loras[0], size);
  if (!region) return { table: [], note: 'No leakage figures: give `mask:` (the region the LoRA should change), or preview a target trained over a bias on an edited copy of its images.' };
  const table: Leakage[] = [];
  for (const name of loras) {
    const ims = sampled.get(name)!;
    const load = (im: Sampled): Promise<Raster> => readRaster(path.join(ctx.outDir, im.path));
    const pairs: { before: Raster; after: Raster }[] = [];
    for (const im of ims.filter((x) => x.weight !== 0)) {
      const base = ims.find((x) => x.weight === 0 && x.prompt === im.prompt && x.seed === im.seed);
      if (base) pairs.push({ before: await load(base), after: await load(im) });
    }
    table.push(leakage(name, pairs, region.mask));
  }
  return { table, source: region.source };
}

async function previewTagLeakage(ctx: CellContext, loras: string[], sampled: Map<string, Sampled[]>): Promise<Leakage[]> {
  const t = ctx.cell.body.tagger as { model: string; concept: string };
  const all = [...sampled.values()].flat().map((im) => path.join(ctx.outDir, im.path));
  const scores = await tagScores(all, { model: path.resolve(ctx.recipeDir, t.model) }, ctx.device);
  const concept = normalizeTag(t.concept);
  return loras.map((name) => {
    const ims = sampled.get(name)!;
    const pairs = ims.filter((x) => x.weight !== 0).flatMap((im) => {
      const base = ims.find((x) => x.weight === 0 && x.prompt === im.prompt && x.seed === im.seed);
      return base ? [{ before: scores.get(path.join(ctx.outDir, base.path))!, after: scores.get(path.join(ctx.outDir, im.path))! }] : [];
    });
    return tagLeakage(name, pairs, concept);
  });
}
