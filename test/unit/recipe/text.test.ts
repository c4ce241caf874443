// Round trips of the YAML stream <-> cells mapping, on the example recipes and a corpus of tricky files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { decodeRecipe, editorText, encodeRecipe, markdownDocument, parseRecipeText, RecipeCell, RecipeFile, serializeRecipe } from '../../../extension/core/recipe';

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

/** What VS Code hands back on save for cells nobody edited: their text with every line break as LF. */
function asEditorHolds(file: RecipeFile): RecipeFile {
  return { ...file, cells: file.cells.map((c) => ({ ...c, value: c.value.replace(/\r\n?/g, '\n') })) };
}

describe('lone CR inside a cell', () => {
  const text = 'model:\n  name: base\r  # a lone CR above\n  checkpoint: builtin:tiny-shapes\n---\nmarkdown: |\n  # Title\r  text\n---\ndataset:\n  name: d\r\n  images: d\n';

  it('keeps the bytes of unedited cells when the editor gives their text back with LF', () => {
    const f = parseRecipeText(text);
    assert.equal(serializeRecipe(asEditorHolds(f)), text);
    assert.equal(serializeRecipe(f), text);
  });

  it('gives the editor the text it will show: the lone CR reads as a line break', () => {
    const f = parseRecipeText(text);
    assert.equal(f.cells[0].value, 'model:\n  name: base\n  # a lone CR above\n  checkpoint: builtin:tiny-shapes');
    assert.deepEqual([f.cells[1].kind, f.cells[1].value], ['markup', '# Title\ntext']);
    // file lines as an editor counts them: the lone CRs count as line breaks
    assert.deepEqual(f.cellLines, [0, 5, 9]);
  });

  it('still rewrites a cell that was edited, and only that cell', () => {
    const f = asEditorHolds(parseRecipeText(text));
    f.cells[2] = { ...f.cells[2], value: 'dataset:\n  name: e\n  images: d' };
    assert.equal(serializeRecipe(f), text.replace('name: d\r\n', 'name: e\n'));
  });

  it('editorText turns CRLF and lone CR into LF and leaves LF text as it is', () => {
    assert.equal(editorText('a\r\nb\rc\n'), 'a\nb\nc\n');
    const plain = 'a\nb';
    assert.equal(editorText(plain), plain);
  });
});

describe('saving speed', () => {
  const recipeOf = (n: number): RecipeFile => parseRecipeText(
    Array.from({ length: n }, (_, i) => `dataset:   # cell ${i}\n  name: d${i}\n  images: data/d${i}`).join('\n---\n') + '\n');
  /**
   * CPU milliseconds of the fastest of seven saves: CPU time, not wall time, so other processes on the machine
   * do not count, and the minimum, which a garbage collection in one save does not move.
   */
  const saveMs = (file: RecipeFile): number => {
    let best = Infinity;
    for (let k = 0; k < 7; k++) {
      const t0 = process.cpuUsage();
      serializeRecipe(file);
      const d = process.cpuUsage(t0);
      best = Math.min(best, (d.user + d.system) / 1000);
    }
    return best;
  };

  it('grows linearly: four times the cells take far less than sixteen times as long', () => {
    const n = 5000;
    const small = recipeOf(n);
    const large = recipeOf(4 * n);
    saveMs(small); // warm-up
    const ratio = saveMs(large) / Math.max(saveMs(small), 0.2);
    // linear measured 4.5-4.9; the quadratic version 16-25
    assert.ok(ratio < 9, `4× the cells took ${ratio.toFixed(1)}× as long to save`);
    assert.equal(serializeRecipe(large).length, large.cells.reduce((n, c) => n + (c.meta?.sep ?? '').length + (c.meta?.raw ?? '').length, 0));
  });
});
