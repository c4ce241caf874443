// The recipe format: parse → schema → validate → complete. Pure: no `vscode` here.
export { decodeRecipe, editorText, encodeRecipe, parseRecipeText, serializeRecipe, markdownDocument } from './text';
export type { CellKind, CellMeta, RecipeCell, RecipeFile } from './text';
export type { Problem } from './problems';
export { validateRecipe, BUILTIN_MODELS } from './validate';
export type { ValidateOptions } from './validate';
export { checkRecipeBytes, checkRecipeText, filePosition, MAX_RECIPE_BYTES } from './check';
export type { CheckedRecipe } from './check';
export { CELL_KINDS, parseCell } from './cells';
export { completeAt } from './complete';
export type { CompletionEntry } from './complete';
export { hoverAt } from './hover';
export { STARTER_RECIPE } from './starter';
export { recipeReference } from './reference';
