// What the tests expect, taken from the files themselves (through the recipe core), not hard-coded: the
// example recipes and the starter can change without the suite going stale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecipeText, STARTER_RECIPE, type RecipeCell } from '../../extension/core/recipe/index.js';
import { REPO_ROOT } from './lib/paths';

export interface RecipeExpectation {
  /** Path relative to the workspace root. */
  file: string;
  cells: RecipeCell[];
  /** Index of the first code cell whose kind is `kind`. */
  indexOf(kind: string): number;
}

function expectation(file: string, text: string): RecipeExpectation {
  const { cells } = parseRecipeText(text);
  return {
    file,
    cells,
    indexOf(kind) {
      const i = cells.findIndex((c) => c.kind === 'code' && new RegExp(`^${kind}:`, 'm').test(c.value));
      if (i < 0) throw new Error(`${file} has no \`${kind}:\` cell`);
      return i;
    },
  };
}

/** The flagship example (copy-machine slider), or else the first example with a bias cell. */
export function exampleRecipe(): RecipeExpectation {
  const dir = path.join(REPO_ROOT, 'recipes');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.lorabias')).sort();
  const preferred = ['copier-slider.lorabias', ...names];
  for (const name of preferred) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (/^bias:/m.test(text)) return expectation(`recipes/${name}`, text);
  }
  throw new Error('no example recipe with a bias cell in recipes/');
}

/** An example recipe by file name (in recipes/). */
export function recipeNamed(name: string): RecipeExpectation {
  return expectation(`recipes/${name}`, fs.readFileSync(path.join(REPO_ROOT, 'recipes', name), 'utf8'));
}

export function starterRecipe(): RecipeExpectation {
  return expectation('Untitled', STARTER_RECIPE);
}

/** A cell's text as the editor shows it: without the line end that closes the cell in the file. */
export function shownText(cell: RecipeCell): string {
  return cell.value.replace(/\n+$/, '');
}

/** The prefixes of the cell snippets the manifest contributes. */
export function snippetPrefixes(): string[] {
  const file = path.join(REPO_ROOT, 'snippets', 'lorabias.code-snippets');
  const snippets = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { prefix: string | string[] }>;
  return Object.values(snippets).flatMap((s) => s.prefix);
}
