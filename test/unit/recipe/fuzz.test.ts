// Random mutations of the example recipes: nothing throws, nothing is printed as a Node warning, every problem is
// located inside its cell, and every mutated file still round-trips byte for byte, also when the cells come back
// as the editor holds them (every line break as LF, lone CRs included). And a very large recipe saves quickly.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { checkRecipeText, editorText, parseRecipeText, RecipeFile, serializeRecipe } from '../../../extension/core/recipe';
import { completeAt, hoverAt } from '../../../extension/core/recipe';

const recipes = path.resolve(__dirname, '../../../recipes');
const sources = fs.readdirSync(recipes).filter((f) => f.endsWith('.lorabias') && !f.startsWith('.')).map((f) => fs.readFileSync(path.join(recipes, f), 'utf8'));
const PIECES = [':', '-', ' ', '  ', '\t', '\n', '\r\n', '#', '[', ']', '{', '}', ',', '&a', '*a', '!', '|', '>', "'", '"', '---\n', '...', '%', '@', '`', '\\', 'x', 'rank', 'over', 'é', '日本', '\u0000', '\uFEFF', '999999', '-1', 'null', '~', '<<: *a',
  '\r', '\r', 'a\rb', '"\\r"', '? [a, b]\n: 1\n', '? ', '? {x: 1}\n'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function mutate(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (t.length + 1));
    const lines = t.split('\n');
    const li = Math.floor(r() * lines.length);
    switch (Math.floor(r() * 7)) {
      case 0: t = t.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(at); break;
      case 1: t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 8)); break;
      case 2: lines.splice(li, 1); t = lines.join('\n'); break;
      case 3: lines.splice(li, 0, lines[Math.floor(r() * lines.length)]); t = lines.join('\n'); break;
      case 4: { const lj = Math.floor(r() * lines.length); [lines[li], lines[lj]] = [lines[lj], lines[li]]; t = lines.join('\n'); break; }
      case 5: lines[li] = ' '.repeat(Math.floor(r() * 6)) + lines[li].trimStart(); t = lines.join('\n'); break;
      default: { const nl = t.indexOf('\n', at); if (nl >= 0) t = t.slice(0, nl) + '\r' + t.slice(nl + 1); } // a lone CR for a line end
    }
  }
  return t;
}

/** The cells as VS Code gives them back on save when nobody edited them: every line break as LF. */
function asEditorHolds(file: RecipeFile): RecipeFile {
  return { ...file, cells: file.cells.map((c) => ({ ...c, value: editorText(c.value) })) };
}

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(w.message);
before(() => process.on('warning', onWarning));
after(() => process.off('warning', onWarning));

it('survives 5,000 random mutations of the examples with every problem located', async () => {
  const r = rng(20261125);
  let problemsSeen = 0;
  let loneCRs = 0;
  for (let i = 0; i < 5000; i++) {
    const text = mutate(sources[i % sources.length], r);
    const { file, problems } = checkRecipeText(text);
    assert.equal(serializeRecipe(parseRecipeText(text)), text, `round trip, mutation ${i}`);
    if (/\r(?!\n)/.test(text)) {
      loneCRs++;
      assert.equal(serializeRecipe(asEditorHolds(parseRecipeText(text))), text, `round trip through the editor, mutation ${i}`);
    }
    for (const p of problems) {
      problemsSeen++;
      assert.ok(p.message.length > 0);
      if (p.cell === -1) continue;
      assert.ok(p.cell >= 0 && p.cell < file.cells.length, `mutation ${i}: cell ${p.cell}`);
      const lines = file.cells[p.cell].value.split('\n');
      assert.ok(p.line >= 0 && p.line < lines.length && p.col >= 0 && p.col <= lines[p.line].length + 1,
        `mutation ${i}: ${p.line}:${p.col} outside cell ${p.cell} (${lines.length} lines): ${p.message}`);
      assert.ok(p.endLine > p.line || (p.endLine === p.line && p.endCol >= p.col), `mutation ${i}: range ends before it starts`);
    }
    if (i % 10 === 0) {
      // Completion and hover on mutated text must not throw either.
      const cell = Math.floor(r() * file.cells.length);
      const lines = (file.cells[cell]?.value ?? '').split('\n');
      const line = Math.floor(r() * lines.length);
      const col = Math.floor(r() * ((lines[line]?.length ?? 0) + 1));
      completeAt(file.cells, cell, line, col);
      hoverAt(file.cells, cell, line, col);
    }
  }
  assert.ok(problemsSeen > 2500, `mutations produced only ${problemsSeen} problems`);
  assert.ok(loneCRs > 500, `only ${loneCRs} mutations had a lone CR`);
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  assert.deepEqual(warnings, []);
});

it('saves a 2 MB recipe (with lone CRs) byte for byte in well under a second', () => {
  const parts: string[] = [];
  for (let i = 0, size = 0; size < 2 * 1024 * 1024; i++) {
    const cell = sources[i % sources.length].replace(/\bname: (\S+)/g, `name: $1x${i}`).replace(/\n  (\w+): /, (m) => (i % 7 ? m : m.replace('\n', '\r')));
    parts.push(cell);
    size += cell.length;
  }
  const text = parts.join('---\n');
  const file = asEditorHolds(parseRecipeText(text));
  const t0 = process.cpuUsage();
  const saved = serializeRecipe(file);
  const cpu = process.cpuUsage(t0);
  const ms = (cpu.user + cpu.system) / 1000;
  assert.equal(saved, text);
  // measured 20-50 ms; the quadratic version took 12 s for a fifth of this size
  assert.ok(ms < 1000, `saving ${(text.length / 1024 / 1024).toFixed(1)} MB took ${ms.toFixed(0)} ms of CPU`);
});
