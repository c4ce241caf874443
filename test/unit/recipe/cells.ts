// Recipe cells written inline for the completion and hover tests, and the labels offered at a position.
import { completeAt, RecipeCell } from '../../../extension/core/recipe';

export const code = (value: string): RecipeCell => ({ kind: 'code', value });

export const labelsAt = (cells: RecipeCell[]) => (cell: number, line: number, col: number) =>
  completeAt(cells, cell, line, col).map((e) => e.label);
