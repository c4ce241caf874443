// Reads the recipe cells out of an open notebook, and finds which notebook cell a text document is.
import * as vscode from 'vscode';
import type { CellMeta, RecipeCell } from '../core/recipe/index.js';

export const NOTEBOOK_TYPE = 'lorabias';

export function isRecipeNotebook(notebook: vscode.NotebookDocument): boolean {
  return notebook.notebookType === NOTEBOOK_TYPE;
}

/** The notebook's cells as the core sees them: code cells are YAML, markup cells markdown; LF line ends. */
export function recipeCells(notebook: vscode.NotebookDocument): RecipeCell[] {
  return notebook.getCells().map((cell) => ({
    kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markup' : 'code',
    value: cell.document.getText().replace(/\r\n?/g, '\n'),
    meta: cell.metadata?.lorabias as CellMeta | undefined,
  }));
}

export interface CellLocation {
  notebook: vscode.NotebookDocument;
  index: number;
}

/** The recipe notebook and cell index that own a cell's text document, if it is one. */
export function locateCell(document: vscode.TextDocument): CellLocation | undefined {
  if (document.uri.scheme !== 'vscode-notebook-cell') return undefined;
  const key = document.uri.toString();
  for (const notebook of vscode.workspace.notebookDocuments) {
    if (!isRecipeNotebook(notebook)) continue;
    const index = notebook.getCells().findIndex((cell) => cell.document.uri.toString() === key);
    if (index >= 0) return { notebook, index };
  }
  return undefined;
}
