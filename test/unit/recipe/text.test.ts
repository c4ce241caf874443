// Round trips of the YAML stream <-> cells mapping, on the example recipes and a corpus of tricky files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { decodeRecipe, encodeRecipe, markdownDocument, parseRecipeText, RecipeCell, serializeRecipe } from '../../../extension/core/recipe';

const root = path.resolve(__dirname, '../../..');
const corpus = [
  ...fs.readdirSync(path.join(root, 'recipes')).filter((f) => f.endsWith('.lorabias') && !f.startsWith('.')).map((f) => path.join(root, 'recipes', f)),
  ...fs.readdirSync(path.join(root, 'test/fixtures/roundtrip')).map((f) => path.join(root, 'test/fixtures/roundtrip', f)),
];

/** What the notebook does: bytes -> text -> cells (values + opaque meta) -> text -> bytes. */
function roundTrip(bytes: Uint8Array): Uint8Array {
  const file = parseRecipeText(decodeRecipe(bytes).text);
  return encodeRecipe(serializeRecipe({ ...file, cells: file.cells.map((c) => ({ ...c })) }));
}

describe('deserialize → serialize', () => {
  it('covers at least 30 tricky files and every example recipe', () => {
    assert.ok(corpus.length >= 34, `corpus has ${corpus.length} files`);
  });
  for (const file of corpus) {
    it(`gives back the same bytes: ${path.basename(file)}`, () => {
      const bytes = fs.readFileSync(file);
      assert.deepEqual(Buffer.from(roundTrip(bytes)), bytes);
    });
  }

  it('gives back the same bytes for files it wrote itself from fresh cells', () => {
    for (const file of corpus) {
      const parsed = parseRecipeText(fs.readFileSync(file, 'utf8'));
      const fresh = { ...parsed, cells: parsed.cells.map(({ kind, value }) => ({ kind, value })) };
      const written = serializeRecipe(fresh);
      const again = parseRecipeText(written);
      assert.equal(serializeRecipe(again), written, path.basename(file));
      assert.deepEqual(again.cells.map((c) => [c.kind, c.value]), fresh.cells.filter((c, i) => i > 0 || c.value !== '').map((c) => [c.kind, c.value]), path.basename(file));
    }
  });
});

describe('cells', () => {
  it('makes one cell per YAML document and reads `markdown:` documents as markdown cells', () => {
    const f = parseRecipeText('markdown: |\n  # Hi\n  there\n---\nmodel:\n  name: a # c\n');
    assert.deepEqual(f.cells.map((c) => [c.kind, c.value]), [['markup', '# Hi\nthere'], ['code', 'model:\n  name: a # c']]);
    assert.deepEqual(f.cellLines, [0, 4]);
  });

  it('keeps a commented markdown document as a YAML cell so the comment is not lost', () => {
    const f = parseRecipeText('# note\nmarkdown: |\n  # Title\n');
    assert.equal(f.cells[0].kind, 'code');
  });

  it('detects CRLF and a BOM, and gives LF cell text to the editor', () => {
    const f = parseRecipeText('\uFEFFa: 1\r\n---\r\nb: 2\r\n');
    assert.equal(f.bom, true);
    assert.equal(f.eol, '\r\n');
    assert.deepEqual(f.cells.map((c) => c.value), ['a: 1', 'b: 2']);
  });

  it('writes an edited cell with the file\'s line ends and leaves the untouched ones byte-exact', () => {
    const text = 'model:   # keep\r\n  name: a\r\n\r\n--- # sep\r\nb: 2\r\n';
    const f = parseRecipeText(text);
    f.cells[1] = { ...f.cells[1], value: 'b: 3\nc: 4' };
    assert.equal(serializeRecipe(f), 'model:   # keep\r\n  name: a\r\n\r\n--- # sep\r\nb: 3\r\nc: 4\r\n');
  });

  it('writes a new markdown cell as a `markdown: |` document that reads back the same', () => {
    for (const md of ['# Title\n\nText', '  leading spaces', 'trailing spaces   ', 'a: b # not yaml', '', '日本語\n\n\nlast']) {
      const file = { cells: [{ kind: 'markup', value: md } as RecipeCell, { kind: 'code', value: 'model:\n  name: a' } as RecipeCell], bom: false, eol: '\n' as const };
      const back = parseRecipeText(serializeRecipe(file));
      assert.equal(back.cells[0].kind, 'markup', JSON.stringify(md));
      assert.equal(back.cells[0].value, md, JSON.stringify(md));
    }
    assert.equal(markdownDocument('# T'), 'markdown: |\n  # T');
  });

  it('separates a new cell from a last cell that had no final newline', () => {
    const f = parseRecipeText('a: 1');
    f.cells.push({ kind: 'code', value: 'b: 2' });
    assert.equal(serializeRecipe(f), 'a: 1\n---\nb: 2\n');
  });

  it('reports the first byte that is not UTF-8 instead of silently replacing it', () => {
    const bytes = Buffer.concat([Buffer.from('model:\n  name: '), Buffer.from([0x93, 0xfa]), Buffer.from('\n')]);
    assert.equal(decodeRecipe(bytes).invalidUtf8At, 15);
    assert.equal(decodeRecipe(Buffer.from('é ok')).invalidUtf8At, undefined);
  });
});
