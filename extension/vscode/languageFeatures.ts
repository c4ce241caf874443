// Registers completion, hover and quick fixes for the YAML cells of recipe notebooks only.
import * as vscode from 'vscode';
import { COMPLETION_TRIGGERS, RecipeCompletionProvider } from './completion';
import type { RecipeDiagnostics } from './diagnostics';
import { RecipeHoverProvider } from './hover';
import { NOTEBOOK_TYPE } from './notebookCells';
import { RecipeQuickFixProvider } from './quickFixes';

export const RECIPE_CELLS: vscode.DocumentFilter = { notebookType: NOTEBOOK_TYPE, language: 'yaml' };
/** A recipe opened with the plain text editor still gets the validate command's quick fixes. */
const RECIPE_TEXT_FILES: vscode.DocumentFilter = { pattern: '**/*.lorabias' };

export function registerLanguageFeatures(diagnostics: RecipeDiagnostics): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerCompletionItemProvider(RECIPE_CELLS, new RecipeCompletionProvider(), ...COMPLETION_TRIGGERS),
    vscode.languages.registerHoverProvider(RECIPE_CELLS, new RecipeHoverProvider()),
    vscode.languages.registerCodeActionsProvider([RECIPE_CELLS, RECIPE_TEXT_FILES], new RecipeQuickFixProvider(diagnostics), RecipeQuickFixProvider.metadata),
  );
}
