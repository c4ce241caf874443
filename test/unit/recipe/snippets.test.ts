// The snippets shipped in the manifest: one per cell kind, and each one, filled with its defaults, is a valid cell.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { CELL_KINDS, parseRecipeText, validateRecipe } from '../../../extension/core/recipe';

const root = path.resolve(__dirname, '../../..');
const snippets: Record<string, { prefix: string; body: string[] }> = JSON.parse(fs.readFileSync(path.join(root, 'snippets/lorabias.code-snippets'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Fills `${1:default}` / `${2|a,b|}` / `$0` placeholders with their defaults, as accepting a snippet does. */
const expand = (body: string[]) => body.join('\n').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\d/g, '');

it('ships a snippet for every cell kind, contributed in the manifest', () => {
  const kinds = Object.values(snippets).map((s) => s.prefix.replace('lorabias-', ''));
  assert.deepEqual([...kinds].sort(), [...CELL_KINDS].sort());
  assert.ok(manifest.contributes.snippets.some((s: { path: string }) => s.path === './snippets/lorabias.code-snippets'));
});

it('every snippet expands to a cell with no problems once the cells it names exist', () => {
  const context = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: original\n---\ndataset:\n  name: edited\n---\n'
    + 'bias:\n  name: copier\n  model: base\n  dataset: original\n---\ntarget:\n  name: slider\n  model: base\n  dataset: edited\n---\n';
  for (const [title, s] of Object.entries(snippets)) {
    const file = parseRecipeText(context + expand(s.body).replace(/name: (base|original|copier|slider)\b/, 'name: new-$1'));
    const problems = validateRecipe(file.cells).filter((p) => p.cell === file.cells.length - 1);
    assert.deepEqual(problems, [], title);
  }
});
