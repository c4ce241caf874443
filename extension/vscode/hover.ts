// Hover in recipe cells: the schema's description of the key or value under the cursor.
import * as vscode from 'vscode';
import { loadCore } from './core';
import { locateCell, recipeCells } from './notebookCells';

export class RecipeHoverProvider implements vscode.HoverProvider {
  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const where = locateCell(document);
    if (!where) return undefined;
    const core = await loadCore();
    const hover = core.hoverAt(recipeCells(where.notebook), where.index, position.line, position.character);
    if (!hover) return undefined;
    return new vscode.Hover(
      new vscode.MarkdownString(hover.markdown),
      new vscode.Range(hover.line, hover.startCol, hover.line, hover.endCol),
    );
  }
}
