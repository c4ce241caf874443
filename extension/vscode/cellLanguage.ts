// Every code cell of a recipe is YAML. Without a kernel, VS Code gives a new code cell the language of the
// cell above or, with none, Plain Text — which would leave it without completion and hover. New code cells
// are switched to YAML as they are added (a language the user picks later is left alone).
import * as vscode from 'vscode';
import { isRecipeNotebook } from './notebookCells';

export const CELL_LANGUAGE = 'yaml';

export function registerYamlCells(): vscode.Disposable {
  return vscode.workspace.onDidChangeNotebookDocument((e) => {
    if (!isRecipeNotebook(e.notebook)) return;
    for (const change of e.contentChanges) {
      for (const cell of change.addedCells) {
        if (cell.kind === vscode.NotebookCellKind.Code && cell.document.languageId !== CELL_LANGUAGE) {
          void vscode.languages.setTextDocumentLanguage(cell.document, CELL_LANGUAGE);
        }
      }
    }
  });
}
