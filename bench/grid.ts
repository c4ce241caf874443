// Benchmark: compose a 5×5 preview grid of 1024×1024 PNGs with composeGrid (target ≤ 1.5 s), then build the
// cell's notebook outputs from it (renderer payload with embedded tiles, markdown, fallback PNG; target ≤ 1 MB).
// The pictures are photo-like (smooth shading, shapes and sensor-like noise), so PNG sizes are realistic.
//
//   npx tsx bench/grid.ts [runs]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { composeGrid } from '../extension/core/preview/grid';
import type { CellResult } from '../extension/core/run/types';
import { gridFallbackPng, OUTPUT_BUDGET, resultPayload } from '../extension/vscode/outputPayload';

const N = 5;
const SIZE = 1024;
const runs = Number(process.argv[2] ?? 3);

async function picture(file: string, r: number, c: number): Promise<void> {
  const px = Buffer.alloc(SIZE * SIZE * 3);
  let seed = 1 + r * 31 + c * 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const cx = SIZE * (0.35 + 0.06 * c);
  const cy = SIZE * 0.5;
  const rad = SIZE * (0.12 + 0.05 * r);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = 3 * (y * SIZE + x);
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < rad * rad;
      const n = (rand() - 0.5) * 12;
      const shade = 0.5 + 0.5 * Math.sin(x / 97 + c) * Math.cos(y / 131 + r);
      px[i] = Math.max(0, Math.min(255, (inside ? 200 : 60 + 120 * shade) + n));
      px[i + 1] = Math.max(0, Math.min(255, (inside ? 40 + 30 * shade : 90 + 80 * (y / SIZE)) + n));
      px[i + 2] = Math.max(0, Math.min(255, (inside ? 50 : 140 + 60 * shade) + n));
    }
  }
  await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(file);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-bench-grid-'));
  try {
    const weights = [-1, -0.5, 0, 0.5, 1];
    const seeds = [1, 2, 3, 4, 5];
    fs.mkdirSync(path.join(dir, 'images', 'slider'), { recursive: true });
    const rel = weights.map((w) => seeds.map((s) => path.join('images', 'slider', `w${w}_s${s}.png`)));
    await Promise.all(rel.flatMap((row, r) => row.map((f, c) => picture(path.join(dir, f), r, c))));
    const inputBytes = rel.flat().reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const rowLabels = weights.map((w) => `slider ${w >= 0 ? '+' : ''}${w}`);
    const colLabels = seeds.map((s) => `seed ${s}\n1girl, solo, sweater, upper body, looking at viewer`);
    const grid = path.join(dir, 'grid.png');
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await composeGrid({ images: rel.map((row) => row.map((f) => path.join(dir, f))), rowLabels, colLabels, comment: 'recipe bench.lorabias, cell 7' }, grid);
      times.push((performance.now() - t0) / 1000);
    }
    const meta = await sharp(grid).metadata();
    times.sort((a, b) => a - b);
    console.log(`composeGrid 5×5 of 1024² PNGs (${(inputBytes / 1e6).toFixed(1)} MB in): median ${times[Math.floor(times.length / 2)].toFixed(2)} s, best ${times[0].toFixed(2)} s over ${runs} runs (target ≤ 1.5 s); grid ${meta.width}×${meta.height}, ${(fs.statSync(grid).size / 1e6).toFixed(1)} MB`);

    const result: CellResult = {
      cell: 7, kind: 'preview', cached: false, seconds: 1,
      artifacts: { grid, images: path.join(dir, 'images.json') },
      figures: { images: 25, loras: ['slider'], weights, prompts: ['1girl'], seeds, leakage: [{ lora: 'slider', ratio: 0.05, intended: 0.2, unintended: 0.01 }] },
      display: { title: 'preview of slider', markdown: '25 images', images: [{ path: grid, caption: 'grid' }], data: { rowLabels, colLabels, images: rel } },
    };
    const t0 = performance.now();
    const payload = await resultPayload(result);
    const json = Buffer.byteLength(JSON.stringify(payload));
    const markdown = Buffer.byteLength(`**${payload.title}**\n\n${result.display.markdown}`);
    const png = (await gridFallbackPng(grid)).length;
    const seconds = (performance.now() - t0) / 1000;
    const total = json + markdown + png;
    const t1 = performance.now();
    await resultPayload(result);
    const again = (performance.now() - t1) / 1000;
    console.log(`cell output: ${(total / 1024).toFixed(0)} KB (renderer JSON ${(json / 1024).toFixed(0)} KB with ${payload.data.thumbSize}-px tiles, fallback PNG ${(png / 1024).toFixed(0)} KB, markdown ${markdown} B), built in ${seconds.toFixed(2)} s, rebuilt (reopened notebook) in ${again.toFixed(2)} s (target ≤ 1 MB: ${total <= OUTPUT_BUDGET ? 'met' : 'MISSED'})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
