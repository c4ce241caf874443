// The status bar's memory item ("4.3 GB in 1 model", a line per model in its tooltip), refreshed whenever the
// worker finishes a request; and, when a recipe notebook closes, the models no open recipe names are unloaded.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineHost } from './engineHost';
import { isRecipeNotebook, recipeCells } from './notebookCells';

export class ModelMemory implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lorabias.memory', vscode.StatusBarAlignment.Left, 49);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly engine: EngineHost) {
    this.item.name = 'LoRA Bias models in memory';
    this.item.command = 'lorabias.showEngineLog';
    this.subscriptions.push(
      engine.onDidChangeState((s) => (s === 'ready' ? void this.refresh() : s === 'stopped' ? this.item.hide() : undefined)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => (isRecipeNotebook(nb) ? void this.unloadUnnamed() : undefined)),
    );
  }

  private async core() {
    return import('../core/engine/models.js');
  }

  async refresh(): Promise<void> {
    try {
      const { loadedModels, memoryText } = await this.core();
      const status = await loadedModels(this.engine.running());
      if (!status) return void this.item.hide();
      const { text, tooltip } = memoryText(status);
      this.item.text = `$(database) ${text}`;
      this.item.tooltip = tooltip || 'no model loaded';
      this.item.show();
    } catch {
      this.item.hide(); // a worker that went away meanwhile; the engine item says so
    }
  }

  /** Unload what no open recipe names (a closed recipe's model), keeping what the others use. */
  async unloadUnnamed(): Promise<void> {
    const { checkpointsNamed, unloadUnnamed } = await this.core();
    const keep = vscode.workspace.notebookDocuments.filter(isRecipeNotebook)
      .flatMap((nb) => checkpointsNamed(recipeCells(nb), path.dirname(nb.uri.fsPath)));
    try {
      const r = await unloadUnnamed(this.engine.running(), keep);
      if (r?.unloaded.length) this.engine.log.appendLine(`[memory] unloaded ${r.unloaded.length} model(s) no open recipe names, ${(r.freedBytes / 1e9).toFixed(1)} GB`);
    } catch (e) {
      this.engine.log.appendLine(`[memory] unload failed: ${(e as Error).message}`);
    }
    await this.refresh();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
