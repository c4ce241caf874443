// The run plan follows references: a cell runs after, and together with, everything it needs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { planRecipe } from '../../../extension/core/plan/plan';
import { parseRecipeText } from '../../../extension/core/recipe';

const recipe = parseRecipeText(fs.readFileSync(path.resolve(__dirname, '../../../recipes/copier-slider.lorabias'), 'utf8'));

describe('plan', () => {
  it('lists every runnable cell in order with what it needs, skipping markdown', () => {
    assert.deepEqual(planRecipe(recipe.cells).map((s) => [s.kind, s.name ?? '', s.needs.join(',')]), [
      ['model', 'base', ''],
      ['dataset', 'original', ''],
      ['dataset', 'edited', ''],
      ['bias', 'copier', 'base,original'],
      ['target', 'size', 'copier,edited'],
      ['preview', '', 'size'],
      ['export', '', 'size'],
    ]);
  });

  it('runs only what a cell needs, transitively', () => {
    assert.deepEqual(planRecipe(recipe.cells, ['copier']).map((s) => s.name), ['base', 'original', 'copier']);
    const exportIndex = recipe.cells.length - 1;
    assert.deepEqual(planRecipe(recipe.cells, [exportIndex]).map((s) => s.name ?? s.kind), ['base', 'original', 'edited', 'copier', 'size', 'export']);
  });

  it('follows references written as {bias: name} items', () => {
    const r = parseRecipeText('bias:\n  name: b\n---\ntarget:\n  name: t\n  over:\n    - bias: b\n      weight: 0.5\n');
    assert.deepEqual(planRecipe(r.cells, ['t']).map((s) => s.name), ['b', 't']);
  });
});
