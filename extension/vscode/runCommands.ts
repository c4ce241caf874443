// "LoRA Bias: Clear Cache of This Recipe" and "LoRA Bias: Show Engine Log".
import * as vscode from 'vscode';
import type { RecipeController } from './controller';
import type { EngineHost } from './engineHost';
import { isRecipeNotebook } from './notebookCells';

export function registerRunCommands(controller: RecipeController, engine: EngineHost): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('lorabias.clearCache', async () => {
      const nb = vscode.window.activeNotebookEditor?.notebook;
      if (!nb || !isRecipeNotebook(nb)) {
        void vscode.window.showInformationMessage('LoRA Bias: open a recipe notebook to clear its cache.');
        return 0;
      }
      const n = await controller.clearCache(nb);
      if (n === 'untrusted') return undefined; // ensureTrusted has told the user why
      if (n === undefined) {
        void vscode.window.showWarningMessage(`LoRA Bias: cells of ${vscode.workspace.asRelativePath(nb.uri)} are running; stop them (Stop Execution) before clearing its cache.`);
        return undefined;
      }
      void vscode.window.showInformationMessage(`LoRA Bias: removed ${n} cached cell${n === 1 ? '' : 's'} of ${vscode.workspace.asRelativePath(nb.uri)}.`);
      return n;
    }),
    vscode.commands.registerCommand('lorabias.showEngineLog', () => engine.log.show(true)),
  );
}
