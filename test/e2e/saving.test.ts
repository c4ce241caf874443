// What reaches the disk: opening never writes, saving an edit rewrites only the edited cell (BOM, CRLF, a lone CR
// and separators kept), and a file that is not UTF-8 or far too large opens but is never saved over.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseRecipeText, serializeRecipe } from '../../extension/core/recipe/index.js';
import { exampleRecipe } from './expectations';
import { useSession } from './lib/session';

describe('saving recipe notebooks', { timeout: 180_000 }, () => {
  const example = exampleRecipe();
  let crlfFile = '';
  let crlfBytes = Buffer.alloc(0);
  let loneCrFile = '';
  let loneCrBytes = Buffer.alloc(0);
  let latin1File = '';
  let hugeFile = '';
  let hugeBytes = Buffer.alloc(0);
  // "café" in Latin-1: 0xE9 is not valid UTF-8
  const latin1Bytes = Buffer.concat([Buffer.from('model:\n  name: caf'), Buffer.from([0xe9]), Buffer.from('\n  checkpoint: builtin:tiny-shapes\n')]);

  const { step } = useSession('saving', {
    prepare(session) {
      // a copy of the example with a BOM and Windows line ends, next to the original so its paths still resolve
      const original = fs.readFileSync(path.join(session.workspace, example.file), 'utf8');
      crlfFile = path.join(session.workspace, 'recipes', 'windows-crlf.lorabias');
      // plus what only the cells' round-trip data can restore: a comment on a separator, blank lines after a cell
      const quirky = original.replace(/\n---\n/, '\n--- # the base model\n').replace(/\n---\n(?=dataset:)/, '\n\n\n---\n');
      assert.notEqual(quirky, original);
      crlfBytes = Buffer.from('\uFEFF' + quirky.replace(/\r?\n/g, '\r\n'), 'utf8');
      fs.writeFileSync(crlfFile, crlfBytes);
      // a lone CR inside the model cell, which VS Code shows (and hands back on save) as a line break
      loneCrFile = path.join(session.workspace, 'recipes', 'lone-cr.lorabias');
      const withCr = original.replace(/^model:\n/m, 'model:   # a note\r  # split by a lone CR\n');
      assert.notEqual(withCr, original);
      loneCrBytes = Buffer.from(withCr, 'utf8');
      fs.writeFileSync(loneCrFile, loneCrBytes);
      latin1File = path.join(session.workspace, 'recipes', 'latin1.lorabias');
      fs.writeFileSync(latin1File, latin1Bytes);
      // 3 MB: well past what a recipe could be (a log or a dataset saved under the wrong name)
      hugeFile = path.join(session.workspace, 'recipes', 'huge.lorabias');
      hugeBytes = Buffer.from('model:\n  name: base\n' + '# padding line of a file that is far too large\n'.repeat(64 * 1024));
      fs.writeFileSync(hugeFile, hugeBytes);
    },
  });

  test('opening a recipe does not write it', step('open-no-write', async ({ wb }) => {
    const mtime = fs.statSync(crlfFile).mtimeMs;
    await wb.openNotebook(path.basename(crlfFile));
    await wb.page.waitForTimeout(1000);   // long enough for diagnostics and any (wrong) write to happen
    assert.equal(await wb.isDirty(), false, 'a freshly opened recipe is not dirty');
    assert.ok(fs.readFileSync(crlfFile).equals(crlfBytes), 'same bytes on disk');
    assert.equal(fs.statSync(crlfFile).mtimeMs, mtime);
  }));

  test('saving an edit changes only the edited cell: BOM, CRLF, separator comments and blank lines stay', step('save-edit', async ({ wb }) => {
    const bias = example.indexOf('bias');
    await wb.typeInCell(bias, '\n  # tuned by hand');
    assert.deepEqual(await wb.save(), { saved: true });
    await wb.screenshot('saved');
    const file = parseRecipeText(crlfBytes.toString('utf8'));
    file.cells[bias] = { ...file.cells[bias], value: `${file.cells[bias].value}\n  # tuned by hand` };
    const expected = serializeRecipe(file);
    const written = fs.readFileSync(crlfFile, 'utf8');
    assert.equal(written, expected);
    assert.ok(written.startsWith('\uFEFF'), 'BOM kept');
    assert.doesNotMatch(written.replace(/\r\n/g, ''), /\n/, 'every line end is CRLF');
  }));

  test('a cell holding a lone CR keeps its bytes when another cell is edited and saved', step('lone-cr', async ({ wb }) => {
    await wb.openNotebook(path.basename(loneCrFile));
    const bias = example.indexOf('bias');
    await wb.typeInCell(bias, '\n  # tuned by hand');
    assert.deepEqual(await wb.save(), { saved: true });
    const written = fs.readFileSync(loneCrFile, 'utf8');
    assert.ok(written.includes('model:   # a note\r  # split by a lone CR\n'), 'the lone CR is still there');
    const file = parseRecipeText(loneCrBytes.toString('utf8'));
    file.cells[bias] = { ...file.cells[bias], value: `${file.cells[bias].value}\n  # tuned by hand` };
    assert.equal(written, serializeRecipe(file));
  }));

  test('a file that is not UTF-8 opens with a warning and is never saved over', step('not-utf8', async ({ wb }) => {
    await wb.openNotebook(path.basename(latin1File));
    await wb.waitForNotification(/not valid UTF-8/);
    assert.equal(await wb.cellCount(), 1);
    await wb.typeInCell(0, '\n  # edited');
    const result = await wb.save();
    await wb.screenshot('not-utf8-save-refused');
    assert.equal(result.saved, false, 'the save is refused');
    assert.match(result.error ?? '', /not valid UTF-8.*Convert the file to UTF-8/s);
    assert.ok(fs.readFileSync(latin1File).equals(latin1Bytes), 'the bytes on disk are untouched');
  }));

  test('a file far too large to be a recipe opens as a note saying so and is never saved over', step('too-large', async ({ wb }) => {
    await wb.openNotebook(path.basename(hugeFile));
    const warning = await wb.waitForNotification(/MB; a recipe is a small/);
    assert.ok(warning.includes(`${(hugeBytes.length / 1024 / 1024).toFixed(1)} MB`), warning);
    assert.equal(await wb.cellCount(), 1);
    assert.equal((await wb.readCell(0)).kind, 'markup');
    await wb.runCommand('Notebook: Insert Code Cell Below');
    await wb.page.keyboard.insertText('model: {}');
    assert.equal((await wb.readCell(1)).language, 'YAML', 'a new code cell is YAML even with no YAML cell above');
    const result = await wb.save();
    await wb.screenshot('too-large-save-refused');
    assert.equal(result.saved, false);
    assert.match(result.error ?? '', /a recipe is a small YAML text file/);
    assert.ok(fs.readFileSync(hugeFile).equals(hugeBytes), 'the bytes on disk are untouched');
  }));
});
