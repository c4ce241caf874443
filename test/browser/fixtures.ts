// Cell results like the ones the preview, target, dataset and analyze cells produce, on pictures made here: a
// slider whose circle grows with the weight, on three seeds. The payloads are built by the same code the
// extension uses (extension/vscode/outputPayload.ts), so the renderer is tested on what it really receives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { composeGrid } from '../../extension/core/preview/grid';
import { LeakageFigures, leakageTable, PreviewData, previewMarkdown, tagLeakageTable } from '../../extension/core/preview/previewData';
import type { CellResult } from '../../extension/core/run/types';

export const WEIGHTS = [-1, -0.5, 0, 0.5, 1];
export const SEEDS = [1, 2, 3];
export const PROMPT = 'circle, red, white background';
const BACKGROUNDS = ['#ffffff', '#f4f0e6', '#e8f0ff'];

/** A `size`² PNG: a red circle whose radius grows with `weight`, on a background that depends on the seed. */
export async function circle(file: string, weight: number, seed: number, size: number): Promise<void> {
  const r = size * (0.22 + 0.12 * weight) + seed;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${BACKGROUNDS[(seed - 1) % 3]}"/>`
    + `<circle cx="${size / 2 + 4 * seed}" cy="${size / 2}" r="${r}" fill="#d22"/><rect x="4" y="4" width="${size / 8}" height="${size / 8}" fill="#246"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

export interface PreviewExtras {
  /** Tag-leakage figures (a preview with `tagger:`), and its concept tag. */
  tagLeakage?: LeakageFigures[];
  concept?: string;
  /** Where the pixel leakage's mask came from (recipe text: a file or dataset name). */
  source?: string;
}

/**
 * A preview cell's result on `size`² pictures (grid composed with composeGrid), in `dir` (its artifact folder); its
 * display built with the same typed data and markdown as the preview cell's (core/preview/previewData.ts).
 */
export async function previewResult(dir: string, size: number, weights = WEIGHTS, seeds = SEEDS, extras: PreviewExtras = {}): Promise<CellResult> {
  const rel: string[][] = [];
  fs.mkdirSync(path.join(dir, 'images', 'size'), { recursive: true });
  await Promise.all(weights.map(async (w, r) => {
    rel[r] = [];
    await Promise.all(seeds.map(async (s, c) => {
      const f = path.join('images', 'size', `w${w}_s${s}.png`);
      rel[r][c] = f;
      await circle(path.join(dir, f), w, s, size);
    }));
  }));
  const rowLabels = weights.map((w) => `size ${w >= 0 ? '+' : ''}${w}`);
  const colLabels = seeds.map((s) => `seed ${s}\n${PROMPT}`);
  const grid = path.join(dir, 'grid.png');
  await composeGrid({ images: rel.map((row) => row.map((f) => path.join(dir, f))), rowLabels, colLabels, comment: 'lorabias preview of size' }, grid);
  const leakage = [{ lora: 'size', ratio: 0.042, intended: 0.31, unintended: 0.013 }];
  const data: PreviewData = {
    type: 'preview', summary: `${weights.length * seeds.length} images: size at weights ${weights.join(', ')}; 1 prompt(s) × ${seeds.length} seed(s)`,
    rowLabels, colLabels, images: rel, rows: weights.map((weight) => ({ lora: 'size', weight })),
    tables: [leakageTable(leakage, extras.source ?? 'mask m.png'), ...(extras.tagLeakage ? [tagLeakageTable(extras.tagLeakage, extras.concept ?? 'large breasts')] : [])],
    notes: [],
  };
  return {
    cell: 6, kind: 'preview', cached: false, seconds: 4.2,
    artifacts: { grid, images: path.join(dir, 'images.json') },
    figures: { images: weights.length * seeds.length, loras: ['size'], weights, prompts: [PROMPT], seeds, leakage, ...(extras.tagLeakage ? { tagLeakage: extras.tagLeakage } : {}) },
    display: {
      title: 'preview of size',
      markdown: previewMarkdown(data),
      images: [{ path: grid, caption: 'grid' }],
      data: data as unknown as Record<string, unknown>,
    },
  };
}

/** A target cell's result with `n` noisy, decreasing losses. */
export function targetResult(n: number): CellResult {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const losses = Array.from({ length: n }, (_, i) => 0.05 + 0.4 * Math.exp(-i / (n / 5)) + 0.06 * (rand() - 0.5));
  return {
    cell: 4, kind: 'target', name: 'size', cached: false, seconds: 31.5, artifacts: { lora: '/tmp/x/lora.safetensors' },
    figures: { steps: n, loss: losses[n - 1] },
    display: { title: 'target size', markdown: `**size**: ${n} steps, final loss ${losses[n - 1].toFixed(4)}`, data: { losses } },
  };
}

export function analyzeResult(): CellResult {
  const co = [
    { tag: 'cleavage', count: 55, pGivenConcept: 0.55, p: 0.18, lift: 3.06, leak: 0.37, flag: 'leak', advice: 'caption `cleavage` where it shows, or add pictures without it' },
    { tag: 'sweater', count: 22, pGivenConcept: 0.22, p: 0.1, lift: 2.2, leak: 0.12, flag: 'watch', advice: 'watch `sweater`' },
    { tag: 'smile', count: 40, pGivenConcept: 0.4, p: 0.38, lift: 1.05, leak: 0.02 },
    { tag: 'solo', count: 90, pGivenConcept: 0.9, p: 0.85, lift: 1.06, leak: 0.05 },
  ];
  const report = { concept: 'large breasts', conceptCount: 100, posts: 1000, distinctTags: 320, weighting: 'posts', cooccurrence: co,
    frequencies: [{ tag: 'solo', count: 850 }, { tag: '1girl', count: 800 }, { tag: 'smile', count: 380 }], problems: [], problemCount: 0 };
  return {
    cell: 2, kind: 'analyze', cached: true, seconds: 0, artifacts: {}, figures: { concept: report.concept },
    display: { title: 'analyze large breasts', markdown: '**large breasts**: 100 of 1000 posts (10%); 320 distinct tags.', data: { type: 'analyze', report } },
  };
}

export async function datasetResult(dir: string): Promise<CellResult> {
  fs.mkdirSync(path.join(dir, 'thumbnails'), { recursive: true });
  const images = [];
  for (let i = 0; i < 6; i++) {
    const f = path.join(dir, 'thumbnails', `${i}.webp`);
    await sharp(await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 40 * i, g: 120, b: 200 - 30 * i } } }).png().toBuffer()).webp().toFile(f);
    images.push({ path: f, caption: `data/img${i}.png` });
  }
  const buckets = [{ family: 'sd15', width: 512, height: 512, count: 4, perEpoch: 40 }, { family: 'sd15', width: 576, height: 448, count: 2, perEpoch: 20 }];
  return {
    cell: 1, kind: 'dataset', name: 'original', cached: false, seconds: 0.8, artifacts: { report: path.join(dir, 'report.json') }, figures: { images: 6 },
    display: { title: 'dataset original', markdown: '**6** images (60 per epoch with repeats) from `data/a`; 6 captioned.', images,
      data: { type: 'dataset', counts: { images: 6 }, buckets, problems: [] } },
  };
}
