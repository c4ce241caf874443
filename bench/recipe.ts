// Benchmark: deserialize + validate + serialize of a 500-cell recipe (target ≤ 100 ms on the 2-core CI box).
// Prints the median of repeated runs, and the same for the example recipe as a reference in this process.
// Then saving alone (serialize + encode, what VS Code waits for on Ctrl+S) of a 2 MB recipe (target ≤ 100 ms),
// and the ratio of its time to that of a quarter of it: ~4 when saving is linear, ~16 when it is quadratic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecipe, parseRecipeText, serializeRecipe, validateRecipe } from '../extension/core/recipe';

const example = fs.readFileSync(path.join(__dirname, '../recipes/copier-slider.lorabias'), 'utf8');
const cells: string[] = ['model:\n  name: base\n  checkpoint: builtin:tiny-shapes   # the model'];
for (let i = 0; cells.length < 500; i++) {
  cells.push(`dataset:\n  name: d${i}\n  images: data/d${i}   # folder`);
  cells.push(`bias:\n  name: b${i}\n  model: base\n  dataset: d${i}\n  lock: everything\n  rank: 16\n  steps: 600\n  until: { fidelity: 0.9 }`);
  cells.push(`target:\n  name: t${i}\n  over: [b${i}]\n  dataset: d${i}\n  rank: 4\n  steps: 500`);
  cells.push(`preview:\n  lora: t${i}\n  weights: [-1, -0.5, 0, 0.5, 1]\n  prompts: ["1girl, solo, sweater"]\n  seeds: [1, 2, 3]`);
  cells.push(`export:\n  lora: t${i}\n  to: out/t${i}.safetensors`);
}
const big = cells.slice(0, 500).join('\n---\n') + '\n';

function once(text: string): number {
  const t0 = performance.now();
  const file = parseRecipeText(text);
  const problems = validateRecipe(file.cells, { recipePath: '/r/recipe.lorabias', exists: () => true });
  const out = serializeRecipe(file);
  const ms = performance.now() - t0;
  if (out !== text) throw new Error('round trip changed the text');
  if (problems.length) throw new Error(`unexpected problems: ${problems[0].message}`);
  return ms;
}

function median(text: string, runs: number): number {
  once(text); // warm-up: schema compilation, JIT
  const t = Array.from({ length: runs }, () => once(text)).sort((a, b) => a - b);
  return t[Math.floor(runs / 2)];
}

const small = median(example, 50);
const large = median(big, 15);
console.log(`recipe: ${big.split("\n---\n").length} cells, ${(big.length / 1024).toFixed(0)} KB`);
console.log(`deserialize + validate + serialize, 500 cells: ${large.toFixed(1)} ms (target ≤ 100 ms)`);
console.log(`same for the 8-cell example recipe:           ${small.toFixed(2)} ms (ratio ${(large / small).toFixed(0)}×)`);

// Saving a 2 MB recipe (the largest the editor opens), made of the same cells repeated with fresh names.
function recipeOfBytes(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const cell = cells[i % cells.length].replace(/\b([dbt])(\d+)\b/g, `$1$2x${Math.floor(i / cells.length)}`);
    out.push(cell);
    size += cell.length + 5;
  }
  return out.join('\n---\n') + '\n';
}

/** Median wall time and fastest CPU time of a save (CPU time is what a busy shared machine disturbs least). */
function saveMs(text: string, runs: number): { wall: number; cpu: number } {
  const file = parseRecipeText(text);
  const wall: number[] = [];
  let cpu = Infinity;
  for (let k = 0; k <= runs; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const bytes = encodeRecipe(serializeRecipe(file));
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (bytes.length !== Buffer.byteLength(text)) throw new Error('save changed the text');
    if (k === 0) continue; // warm-up
    wall.push(t);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall: wall.sort((a, b) => a - b)[Math.floor(runs / 2)], cpu };
}

const full = recipeOfBytes(2 * 1024 * 1024);
const quarter = recipeOfBytes(512 * 1024);
const saveFull = saveMs(full, 9);
const saveQuarter = saveMs(quarter, 9);
const count = (t: string) => t.split('\n---\n').length;
const line = (t: string, s: { wall: number; cpu: number }) =>
  `save (serialize + encode), ${count(t)} cells, ${(t.length / 1024).toFixed(0)} KB: ${s.wall.toFixed(1)} ms median, ${s.cpu.toFixed(1)} ms CPU fastest`;
console.log(line(full, saveFull) + ' (target ≤ 100 ms)');
console.log(line(quarter, saveQuarter));
console.log(`ratio for 4× the size: ${(saveFull.cpu / saveQuarter.cpu).toFixed(1)}× CPU, ${(saveFull.wall / saveQuarter.wall).toFixed(1)}× wall (linear ≈ 4, quadratic ≈ 16)`);
