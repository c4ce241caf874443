// "LoRA Bias: New Recipe" and "LoRA Bias: Validate Recipe".
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCore } from './core';
import type { RecipeDiagnostics } from './diagnostics';
import { isRecipeNotebook, NOTEBOOK_TYPE } from './notebookCells';
import { countProblems, type ProblemCounts } from './problems';
import { toNotebookData } from './serializer';

export const NEW_RECIPE_COMMAND = 'lorabias.newRecipe';
export const VALIDATE_RECIPE_COMMAND = 'lorabias.validateRecipe';

/** Opens the commented starter recipe as an untitled notebook. */
export async function newRecipe(): Promise<vscode.NotebookEditor> {
  const core = await loadCore();
  const notebook = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, toNotebookData(core, core.STARTER_RECIPE));
  return vscode.window.showNotebookDocument(notebook);
}

/**
 * Validates the active recipe (a notebook, or a `.lorabias` file open as text), shows the Problems panel and
 * says how many problems there are. Returns the counts, or undefined when no recipe is active.
 */
export async function validateRecipe(diagnostics: RecipeDiagnostics): Promise<ProblemCounts | undefined> {
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  const textDocument = vscode.window.activeTextEditor?.document;
  let problems;
  let name: string;
  if (notebook && isRecipeNotebook(notebook)) {
    problems = await diagnostics.validateNotebook(notebook);
    name = path.basename(notebook.uri.path);
  } else if (textDocument && textDocument.uri.path.endsWith('.lorabias')) {
    problems = await diagnostics.validateTextDocument(textDocument);
    name = path.basename(textDocument.uri.path);
  } else {
    void vscode.window.showInformationMessage('LoRA Bias: open a .lorabias recipe to validate it.');
    return undefined;
  }
  const counts = countProblems(problems);
  // the view's own focus command opens the panel if needed (`workbench.actions.view.problems` would toggle it)
  await vscode.commands.executeCommand('workbench.panel.markers.view.focus');
  void vscode.window.showInformationMessage(`LoRA Bias: ${describeCounts(counts)} in ${name}.`);
  return counts;
}

export function describeCounts(counts: ProblemCounts): string {
  if (counts.total === 0) return 'no problems';
  const parts: string[] = [];
  if (counts.errors) parts.push(plural(counts.errors, 'error'));
  if (counts.warnings) parts.push(plural(counts.warnings, 'warning'));
  if (counts.infos) parts.push(plural(counts.infos, 'note'));
  return `${plural(counts.total, 'problem')} (${parts.join(', ')})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function registerCommands(diagnostics: RecipeDiagnostics): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(NEW_RECIPE_COMMAND, newRecipe),
    vscode.commands.registerCommand(VALIDATE_RECIPE_COMMAND, () => validateRecipe(diagnostics)),
  );
}
