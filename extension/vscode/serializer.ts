// Notebook <-> `.lorabias` bytes. A thin adapter over the core's split/serialize: the core decides the
// text; this file only moves cells and their opaque round-trip data in and out of VS Code's notebook model.
import * as vscode from 'vscode';
import type { CellMeta, RecipeFile } from '../core/recipe/index.js';
import { loadCore, type RecipeCore } from './core';
import { NOTEBOOK_TYPE } from './notebookCells';

/** What the serializer keeps in NotebookData.metadata to write the file back byte for byte. */
export interface RecipeNotebookMeta {
  bom: boolean;
  eol: '\n' | '\r\n';
  /** Set when the file was not valid UTF-8: it opened as decoded, but saving would lose bytes. */
  invalidUtf8At?: number;
}

export function notUtf8Message(offset: number): string {
  return `This recipe is not valid UTF-8 (first bad byte at offset ${offset}), so saving it would lose data. ` +
    'Convert the file to UTF-8 (for example with iconv) and reopen it.';
}

/** Builds notebook data from a recipe's text (also used for the untitled starter recipe). */
export function toNotebookData(core: RecipeCore, text: string, invalidUtf8At?: number): vscode.NotebookData {
  const file = core.parseRecipeText(text);
  const cells = file.cells.map((cell) => {
    const data = cell.kind === 'markup'
      ? new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, cell.value, 'markdown')
      : new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cell.value, 'yaml');
    data.metadata = { lorabias: cell.meta ?? {} };
    return data;
  });
  const notebook = new vscode.NotebookData(cells);
  const meta: RecipeNotebookMeta = { bom: file.bom, eol: file.eol };
  if (invalidUtf8At !== undefined) meta.invalidUtf8At = invalidUtf8At;
  notebook.metadata = { lorabias: meta };
  return notebook;
}

/** The recipe file a notebook stands for: the cells as edited, plus the BOM/EOL and per-cell round-trip data. */
export function toRecipeFile(data: vscode.NotebookData): RecipeFile {
  const meta = data.metadata?.lorabias as Partial<RecipeNotebookMeta> | undefined;
  return {
    bom: meta?.bom ?? false,
    eol: meta?.eol === '\r\n' ? '\r\n' : '\n',
    cells: data.cells.map((cell) => ({
      kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markup' : 'code',
      value: cell.value.replace(/\r\n/g, '\n'),
      meta: cell.metadata?.lorabias as CellMeta | undefined,
    })),
  };
}

export class RecipeSerializer implements vscode.NotebookSerializer {
  /** @param onNotUtf8 told when a file that is not valid UTF-8 is opened (to warn the user once). */
  constructor(private readonly onNotUtf8: (offset: number) => void = () => undefined) {}

  async deserializeNotebook(content: Uint8Array): Promise<vscode.NotebookData> {
    const core = await loadCore();
    const { text, invalidUtf8At } = core.decodeRecipe(content);
    if (invalidUtf8At !== undefined) this.onNotUtf8(invalidUtf8At);
    return toNotebookData(core, text, invalidUtf8At);
  }

  async serializeNotebook(data: vscode.NotebookData): Promise<Uint8Array> {
    const invalidAt = (data.metadata?.lorabias as Partial<RecipeNotebookMeta> | undefined)?.invalidUtf8At;
    if (invalidAt !== undefined) throw new Error(notUtf8Message(invalidAt));
    const core = await loadCore();
    return core.encodeRecipe(core.serializeRecipe(toRecipeFile(data)));
  }
}

export function registerSerializer(): vscode.Disposable {
  const serializer = new RecipeSerializer((offset) => {
    void vscode.window.showWarningMessage(notUtf8Message(offset));
  });
  return vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, serializer, { transientOutputs: true });
}
