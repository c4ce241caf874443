// Workspace Trust: in Restricted Mode a recipe still opens as a notebook, with live diagnostics and
// completion (none of which runs code), but its cells do not run: running starts the Python engine. Nor are its
// input files read to look up cached outputs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseRecipeText } from '../../extension/core/recipe/index.js';
import { engineVersion } from '../../extension/core/engine/locate.js';
import { CellCache } from '../../extension/core/run/cache.js';
import { defaultCacheRoot } from '../../extension/core/run/executor.js';
import { computeKeys } from '../../extension/core/run/keys.js';
import { exampleRecipe } from './expectations';
import { useSession } from './lib/session';

describe('recipes in an untrusted workspace', { timeout: 180_000 }, () => {
  const example = exampleRecipe();
  let cachedKey = '';
  // a finished cell listed in the example's index: Clear Cache must leave it alone untrusted
  const indexedKey = 'c'.repeat(64);
  let cellDir = '';
  const { step } = useSession('untrusted', {
    workspaceTrust: true,
    setUp: (workspace) => {
      const recipe = path.join(workspace, example.file);
      const cache = new CellCache(path.join(path.dirname(recipe), '.lorabias'));
      cache.begin(indexedKey).commit({ kind: 'bias', recipe, engine: 'e', createdAt: 'now', seconds: 1, files: {}, figures: {}, display: { title: 't', markdown: 'm' } });
      cache.record(recipe, [indexedKey]);
      cellDir = cache.dir(indexedKey);
    },
    prepare: async (session) => {
      await session.wb.answerTrustPrompt(false);
      // a finished model cell in the recipe's cache, which a trusted workspace would show when the recipe opens
      const recipe = path.join(session.workspace, example.file);
      const cells = parseRecipeText(fs.readFileSync(recipe, 'utf8')).cells;
      const model = example.indexOf('model');
      cachedKey = (await computeKeys(cells, recipe, engineVersion(), { only: [model] })).get(model)!.key;
      const work = new CellCache(defaultCacheRoot(recipe)).begin(cachedKey);
      work.commit({ kind: 'model', recipe, engine: engineVersion(), createdAt: new Date().toISOString(), seconds: 0, files: {}, figures: {},
        display: { title: 'model', markdown: 'restored from the cache' } });
    },
  });

  test('a recipe opens as a notebook in Restricted Mode and still gets diagnostics', step('restricted', async ({ wb }) => {
    assert.equal(await wb.inRestrictedMode(), true, 'the workspace is untrusted');
    await wb.openNotebook(path.basename(example.file));
    assert.equal(await wb.cellCount(), example.cells.length);
    const bias = example.indexOf('bias');
    await wb.typeInCell(bias, '\n  rnak: 4');
    const problems = await wb.readProblems();
    await wb.screenshot('restricted-problems');
    assert.ok(problems.some((p) => p.message.includes('rnak')), JSON.stringify(problems));
  }));

  test('no cached output is looked up before the workspace is trusted', step('no-restore', async ({ wb, workspace }) => {
    const recipe = path.join(workspace, example.file);
    assert.ok(new CellCache(defaultCacheRoot(recipe)).lookup(cachedKey), 'the cache holds a finished model cell');
    await wb.page.waitForTimeout(3_000); // longer than a restore takes in a trusted workspace
    assert.deepEqual(await wb.cellOutputs(example.indexOf('model')), [], 'its output is not shown');
    assert.equal(fs.existsSync(path.join(defaultCacheRoot(recipe), 'fingerprints')), false, 'no input file was read');
  }));

  test('Run All asks for trust with a clear message and, refused, runs nothing', step('run-refused', async ({ wb }) => {
    await wb.closePanel();
    await wb.runCommand('Notebook: Run All', { opensPicker: true });
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const message = (await dialog.innerText()).trim();
    await wb.screenshot('run-asks-trust');
    assert.match(message, /trust/i, message);
    assert.match(message, /run code/i, message);
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).first().click();
    await dialog.waitFor({ state: 'hidden' });
    await wb.page.waitForTimeout(2_000);
    await wb.screenshot('run-refused');
    assert.equal(await wb.inRestrictedMode(), true, 'still untrusted');
    for (let i = 0; i < example.cells.length; i++) {
      if (example.cells[i].kind !== 'code') continue;
      const state = await wb.cellRunState(i);
      assert.equal(state.order, undefined, `cell ${i + 1} did not run: ${JSON.stringify(state)}`);
      assert.equal(state.status, 'idle', `cell ${i + 1} did not run: ${JSON.stringify(state)}`);
      assert.deepEqual(await wb.cellOutputs(i), [], `cell ${i + 1} has no output`);
    }
    assert.deepEqual(await wb.statusBarItems(/LoRA Bias: (starting|busy|ready)/), [], 'the engine was not started');
  }));

  test('Clear Cache of This Recipe asks for trust and, untrusted, deletes nothing', step('clear-refused', async ({ wb }) => {
    await wb.runCommand('LoRA Bias: Clear Cache of This Recipe');
    const message = await wb.waitForNotification(/trust/i);
    assert.match(message, /Clearing the cache needs a trusted workspace/, message);
    assert.ok(fs.existsSync(path.join(cellDir, 'manifest.json')), 'the cached cell is still there');
  }));
});
