// `preview` cell: sample the LoRA (and the ones in `compare:`) at each weight, for each prompt and seed, with
// the same seeds for all, and compose the images into one labelled grid.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composeGrid } from '../../preview/grid';
import { CellHandler, modelParams } from './context';
import { modelOfBias } from './train';

interface Sampled { path: string; prompt: string; seed: number; weight?: number }

export const runPreview: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const loras = [String(b.lora), ...((b.compare as string[] | undefined) ?? [])];
  const weights = (b.weights as number[] | undefined) ?? [0, 1];
  const prompts = b.prompts as string[];
  const seeds = (b.seeds as number[] | undefined) ?? [1];
  const total = loras.length * weights.length * prompts.length * seeds.length;
  const sampled = new Map<string, Sampled[]>();
  let done = 0;
  for (const name of loras) {
    const u = ctx.upstream(name);
    const model = typeof u.manifest.figures.model === 'string' ? (u.manifest.figures.model as string) : modelOfBias(ctx, name);
    const dir = path.join(ctx.outDir, 'images', name);
    const params: Record<string, unknown> = {
      ...modelParams(ctx, model), loras: [{ path: u.manifest.files.lora, weight: 0 }], weights, prompts, seeds, output_dir: dir,
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
  await composeGrid({ images: grid.map((r) => r.map((f) => f || undefined)), rowLabels, colLabels, comment: `lorabias preview of ${loras.join(', ')}` }, path.join(ctx.outDir, 'grid.png'));
  const images = [...sampled.values()].flat();
  fs.writeFileSync(path.join(ctx.outDir, 'images.json'), JSON.stringify(images, null, 1));
  return {
    files: { grid: 'grid.png', images: 'images.json' },
    figures: { images: images.length, loras, weights, prompts, seeds },
    display: {
      title: `preview of ${loras.join(' vs ')}`,
      markdown: `${images.length} images: ${loras.map((l) => `\`${l}\``).join(', ')} at weights ${weights.join(', ')}; ${prompts.length} prompt(s) × ${seeds.length} seed(s)`,
      images: [{ path: 'grid.png', caption: 'grid' }],
      data: { rowLabels, colLabels, images: grid.map((r) => r.map((f) => (f ? path.relative(ctx.outDir, f) : ''))) },
    },
  };
};
