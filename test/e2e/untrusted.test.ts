// Workspace Trust: in Restricted Mode a recipe still opens as a notebook, with live diagnostics and
// completion (none of which runs code); running cells will need trust once the runner exists.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { exampleRecipe } from './expectations';
import { useSession } from './lib/session';

describe('recipes in an untrusted workspace', { timeout: 180_000 }, () => {
  const example = exampleRecipe();
  const { step } = useSession('untrusted', {
    workspaceTrust: true,
    prepare: (session) => session.wb.answerTrustPrompt(false),
  });

  test('a recipe opens as a notebook in Restricted Mode and still gets diagnostics', step('restricted', async ({ wb }) => {
    assert.equal(await wb.inRestrictedMode(), true, 'the workspace is untrusted');
    await wb.openNotebook(path.basename(example.file));
    assert.equal(await wb.cellCount(), example.cells.length);
    const bias = example.indexOf('bias');
    await wb.typeInCell(bias, '\n  lokc: style');
    const problems = await wb.readProblems();
    await wb.screenshot('restricted-problems');
    assert.ok(problems.some((p) => p.message.includes('lokc')), JSON.stringify(problems));
  }));
});
