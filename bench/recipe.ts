// Benchmark: deserialize + validate + serialize of a 500-cell recipe (target ≤ 100 ms on the 2-core CI box).
// Prints the median of repeated runs, and the same for the example recipe as a reference in this process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecipeText, serializeRecipe, validateRecipe } from '../extension/core/recipe';

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
