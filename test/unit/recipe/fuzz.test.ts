// Random mutations of the example recipes: nothing throws, every problem is located inside its cell,
// and every mutated file still round-trips byte for byte.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { checkRecipeText, parseRecipeText, serializeRecipe } from '../../../extension/core/recipe';
import { completeAt, hoverAt } from '../../../extension/core/recipe';

const recipes = path.resolve(__dirname, '../../../recipes');
const sources = fs.readdirSync(recipes).filter((f) => f.endsWith('.lorabias') && !f.startsWith('.')).map((f) => fs.readFileSync(path.join(recipes, f), 'utf8'));
const PIECES = [':', '-', ' ', '  ', '\t', '\n', '\r\n', '#', '[', ']', '{', '}', ',', '&a', '*a', '!', '|', '>', "'", '"', '---\n', '...', '%', '@', '`', '\\', 'x', 'rank', 'over', 'é', '日本', '\u0000', '\uFEFF', '999999', '-1', 'null', '~', '<<: *a'];

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
    switch (Math.floor(r() * 6)) {
      case 0: t = t.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(at); break;
      case 1: t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 8)); break;
      case 2: lines.splice(li, 1); t = lines.join('\n'); break;
      case 3: lines.splice(li, 0, lines[Math.floor(r() * lines.length)]); t = lines.join('\n'); break;
      case 4: { const lj = Math.floor(r() * lines.length); [lines[li], lines[lj]] = [lines[lj], lines[li]]; t = lines.join('\n'); break; }
      default: lines[li] = ' '.repeat(Math.floor(r() * 6)) + lines[li].trimStart(); t = lines.join('\n');
    }
  }
  return t;
}

it('survives 10,000 random mutations of the examples with every problem located', () => {
  const r = rng(20261125);
  let problemsSeen = 0;
  for (let i = 0; i < 10000; i++) {
    const text = mutate(sources[i % sources.length], r);
    const { file, problems } = checkRecipeText(text);
    assert.equal(serializeRecipe(parseRecipeText(text)), text, `round trip, mutation ${i}`);
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
  assert.ok(problemsSeen > 5000, `mutations produced only ${problemsSeen} problems`);
});
