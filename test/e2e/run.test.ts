// Running a recipe in the real workbench with the real engine (Python worker, tiny model, CPU): Run All runs
// every cell in order with its output, a training cell stops on cancel (and Stop Execution drops the cells
// waiting behind it), a reopened notebook shows its outputs again from the cache without running anything, a
// killed worker fails its cell and is replaced on the next run, and Clear Cache leaves nothing to restore.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseRecipeText } from '../../extension/core/recipe/index.js';
import { tinyRecipe } from '../fixtures/tinyRecipe';
import { REPO_ROOT } from './lib/paths';
import { extensionChannelLogs, useSession } from './lib/session';
import type { CellOutput, Workbench } from './lib/workbench';

const KERNEL = /LoRA Bias engine/;
const NAME = 'run-e2e.lorabias';

// recipes/data beside the recipe; few steps: the CPU is shared
const RECIPE = tinyRecipe({ copierSteps: 3, targetSteps: 3 });

/** The cell added to cancel: far too many steps to finish during the test. */
const SLOW_BIAS = `bias:
  name: slow
  model: base
  dataset: a
  rank: 4
  steps: 5000
  lr: 1e-3`;

const CELLS = parseRecipeText(RECIPE).cells;
const kindOf = (i: number) => /^(\w+):/.exec(CELLS[i].value)?.[1] ?? '';
const PREVIEW = CELLS.findIndex((c) => c.value.startsWith('preview:'));
const EXPORT = CELLS.findIndex((c) => c.value.startsWith('export:'));

const texts = (outputs: CellOutput[]) => outputs.map((o) => o.text).join('\n');

/** Each cell's outputs, read cell by cell (the notebook list renders rows as they come into view). */
async function allOutputs(wb: Workbench, count: number): Promise<CellOutput[][]> {
  const out: CellOutput[][] = [];
  for (let i = 0; i < count; i++) out.push(await wb.cellOutputs(i));
  return out;
}

/** Pids of the engine workers in this session's code-server process group (the server runs in its own group). */
function enginePids(runDir: string): number[] {
  const group = Number(fs.readFileSync(path.join(runDir, 'code-server.pid'), 'utf8'));
  return execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => !!m && Number(m[2]) === group && /-m lorabias_engine\b/.test(m[3]))
    .map((m) => Number(m[1]));
}

