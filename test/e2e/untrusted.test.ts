// Workspace Trust: in Restricted Mode a recipe still opens as a notebook, with live diagnostics and
// completion (none of which runs code); running cells will need trust once the runner exists.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exampleRecipe } from './expectations';
import { type Session, startSession, withScreenshot } from './lib/session';

describe('recipes in an untrusted workspace', { timeout: 180_000 }, () => {
  let session: Session | undefined;
  const s = () => {
    if (!session) throw new Error('the workbench did not start');
    return session;
  };
  const step = (name: string, body: () => Promise<void>) => withScreenshot(() => session, name, body);
  const example = exampleRecipe();

  before(async () => {
    session = await startSession('untrusted', { workspaceTrust: true });
    await session.wb.answerTrustPrompt(false);
  }, { timeout: 150_000 });

  after(async () => {
    await session?.close();
  });

  test('a recipe opens as a notebook in Restricted Mode and still gets diagnostics', step('restricted', async () => {
    const { wb } = s();
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
