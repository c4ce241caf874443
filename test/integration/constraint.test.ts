// A bias whose `until:` constraint fails stops what depends on it (real engine, tiny model, CPU): the copier's
// bar (fidelity 0.999) is out of reach in 3 steps, so the bias cell fails with the measured value and the bar, the
// cells that use it are skipped, `lorabias run` exits 1 — and `on_fail: continue` goes on without training again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { engineVersion } from '../../extension/core/engine/locate';
import { EngineSession } from '../../extension/core/engine/session';
import { parseRecipeText } from '../../extension/core/recipe';
import { CellFailed, CellSkipped, runRecipe, RunFailures } from '../../extension/core/run/executor';
import type { RunEvent } from '../../extension/core/run/types';
import { tinyRecipe } from '../fixtures/tinyRecipe';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const python = path.join(root, '.venv/bin/python');
const UNREACHABLE = '{ fidelity: 0.999, every: 3, seeds: [1] }';
let dir: string;
const recipe = () => path.join(dir, 'r.lorabias');

function run(pythonPath: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: pythonPath } });
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), err: r.stderr };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-constraint-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a bias whose constraint does not hold (real engine, tiny model, CPU)', () => {
  it('fails the bias cell with the measured value, the bar and what to do; skips what uses it; lorabias run exits 1', () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 3, targetSteps: 3, until: UNREACHABLE }));
    const r = run(python, 'run', '--json', 'r.lorabias');
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.lines.slice(0, 3).map((l) => [l.kind, l.error ?? l.skipped]), [['model', undefined], ['dataset', undefined], ['dataset', undefined]]);
    const bias = r.lines[3];
    assert.equal(bias.name, 'copier');
    assert.equal(bias.error.code, 'E_CONSTRAINT');
    assert.match(bias.error.message, /^the bias `copier` does not hold its constraint: fidelity 0?\.\d+ after 3 steps is below the bar 0\.999 /);
    assert.match(bias.error.message, /more `steps:`/);
    assert.match(bias.error.message, /lower the bar/);
    assert.match(bias.error.message, /`on_fail: continue`/);
    assert.deepEqual(r.lines.slice(4).map((l) => [l.kind, l.skipped?.message]), [
      ['target', 'skipped: upstream cell 4 (bias copier) failed'],
      ['preview', 'skipped: upstream cell 4 (bias copier) failed'],
      ['export', 'skipped: upstream cell 4 (bias copier) failed'],
    ]);
    assert.equal(fs.existsSync(path.join(dir, 'out/slider.safetensors')), false, 'nothing was exported');
    assert.match(r.err, /r\.lorabias:\d+:1: error: the bias `copier` does not hold its constraint/);
    assert.match(r.err, /r\.lorabias:\d+:1: skipped: skipped: upstream cell 4 \(bias copier\) failed/);
    assert.match(r.err, /1 cell failed: cell 4 \(bias copier\)/);
  });

  it('fails again at once on the next run, from the cache: the bias is not trained again (no Python needed)', () => {
    const r = run('/nonexistent/python', 'run', '--json', 'r.lorabias');
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.lines.slice(0, 3).map((l) => l.cached), [true, true, true]);
    assert.equal(r.lines[3].error.code, 'E_CONSTRAINT', 'the engine (a Python that does not exist) was never needed');
    assert.match(r.lines[3].error.message, /fidelity 0?\.\d+ after 3 steps is below the bar 0\.999/);
  });

  it('in one run of several cells (Run All), the failed bias trains once and each later cell is skipped naming it', async () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 3, targetSteps: 3, until: UNREACHABLE }));
    const cells = parseRecipeText(fs.readFileSync(recipe(), 'utf8')).cells;
    const session = new EngineSession({ python, searchDirs: [] });
    const failures = new RunFailures();
    const cacheRoot = path.join(dir, 'fresh-cache');
    const started: number[] = [];
    const onEvent = (e: RunEvent) => { if (e.type === 'start' && !e.cached) started.push(e.cell); };
    const job = (cell: string | number) => runRecipe({ recipePath: recipe(), cells, only: [cell], engineVersion: engineVersion(), engine: () => session.get(), cacheRoot, failures, onEvent });
    try {
      await assert.rejects(job('copier'), (e: unknown) => e instanceof CellFailed && e.code === 'E_CONSTRAINT' && e.cell === 3);
      // the target by name; the preview and the export (no names) by index
      for (const cell of ['slider', 5, 6]) {
        await assert.rejects(job(cell), (e: unknown) => e instanceof CellSkipped && e.upstream === 3 && e.message === 'skipped: upstream cell 4 (bias copier) failed');
      }
      // dataset a2 is only needed by the skipped target: it does not run either
      assert.deepEqual(started, [0, 1, 3], 'model, dataset a and the copier ran once; nothing ran for the skipped cells');
    } finally {
      await session.shutdown();
    }
  });

  it('with `on_fail: continue` the same copier is used as it is (from the cache) and the rest runs', () => {
    fs.writeFileSync(recipe(), tinyRecipe({ copierSteps: 3, targetSteps: 3, until: UNREACHABLE, onFail: 'continue' }));
    const r = run(python, 'run', '--json', 'r.lorabias');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.lines.map((l) => `${l.kind}:${l.cached}`), ['model:true', 'dataset:true', 'dataset:true', 'bias:true', 'target:false', 'preview:false', 'export:false']);
    assert.equal(r.lines[3].fidelity.held, false);
    assert.ok(fs.existsSync(path.join(dir, 'out/slider.safetensors')));
  });
});