describe('running a recipe in the workbench', { timeout: 420_000 }, () => {
  let recipeFile = '';
  const { step } = useSession('run', {
    setUp(workspace) {
      recipeFile = path.join(workspace, 'recipes', NAME);
      fs.writeFileSync(recipeFile, RECIPE);
      // the engine's Python: the repository's venv (scripts/setup-engine.sh makes it), set before the window opens
      const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
      assert.ok(fs.existsSync(python), `${python} is missing: run bash scripts/setup-engine.sh`);
      fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'lorabias.pythonPath': python }, null, 2));
    },
  });

  const finished: CellOutput[][] = [];

  test('Run All runs every cell in order, each with its output; the preview shows its grid and leakage',
    step('run-all', async ({ wb, server }) => {
      await wb.openNotebook(NAME);
      assert.equal(await wb.cellCount(), CELLS.length);
      const t0 = Date.now();
      await wb.runAll(KERNEL);
      // the status bar follows the engine while it works
      await wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /LoRA Bias: (starting|busy|ready)/ }).first()
        .waitFor({ timeout: 60_000 });
      await wb.screenshot('run-all-started');
      // the last cell finishing means all of them did (one queue, in order)
      const last = await wb.waitForCellOutputs(EXPORT, (o) => /slider\.safetensors/.test(texts(o)), 200_000);
      const seconds = (Date.now() - t0) / 1000;
      assert.match(texts(last), /slider\.safetensors/, `export output: ${JSON.stringify(last)}`);
      await wb.screenshot('run-all-done');

      const orders: number[] = [];
      for (let i = 0; i < CELLS.length; i++) {
        const state = await wb.cellRunState(i);
        assert.equal(state.status, 'success', `cell ${i + 1} (${kindOf(i)}): ${JSON.stringify(state)}`);
        assert.ok(state.order !== undefined, `cell ${i + 1} shows its execution order`);
        orders.push(state.order);
      }
      assert.deepEqual(orders, [...orders].sort((a, b) => a - b), `execution orders increase down the notebook: ${orders}`);
      assert.equal(new Set(orders).size, orders.length, `one order per cell: ${orders}`);
      // the engine log says what the runner did: one request for all cells, each started once, in order
      const runLines = async () => {
        for (let i = 0; i < 20; i++) {
          const lines = extensionChannelLogs(server.runDir).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter((l) => l.startsWith('[run] '));
          if (lines.filter((l) => / starts \[/.test(l)).length >= CELLS.length) return lines;
          await wb.page.waitForTimeout(500); // output channels reach their files a moment later
        }
        return [];
      };
      const expected = [`[run] run requested: cells ${CELLS.map((_, i) => i + 1).join(', ')} of ${NAME} (queued: none)`,
        ...CELLS.map((_, i) => `[run] cell ${i + 1} starts [${orders[i]}]`)];
      assert.deepEqual(await runLines(), expected);

      finished.push(...await allOutputs(wb, CELLS.length));
      for (const [i, outputs] of finished.entries()) {
        assert.ok(outputs.length > 0 && texts(outputs).length > 0, `cell ${i + 1} (${kindOf(i)}) has an output`);
        assert.doesNotMatch(texts(outputs), /step \d+\/\d+ ·|working…/, `cell ${i + 1}'s progress was replaced by its result`);
      }
      assert.match(texts(finished[0]), /base/);
      assert.match(texts(finished[1]), /1 images?/);
      const preview = finished[PREVIEW];
      assert.match(texts(preview), /leakage ratio/i, 'the leakage table');
      assert.match(texts(preview), /slider/);
      const images = preview.flatMap((o) => o.images);
      assert.ok(images.some((im) => im.loaded && im.width > 16), `the grid shows: ${JSON.stringify(images)}`);
      console.log(`preview: ${preview.length} outputs, images ${JSON.stringify(images)}`);
      assert.ok(fs.existsSync(path.join(path.dirname(recipeFile), 'out', 'slider.safetensors')));

      // idle again: the status bar says where the engine runs
      await wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /LoRA Bias: ready on CPU/ }).first()
        .waitFor({ timeout: 30_000 });
      await wb.cell(PREVIEW);
      await wb.screenshot('preview-output');
      console.log(`run all: ${seconds.toFixed(1)} s`);
    }));

  test('stopping a training cell mid-way ends it as Cancelled within seconds; other outputs stay',
    step('cancel', async ({ wb }) => {
      const slow = CELLS.length;
      // a new cell after the last one, with a bias that would train for minutes
      await wb.cell(EXPORT);
      await wb.focusCellEnd(EXPORT);
      await wb.page.keyboard.press('Escape');
      await wb.runCommand('Notebook: Insert Code Cell Below');
      await wb.page.waitForTimeout(300);
      assert.equal(await wb.cellCount(), CELLS.length + 1);
      await wb.typeInCell(slow, SLOW_BIAS);
      await wb.page.keyboard.press('Escape');
      await wb.runCell(slow);
      const progress = await wb.waitForCellOutputs(slow, (o) => /step \d+\/5000/.test(texts(o)), 90_000);
      assert.match(texts(progress), /step \d+\/5000/, `live progress: ${JSON.stringify(progress)}`);
      assert.equal((await wb.cellRunState(slow)).status, 'running');
      await wb.showCellOutputs(slow);
      await wb.screenshot('training-progress');

      // the cell's stop button (where Run was)
      const t0 = Date.now();
      await wb.stopCell(slow);
      const ended = await wb.waitForCellOutputs(slow, (o) => /Cancelled/.test(texts(o)), 30_000);
      const seconds = (Date.now() - t0) / 1000;
      await wb.showCellOutputs(slow);
      await wb.screenshot('cancelled');
      assert.match(texts(ended), /Cancelled/, JSON.stringify(ended));
      assert.ok(seconds < 10, `cancelled after ${seconds.toFixed(1)} s`);
      assert.equal((await wb.cellRunState(slow)).status, 'error');
      console.log(`cancel: ${seconds.toFixed(1)} s`);

      const after = await allOutputs(wb, CELLS.length);
      assert.deepEqual(after.map(texts), finished.map(texts), 'the other cells keep their outputs');
      // saved, so the notebook closes without asking
      assert.deepEqual(await wb.save(), { saved: true });
    }));

  test('a reopened notebook shows its finished cells\' outputs from the cache without running them',
    step('reopen', async ({ wb }) => {
      await wb.closeActiveEditor();
      await wb.page.locator('.notebookOverlay.notebook-editor').filter({ visible: true }).first()
        .waitFor({ state: 'hidden', timeout: 10_000 });
      await wb.openNotebook(NAME);
      await wb.pickKernelIfAsked(KERNEL, 1_000);
      const restored = await wb.waitForCellOutputs(EXPORT, (o) => /slider\.safetensors/.test(texts(o)), 30_000);
      await wb.screenshot('reopened');
      assert.match(texts(restored), /slider\.safetensors/);
      for (let i = 0; i < CELLS.length; i++) {
        const outputs = await wb.cellOutputs(i);
        assert.ok(texts(outputs).length > 0, `cell ${i + 1} (${kindOf(i)}) has its output back`);
        assert.match(texts(outputs), /cached/, `cell ${i + 1}'s output comes from the cache: ${texts(outputs)}`);
      }
      assert.equal((await wb.cellOutputs(CELLS.length)).length, 0, 'the cancelled cell left nothing to restore');

      // a fresh window: the extension host starts again and must not need the engine to show the outputs
      await wb.reloadWindow();
      await wb.openNotebook(NAME);
      await wb.pickKernelIfAsked(KERNEL, 1_000);
      const again = await wb.waitForCellOutputs(PREVIEW, (o) => /leakage ratio/i.test(texts(o)), 60_000);
      await wb.screenshot('reloaded');
      assert.match(texts(again), /leakage ratio/i);
      assert.ok(again.flatMap((o) => o.images).some((im) => im.loaded), 'the grid thumbnail is back');
      for (let i = 0; i < CELLS.length; i++) {
        const state = await wb.cellRunState(i);
        assert.equal(state.order, undefined, `cell ${i + 1} was not run: ${JSON.stringify(state)}`);
        assert.notEqual(state.status, 'running');
      }
      assert.deepEqual(await wb.statusBarItems(/LoRA Bias: (starting|busy|ready)/), [], 'the engine was not started');
    }));

  test('"Stop Execution" stops the running cell and drops the one waiting behind it, which keeps its output',
    step('stop-all', async ({ wb }) => {
      const slow = CELLS.length;
      await wb.runCell(slow);
      const progress = await wb.waitForCellOutputs(slow, (o) => /step \d+\/5000/.test(texts(o)), 90_000);
      assert.match(texts(progress), /step \d+\/5000/);
      const exportBefore = texts(await wb.cellOutputs(EXPORT));
      await wb.runCell(EXPORT);
      assert.equal((await wb.cellRunState(EXPORT)).status, 'pending', 'one cell at a time: export waits');
      await wb.screenshot('waiting');
      await wb.stopAll();
      const ended = await wb.waitForCellOutputs(slow, (o) => /Cancelled/.test(texts(o)), 30_000);
      assert.match(texts(ended), /Cancelled/);
      await wb.page.waitForTimeout(1_000);
      await wb.screenshot('stopped-all');
      const state = await wb.cellRunState(EXPORT);
      assert.equal(state.status, 'idle', `the waiting cell never ran: ${JSON.stringify(state)}`);
      assert.equal(state.order, undefined);
      assert.equal(texts(await wb.cellOutputs(EXPORT)), exportBefore, 'and it keeps its output');
    }));

  test('a worker killed mid-training fails its cell (E_ENGINE_DIED) and the status bar says stopped; the next run starts a new one',
    step('engine-died', async ({ wb, server }) => {
      const slow = CELLS.length;
      await wb.runCell(slow);
      await wb.waitForCellOutputs(slow, (o) => /step \d+\/5000/.test(texts(o)), 90_000);
      const [pid, ...more] = enginePids(server.runDir);
      assert.ok(pid && more.length === 0, `one engine worker: ${[pid, ...more]}`);
      process.kill(pid, 'SIGKILL');
      const failed = await wb.waitForCellOutputs(slow, (o) => /E_ENGINE_DIED/.test(texts(o)), 30_000);
      await wb.showCellOutputs(slow);
      await wb.screenshot('engine-died');
      assert.match(texts(failed), /E_ENGINE_DIED/, JSON.stringify(failed));
      assert.match(texts(failed), /killed/);
      assert.equal((await wb.cellRunState(slow)).status, 'error');
      await wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /LoRA Bias: stopped/ }).first().waitFor({ timeout: 10_000 });

      await wb.runCell(slow);
      await wb.waitForCellOutputs(slow, (o) => /step \d+\/5000/.test(texts(o)), 90_000);
      const fresh = enginePids(server.runDir);
      assert.equal(fresh.length, 1);
      assert.notEqual(fresh[0], pid, 'a new worker');
      await wb.stopCell(slow);
      await wb.waitForCellOutputs(slow, (o) => /Cancelled/.test(texts(o)), 30_000);
    }));

  test('"Clear Cache of This Recipe" removes what the cells made: a reloaded window has no outputs to restore',
    step('clear-cache', async ({ wb }) => {
      await wb.runCommand('LoRA Bias: Clear Cache of This Recipe');
      const message = await wb.waitForNotification(/LoRA Bias: removed \d+ cached cells?/);
      assert.match(message, new RegExp(`removed ${CELLS.length} cached cells of recipes/${NAME}`), message);
      await wb.reloadWindow();
      await wb.openNotebook(NAME);
      const outputs = await wb.waitForCellOutputs(EXPORT, (o) => o.length > 0, 5_000);
      await wb.screenshot('cache-cleared');
      assert.deepEqual(outputs, [], 'nothing restored');
      assert.deepEqual(await wb.cellOutputs(0), []);
    }));
});
