// Running recipes against the real engine (Python worker, tiny model, CPU): the CLI end to end, the cache,
// cancel, and a worker killed mid-training.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { engineVersion } from '../../extension/core/engine/locate';
import { EngineSession } from '../../extension/core/engine/session';
import { parseRecipeText } from '../../extension/core/recipe';
import { CellCache } from '../../extension/core/run/cache';
import { CellFailed, defaultCacheRoot, runRecipe } from '../../extension/core/run/executor';
import { computeKeys } from '../../extension/core/run/keys';
import type { RunEvent } from '../../extension/core/run/types';
import { tinyRecipe } from '../fixtures/tinyRecipe';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const python = path.join(root, '.venv/bin/python');
let dir: string;
const recipe = () => path.join(dir, 'r.lorabias');

// 6 copier steps do not reach fidelity 0.99: these runs go on over the copier as it is (`on_fail: continue`);
// test/integration/constraint.test.ts checks the default, which stops
const RECIPE = tinyRecipe({ copierSteps: 6, targetSteps: 4, until: '{ fidelity: 0.99, every: 3, seeds: [1] }', onFail: 'continue' });

function run(...args: string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: python } });
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), err: r.stderr, ms: performance.now() - t0 };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-run-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(recipe(), RECIPE);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lorabias run (real engine, tiny model, CPU)', () => {
  it('runs model → datasets → bias → target → preview → export and reports each cell as JSON', () => {
    const r = run('run', '--json', 'r.lorabias');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.lines.map((l) => [l.kind, l.cached]), [['model', false], ['dataset', false], ['dataset', false], ['bias', false], ['target', false], ['preview', false], ['export', false]]);
    const bias = r.lines[3];
    assert.equal(bias.steps, 6);
    assert.equal(bias.fidelity.target, 0.99);
    assert.equal(typeof bias.fidelity.value, 'number');
    const preview = r.lines[5];
    assert.equal(preview.images, 2);
    assert.ok(fs.statSync(preview.artifacts.grid).size > 1000);
    assert.equal(preview.leakage.length, 1, 'leakage of the previewed LoRA, measured against where a2 differs from a');
    assert.equal(preview.leakage[0].lora, 'slider');
    assert.ok(Number.isFinite(preview.leakage[0].ratio) && preview.leakage[0].intended >= 0);
    // on tiny-shapes the engine reads the shapes back: one row per LoRA and weight ≠ 0
    assert.deepEqual(preview.shapesLeakage.map((l: { lora: string; weight: number }) => [l.lora, l.weight]), [['slider', 1]]);
    assert.ok(preview.shapesLeakage[0].pairs >= 1 && 'backgroundChange' in preview.shapesLeakage[0]);
    const out = path.join(dir, 'out/slider.safetensors');
    assert.equal(r.lines[6].artifacts.lora, out);
    const bytes = fs.readFileSync(out);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    const keys = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.ok(keys.length > 0 && keys.every((k) => /^lora_(unet|te\d?)_.*\.(lora_down\.weight|lora_up\.weight|alpha)$/.test(k)), keys.slice(0, 3).join(', '));
    assert.equal(header.__metadata__.lorabias_cell, 'slider');
  });

  it('uses a `file:` bias in `over:` without `model:`, previews it, and exports with the fields sd-scripts defines', () => {
    // the LoRA exported by the run above, used as an existing file: its cell knows its model from `model:`
    fs.writeFileSync(path.join(dir, 'f.lorabias'), `model:
  name: base
  checkpoint: builtin:tiny-shapes
---
dataset:
  name: a2
  images: data/large-circle
---
bias:
  name: given
  model: base
  file: out/slider.safetensors
  weight: 0.5
---
target:
  name: over-file
  over: [given]
  dataset: a2
  rank: 2
  conv_rank: 1
  steps: 2
---
preview:
  lora: given
  weights: [0, 1]
  prompts: ["circle, red, large, white background"]
  seeds: [1]
  steps: 3
---
export:
  lora: over-file
  to: out/over-file.safetensors
  dtype: fp32
`);
    const r = run('run', '--json', 'f.lorabias');
    assert.equal(r.code, 0, r.err + JSON.stringify(r.lines));
    assert.deepEqual(r.lines.map((l) => l.kind), ['model', 'dataset', 'bias', 'target', 'preview', 'export']);
    assert.equal(r.lines[2].artifact.model, 'base');
    assert.deepEqual(r.lines[3].artifact.over.map((o: { name: string; weight: number }) => [o.name, o.weight]), [['given', 0.5]]);
    assert.equal(r.lines[4].images, 2);
    const bytes = fs.readFileSync(path.join(dir, 'out/over-file.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    const meta = header.__metadata__;
    assert.equal(meta.sshs_model_hash, createHash('sha256').update(bytes.subarray(8 + n)).digest('hex'), 'sha256 of the bytes after the header');
    assert.match(meta.sshs_legacy_hash, /^[0-9a-f]{8}$/);
    assert.equal(meta['modelspec.resolution'], '32x32');
    assert.match(meta['modelspec.date'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.deepEqual(JSON.parse(meta.ss_network_args), { conv_dim: '1', conv_alpha: '1.0' });
    const dtypes = new Set(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { dtype: string }).dtype));
    assert.deepEqual([...dtypes], ['F32']);
    assert.equal(JSON.parse(meta.lorabias_bias)[0].name, 'given');
  });

  it('runs an unchanged recipe again without the engine (a Python that does not exist is never needed), in under a second', () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'run', '--json', 'r.lorabias'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: '/nonexistent/python' } });
    const ms = performance.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.every((l) => l.cached === true));
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });

  it('prints a bias constraint that did not hold on the terminal too, not only in the notebook', () => {
    const r = spawnSync(process.execPath, [cli, 'run', 'r.lorabias'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: '/nonexistent/python' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /r\.lorabias:\d+: bias copier — cached: .*\n  ⚠ fidelity [\d.]+ did not reach 0\.99: the bias does not hold/);
  });

  it('reruns only an edited cell and the cells that use it', () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 6, targetSteps: 3, until: '{ fidelity: 0.99, every: 3, seeds: [1] }', onFail: 'continue' }));
    const r = run('run', '--json', 'r.lorabias');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.lines.map((l) => `${l.kind}:${l.cached}`), ['model:true', 'dataset:true', 'dataset:true', 'bias:true', 'target:false', 'preview:false', 'export:false']);
    assert.equal(r.lines[4].steps, 3);
  });

  it('stops a training cell within 2 s of cancel and leaves no artifact a later run could take for finished', async () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 400, targetSteps: 4 }));
    const cells = parseRecipeText(fs.readFileSync(recipe(), 'utf8')).cells;
    const session = new EngineSession({ python, searchDirs: [] });
    const ac = new AbortController();
    let abortedAt = 0;
    const events: RunEvent[] = [];
    try {
      await assert.rejects(runRecipe({
        recipePath: recipe(), cells, only: ['copier'], engineVersion: engineVersion(), engine: () => session.get(), signal: ac.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'progress' && !abortedAt && Number(e.data.step) >= 2) { abortedAt = performance.now(); ac.abort(); }
        },
      }), (e: unknown) => e instanceof CellFailed && e.code === 'E_CANCELLED');
      const ms = performance.now() - abortedAt;
      assert.ok(abortedAt > 0 && ms < 2000, `cancel took ${ms.toFixed(0)} ms`);
      const key = [...(await computeKeys(cells, recipe(), engineVersion())).values()].find((k) => k.name === 'copier')!.key;
      assert.equal(new CellCache(defaultCacheRoot(recipe())).lookup(key), undefined);
      assert.equal(session.get().state === 'stopped' || session.get().state === 'ready', true, 'the worker kept serving or was replaced');
    } finally {
      await session.shutdown();
    }
  });

  it('fails the cell cleanly when the worker is killed mid-training, then runs with a fresh worker', async () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 7, targetSteps: 4, until: '{ fidelity: 0.99, every: 3, seeds: [1] }', onFail: 'continue' }));
    const cells = parseRecipeText(fs.readFileSync(recipe(), 'utf8')).cells;
    const session = new EngineSession({ python, searchDirs: [] });
    let killedPid: number | undefined;
    try {
      await assert.rejects(runRecipe({
        recipePath: recipe(), cells, only: ['copier'], engineVersion: engineVersion(), engine: () => session.get(),
        onEvent: (e) => {
          if (e.type === 'progress' && killedPid === undefined) { killedPid = session.get().pid; process.kill(killedPid!, 'SIGKILL'); }
        },
      }), (e: unknown) => e instanceof CellFailed && e.code === 'E_ENGINE_DIED' && /killed \(SIGKILL\)/.test(e.message));
      const results = await runRecipe({ recipePath: recipe(), cells, only: ['copier'], engineVersion: engineVersion(), engine: () => session.get() });
      assert.equal(results[results.length - 1].name, 'copier');
      assert.equal(results[results.length - 1].figures.steps, 7);
      assert.notEqual(session.get().pid, killedPid, 'a new worker process');
    } finally {
      await session.shutdown();
    }
  });
});
