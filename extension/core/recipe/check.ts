// Checks a whole recipe file from its bytes: file-level problems first (not text, too large, empty), then cells.
import type { Problem } from './problems';
import { decodeRecipe, parseRecipeText, RecipeFile } from './text';
import { validateRecipe, ValidateOptions } from './validate';

export const MAX_RECIPE_BYTES = 2 * 1024 * 1024;

export interface CheckedRecipe {
  file: RecipeFile & { cellLines: number[] };
  problems: Problem[];
}

const fileProblem = (severity: Problem['severity'], code: string, message: string): Problem =>
  ({ cell: -1, line: 0, col: 0, endLine: 0, endCol: 0, severity, code, message });

export function checkRecipeBytes(bytes: Uint8Array, opts: ValidateOptions = {}): CheckedRecipe {
  const empty = { cells: [], bom: false, eol: '\n' as const, cellLines: [] };
  if (bytes.length > MAX_RECIPE_BYTES) {
    const mb = (bytes.length / 1024 / 1024).toFixed(1);
    return { file: empty, problems: [fileProblem('error', 'too-large',
      `the file is ${mb} MB; a recipe is a small text file (a few KB) — is this the right file? lorabias checks recipes up to ${MAX_RECIPE_BYTES / 1024 / 1024} MB`)] };
  }
  const { text, invalidUtf8At } = decodeRecipe(bytes);
  const nul = text.indexOf('\0');
  if (invalidUtf8At !== undefined || nul >= 0) {
    const at = invalidUtf8At ?? Buffer.byteLength(text.slice(0, nul));
    return { file: empty, problems: [fileProblem('error', 'not-text',
      `this is not UTF-8 text (byte ${at}): a recipe is a YAML text file; if it was saved in another encoding (e.g. Shift-JIS), save it as UTF-8`)] };
  }
  return checkRecipeText(text, opts);
}

export function checkRecipeText(text: string, opts: ValidateOptions = {}): CheckedRecipe {
  const file = parseRecipeText(text);
  if (file.cells.every((c) => c.kind === 'code' && /^\s*$/.test(c.value))) {
    return { file, problems: [fileProblem('warning', 'empty-recipe', 'the recipe is empty: add a `model:` cell (the "LoRA Bias: New Recipe" command writes a starter)')] };
  }
  return { file, problems: validateRecipe(file.cells, opts) };
}

/** A problem's position in the file (0-based), from its cell-relative position. */
export function filePosition(p: Problem, cellLines: number[]): { line: number; col: number; endLine: number; endCol: number } {
  const base = p.cell >= 0 ? cellLines[p.cell] ?? 0 : 0;
  return { line: base + p.line, col: p.col, endLine: base + p.endLine, endCol: p.endCol };
}
