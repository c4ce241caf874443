// Notebook <-> `.lorabias` bytes. A thin adapter over the core's split/serialize: the core decides the
// text; this file only moves cells and their opaque round-trip data in and out of VS Code's notebook model.
// Opening never writes. A file that cannot be written back unchanged (not UTF-8, or far too large to be a
// recipe) still opens, but saving it is refused with a message, so no bytes are ever lost.
import * as vscode from 'vscode';
import type { CellMeta, RecipeFile } from '../core/recipe/index.js';
import { loadCore, type RecipeCore } from './core';
import { NOTEBOOK_TYPE } from './notebookCells';

/** What the serializer keeps in NotebookData.metadata to write the file back byte for byte. */
export interface RecipeNotebookMeta {
  bom: boolean;
  eol: '\n' | '\r\n';
  /** Set when saving must be refused: the message says why and what to do. */
  refuseSave?: string;
}

export function notUtf8Message(offset: number): string {
  return `This recipe is not valid UTF-8 (first bad byte at offset ${offset}), so saving it would lose data. ` +
    'Convert the file to UTF-8 (for example with iconv) and reopen it.';
}

export function tooLargeMessage(bytes: number, limit: number): string {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return `This file is ${mb(bytes)} MB; a recipe is a small YAML text file (recipes are opened as notebooks up to ` +
    `${mb(limit)} MB), so it was not loaded and will not be saved from here. Is it the right file? ` +
    'To look at it anyway, use "Reopen Editor With…" and pick the Text Editor.';
}

function cellData(kind: 'code' | 'markup', value: string): vscode.NotebookCellData {
  return kind === 'markup'
    ? new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, value, 'markdown')
    : new vscode.NotebookCellData(vscode.NotebookCellKind.Code, value, 'yaml');
}

/** Builds notebook data from a recipe's text (also used for the untitled starter recipe). */
export function toNotebookData(core: RecipeCore, text: string, refuseSave?: string): vscode.NotebookData {
  const file = core.parseRecipeText(text);
  const notebook = new vscode.NotebookData(file.cells.map((cell) => {
    const data = cellData(cell.kind, cell.value);
    data.metadata = { lorabias: cell.meta ?? {} };
    return data;
  }));
  const meta: RecipeNotebookMeta = { bom: file.bom, eol: file.eol };
  if (refuseSave !== undefined) meta.refuseSave = refuseSave;
  notebook.metadata = { lorabias: meta };
  return notebook;
}

/** A stand-in notebook for a file that is not loaded: one note saying why; saving is refused. */
function placeholderNotebook(message: string): vscode.NotebookData {
  const notebook = new vscode.NotebookData([cellData('markup', `**Not opened as a recipe.** ${message}`)]);
  const meta: RecipeNotebookMeta = { bom: false, eol: '\n', refuseSave: message };
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
      // line breaks as the core reads them (CRLF and a lone CR are LF), so an unedited cell matches its bytes
      value: cell.value.replace(/\r\n?/g, '\n'),
      meta: cell.metadata?.lorabias as CellMeta | undefined,
    })),
  };
}

export class RecipeSerializer implements vscode.NotebookSerializer {
  /** @param warn shows a message to the user (a file opened that cannot be saved back). */
  constructor(private readonly warn: (message: string) => void = () => undefined) {}

  async deserializeNotebook(content: Uint8Array): Promise<vscode.NotebookData> {
    const core = await loadCore();
    if (content.byteLength > core.MAX_RECIPE_BYTES) {
      const message = tooLargeMessage(content.byteLength, core.MAX_RECIPE_BYTES);
      this.warn(message);
      return placeholderNotebook(message);
    }
    const { text, invalidUtf8At } = core.decodeRecipe(content);
    if (invalidUtf8At === undefined) return toNotebookData(core, text);
    const message = notUtf8Message(invalidUtf8At);
    this.warn(message);
    return toNotebookData(core, text, message);
  }

  async serializeNotebook(data: vscode.NotebookData): Promise<Uint8Array> {
    const refused = (data.metadata?.lorabias as Partial<RecipeNotebookMeta> | undefined)?.refuseSave;
    if (refused !== undefined) throw new Error(refused);
    const core = await loadCore();
    return core.encodeRecipe(core.serializeRecipe(toRecipeFile(data)));
  }
}

export function registerSerializer(): vscode.Disposable {
  const serializer = new RecipeSerializer((message) => void vscode.window.showWarningMessage(message));
  return vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, serializer, { transientOutputs: true });
}
