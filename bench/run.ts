// Benchmarks of running recipes (real engine, tiny model, CPU):
//  1. rerun of an unchanged 10-cell recipe, all cached (target ≤ 1 s), in-process and as a `lorabias run` process;
//  2. the second of two identical preview (sample) requests to one running worker vs the first (target ≤ 0.3×).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../extension/core/engine/client';
import { defaultEngineDir, engineVersion } from '../extension/core/engine/locate';
import { EngineSession } from '../extension/core/engine/session';
import { parseRecipeText } from '../extension/core/recipe';
import { runRecipe } from '../extension/core/run/executor';
import { tinyRecipe } from '../test/fixtures/tinyRecipe';

const root = path.resolve(__dirname, '..');
const python = process.env.LORABIAS_PYTHON ?? path.join(root, '.venv/bin/python');

// the shared 7-cell tiny recipe, plus a markdown cell, a naive target and its export: 10 cells
const RECIPE = `markdown: |
  # Ten cells
---
${tinyRecipe({ copierSteps: 2, targetSteps: 2 })}---
target:
  name: naive
  model: base
  dataset: a2
  steps: 2
---
export:
  lora: naive
  to: out/naive.safetensors
`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-bench-run-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
  const recipePath = path.join(dir, 'r.lorabias');
  fs.writeFileSync(recipePath, RECIPE);
  const cells = parseRecipeText(RECIPE).cells;
  const session = new EngineSession({ python, searchDirs: [] });
  const opts = { recipePath, cells, engineVersion: engineVersion(), engine: () => session.get() };
  let t0 = performance.now();
  await runRecipe(opts);
  const first = performance.now() - t0;
  await session.shutdown();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    const r = await runRecipe(opts);
    times.push(performance.now() - t0);
    if (!r.every((c) => c.cached)) throw new Error('a cell was not cached');
  }
  times.sort((a, b) => a - b);
  t0 = performance.now();
  const cli = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'run', recipePath], { encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: '/nonexistent' } });
  const cliMs = performance.now() - t0;
  if (cli.status !== 0) throw new Error(cli.stderr);
  console.log(`${cells.length}-cell recipe: first run ${(first / 1000).toFixed(1)} s; unchanged rerun ${times[2].toFixed(0)} ms in-process (median of 5), ${cliMs.toFixed(0)} ms as a \`lorabias run\` process (target ≤ 1000 ms)`);

  const client = new EngineClient({ python, engineDir: defaultEngineDir() });
  await client.start();
  const params = { checkpoint: 'builtin:tiny-shapes', prompts: ['circle, red, large, white background'], seeds: [1, 2], steps: 20, output_dir: path.join(dir, 'samples') };
  t0 = performance.now();
  await client.request('sample', params);
  const s1 = performance.now() - t0;
  t0 = performance.now();
  await client.request('sample', params);
  const s2 = performance.now() - t0;
  t0 = performance.now();
  await client.request('sample', { ...params, seeds: [3, 4] });
  const s3 = performance.now() - t0;
  await client.shutdown();
  console.log(`identical preview requests to one worker: first ${s1.toFixed(0)} ms (loads the model, samples), second ${s2.toFixed(0)} ms (answered from the images the worker made), ratio ${(s2 / s1).toFixed(2)} (target ≤ 0.3)`);
  console.log(`  for comparison, a preview with other seeds in the warm worker: ${s3.toFixed(0)} ms (model loaded, images sampled), ratio ${(s3 / s1).toFixed(2)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
