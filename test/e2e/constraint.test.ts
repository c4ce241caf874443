// Run All over a bias whose `until:` constraint cannot hold (fidelity 0.999 in 3 steps), in the real workbench with
// the real engine: the bias cell fails saying the measured value and the bar, it trains once, and each cell that
// needs it is skipped with "skipped: upstream cell 4 (bias copier) failed" instead of training it again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseRecipeText } from '../../extension/core/recipe/index.js';
import { tinyRecipe } from '../fixtures/tinyRecipe';
import { REPO_ROOT } from './lib/paths';
import { extensionChannelLogs, useSession } from './lib/session';
import type { CellOutput } from './lib/workbench';

const KERNEL = /LoRA Bias engine/;
const NAME = 'constraint-e2e.lorabias';
const RECIPE = tinyRecipe({ copierSteps: 3, targetSteps: 3, until: '{ fidelity: 0.999, every: 3, seeds: [1] }' });
const CELLS = parseRecipeText(RECIPE).cells;
const COPIER = CELLS.findIndex((c) => c.value.startsWith('bias:'));
const EXPORT = CELLS.findIndex((c) => c.value.startsWith('export:'));
const texts = (outputs: CellOutput[]) => outputs.map((o) => o.text).join('\n');

describe('Run All over a bias that does not hold', { timeout: 420_000 }, () => {
  const { step } = useSession('constraint', {
    setUp(workspace) {
      fs.writeFileSync(path.join(workspace, 'recipes', NAME), RECIPE);
      const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
      assert.ok(fs.existsSync(python), `${python} is missing: run bash scripts/setup-engine.sh`);
      fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'lorabias.pythonPath': python }, null, 2));
    },
  });

  test('the bias fails with its figures, trains once, and the cells after it are skipped naming it', step('constraint-run-all', async ({ wb, server }) => {
    await wb.openNotebook(NAME);
    await wb.runAll(KERNEL);
    const last = await wb.waitForCellOutputs(EXPORT, (o) => /skipped/i.test(texts(o)), 200_000);
    await wb.screenshot('constraint-run-all');
    assert.match(texts(last), /skipped: upstream cell 4 \(bias copier\) failed/);
    const bias = texts(await wb.cellOutputs(COPIER));
    assert.match(bias, /E_CONSTRAINT/);
    assert.match(bias, /fidelity 0?\.\d+ after 3 steps is below the bar 0\.999/);
    assert.match(bias, /on_fail: continue/);
    for (let i = COPIER + 1; i < CELLS.length; i++) {
      assert.match(texts(await wb.cellOutputs(i)), /skipped: upstream cell 4 \(bias copier\) failed/, `cell ${i + 1}`);
      assert.equal((await wb.cellRunState(i)).status, 'error', `cell ${i + 1} ends as not run`);
    }
    // the engine log: the copier started once, and never again for the cells that need it
    const lines = extensionChannelLogs(server.runDir).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter((l) => l.startsWith('[run] '));
    assert.equal(lines.filter((l) => l.startsWith(`[run] cell ${COPIER + 1} `) && /starts|runs for/.test(l)).length, 1, lines.join('\n'));
  }));
});
