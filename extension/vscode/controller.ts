// The notebook controller: Run / Run All feed one sequential queue per notebook; each cell runs through the
// core executor (what it needs first, from the cache when unchanged), with live progress replaced by the final
// output (runEventRelay.ts), cancel through the execution token, and errors shown as notebook errors with what to
// do. Within one Run (All), a cell that failed is not run again for the cells that need it: they are skipped.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunFailures } from '../core/run/failures';
import type { CellResult } from '../core/run/types';
import { RunQueue } from '../core/run/queue';
import { loadCore } from './core';
import { EngineHost } from './engineHost';
import { errorOutput, failureOutput, resultOutputs } from './cellOutputs';
import { validateOptions } from './diagnostics';
import { HashingProgress } from './hashProgress';
import { isRecipeNotebook, NOTEBOOK_TYPE, recipeCells } from './notebookCells';
import { RunEventRelay } from './runEventRelay';
import { ensureTrusted } from './workspaceTrust';

export class RecipeController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly queues = new Map<string, RunQueue>();
  /** The last execution order given, per notebook (numbers count up within a notebook, as in Jupyter). */
  private readonly orders = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Notebooks this controller is selected for (the only ones it may show outputs in). */
  private readonly selected = new Set<string>();
  private readonly restoring = new Set<string>();
  private lastJob = 0;
  private readonly jobCells = new Map<number, vscode.NotebookCell>();

  constructor(private readonly engine: EngineHost, private readonly extensionId = 'lorabias.lorabias') {
    this.controller = vscode.notebooks.createNotebookController('lorabias.engine', NOTEBOOK_TYPE, 'LoRA Bias engine');
    this.controller.supportedLanguages = ['yaml'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'Runs recipe cells on the local GPU (or CPU)';
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.disposables.push(
      this.controller,
      this.controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected) this.selected.add(notebook.uri.toString());
        else this.selected.delete(notebook.uri.toString());
        if (selected) void this.restore(notebook);
      }),
      vscode.workspace.onDidOpenNotebookDocument((nb) => {
        this.prefer(nb);
        // reopened in this window with the controller still selected: VS Code does not select it again
        if (this.selected.has(nb.uri.toString())) void this.restore(nb);
      }),
      vscode.window.onDidChangeActiveNotebookEditor((editor) => { if (editor) void this.adopt(editor.notebook); }),
      vscode.workspace.onDidCloseNotebookDocument((nb) => { this.queues.get(nb.uri.toString())?.cancelAll(); this.queues.delete(nb.uri.toString()); }),
      // cached outputs are looked up only once the workspace is trusted (see cached)
      vscode.workspace.onDidGrantWorkspaceTrust(() => { if (vscode.window.activeNotebookEditor) void this.adopt(vscode.window.activeNotebookEditor.notebook); }),
    );
    for (const nb of vscode.workspace.notebookDocuments) this.prefer(nb);
    if (vscode.window.activeNotebookEditor) void this.adopt(vscode.window.activeNotebookEditor.notebook);
  }

  /**
   * A recipe opened with cached results: VS Code only suggests this controller (it does not select it until a
   * cell runs), and only a selected controller can show outputs, so it is selected for the active recipe, which
   * then shows its cached outputs (see restore). Never replaces a controller the user picked.
   */
  private async adopt(nb: vscode.NotebookDocument): Promise<void> {
    if (!isRecipeNotebook(nb) || nb.isUntitled || nb.uri.scheme !== 'file') return;
    if (this.selected.has(nb.uri.toString())) return void this.restore(nb);
    if (!(await this.cached(nb)).size || vscode.window.activeNotebookEditor?.notebook !== nb) return;
    try {
      // VS Code's own "Select Notebook Kernel" command, given the controller: it selects without asking
      await vscode.commands.executeCommand('_notebook.selectKernel', { id: this.controller.id, extension: this.extensionId, skipIfAlreadySelected: true });
    } catch { /* an older or newer VS Code without this command: the outputs come back on the first run */ }
  }

  /**
   * The cached results of a recipe's cells. Keying them reads the recipe's input files (asynchronously, each file
   * once, with a notification for large trees), so nothing is read before the workspace is trusted.
   */
  private async cached(nb: vscode.NotebookDocument): Promise<Map<number, CellResult>> {
    if (!vscode.workspace.isTrusted) return new Map();
    const { cachedResults } = await import('../core/run/executor.js');
    const { engineVersion } = await import('../core/engine/locate.js');
    const ac = new AbortController();
    const progress = new HashingProgress(() => ac.abort());
    try {
      return await cachedResults({ recipePath: nb.uri.fsPath, cells: recipeCells(nb), engineVersion: engineVersion(), cacheRoot: this.cacheRoot(nb.uri.fsPath), signal: ac.signal, onHashing: progress.report });
    } catch {
      return new Map(); // a recipe that does not parse (or whose reading was cancelled) has nothing to restore
    } finally {
      progress.dispose();
    }
  }

  private prefer(nb: vscode.NotebookDocument): void {
    if (isRecipeNotebook(nb)) this.controller.updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
  }

  private nextOrder(nb: vscode.NotebookDocument): number {
    const n = (this.orders.get(nb.uri.toString()) ?? 0) + 1;
    this.orders.set(nb.uri.toString(), n);
    return n;
  }

  /** Indices of the cells running or waiting in a notebook's queue. */
  private queuedCells(nb: vscode.NotebookDocument): number[] {
    return this.queue(nb).ids.map((id) => this.jobCells.get(id)?.index ?? -1);
  }

  private queue(nb: vscode.NotebookDocument): RunQueue {
    const key = nb.uri.toString();
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = new RunQueue()));
    return q;
  }

  /**
   * Clears the cache of a notebook's recipe (the "Clear Cache" command); undefined while its cells run (a running
   * cell writes into the cache and reads what it needs from it).
   */
  async clearCache(nb: vscode.NotebookDocument): Promise<number | undefined | 'untrusted'> {
    // the cache folder and its index come from the workspace (settings, files): deleting needs trust
    if (!(await ensureTrusted('Clearing the cache', 'it deletes folders named by files and settings of this workspace'))) return 'untrusted';
    if (this.queues.get(nb.uri.toString())?.busy) return undefined;
    const { CellCache } = await import('../core/run/cache.js');
    const cache = new CellCache(this.cacheRoot(nb.uri.fsPath));
    return cache.clear(nb.uri.fsPath);
  }

  private cacheRoot(recipePath: string): string {
    const setting = vscode.workspace.getConfiguration('lorabias', vscode.Uri.file(recipePath)).get<string>('cacheFolder');
    if (!setting) return path.join(path.dirname(recipePath), '.lorabias');
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(recipePath))?.uri.fsPath ?? path.dirname(recipePath);
    return path.resolve(folder, setting);
  }

  private async execute(cells: vscode.NotebookCell[], nb: vscode.NotebookDocument): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      for (const cell of cells) this.fail(cell, 'Untrusted workspace', 'This workspace is not trusted, so cells do not run here: running starts the Python engine, which runs code. Trust the workspace (Manage Workspace Trust) to run them.');
      // the warning waits for the user to dismiss it; the cells must not wait with it
      void ensureTrusted('Running recipe cells');
      return;
    }
    const q = this.queue(nb);
    // one Run (All): a cell that fails is not run again for each cell that needs it; those are skipped
    const failures = new RunFailures();
    this.trace(`run requested: cells ${cells.map((c) => c.index + 1).join(', ')} of ${path.basename(nb.uri.fsPath)} (queued: ${this.queuedCells(nb).map((i) => i + 1).join(', ') || 'none'})`);
    await Promise.all(cells.map((cell) => {
      if (this.queuedCells(nb).includes(cell.index)) return undefined;
      // the execution exists while the cell waits (VS Code shows it pending), so its stop button and
      // "Interrupt" reach a waiting cell too: it is dropped from the queue
      let exec: vscode.NotebookCellExecution;
      try {
        exec = this.controller.createNotebookCellExecution(cell);
      } catch {
        return undefined; // already running (as what another cell needs)
      }
      // jobs are named by a number of their own: a cell's index changes when cells are added above it
      const id = ++this.lastJob;
      this.jobCells.set(id, cell);
      const cancel = exec.token.onCancellationRequested(() => q.cancel(id));
      return q.enqueue({ id, run: (signal) => this.runCell(exec, cell, nb, signal, failures), dropped: () => exec.end(undefined) })
        .finally(() => {
          cancel.dispose();
          this.jobCells.delete(id);
        });
    }));
  }

  /** What the runner did, in the engine's log (LoRA Bias: Show Engine Log). */
  private trace(line: string): void {
    this.engine.log.appendLine(`[run] ${line}`);
  }

  private fail(cell: vscode.NotebookCell, name: string, message: string): void {
    let exec: vscode.NotebookCellExecution;
    try {
      exec = this.controller.createNotebookCellExecution(cell);
    } catch {
      return;
    }
    exec.start(Date.now());
    void exec.replaceOutput(errorOutput(name, message)).then(() => exec.end(false, Date.now()), () => exec.end(false, Date.now()));
  }

  private async runCell(exec: vscode.NotebookCellExecution, cell: vscode.NotebookCell, nb: vscode.NotebookDocument, queueSignal: AbortSignal, failures: RunFailures): Promise<void> {
    if (cell.kind !== vscode.NotebookCellKind.Code) return exec.end(undefined);
    exec.executionOrder = this.nextOrder(nb);
    exec.start(Date.now());
    this.trace(`cell ${cell.index + 1} starts [${exec.executionOrder}]`);
    const cancel = cancelController(queueSignal, exec.token);
    const end = (ok: boolean) => exec.end(ok, Date.now());
    // the recipe is read once, now: cell numbers in the run's events are those of this reading
    const index = cell.index;
    try {
      const cells = recipeCells(nb);
      const refusal = await this.refusal(nb, cells, index);
      if (refusal) {
        await exec.replaceOutput(refusal.output);
        return end(refusal.ok);
      }
      await this.runRecipeCell(exec, nb, cells, index, cancel, failures);
    } catch (e) {
      await exec.replaceOutput(errorOutput('Error', (e as Error).message));
      end(false);
    }
  }

  /** Why a cell is not run at all (an unsaved recipe, problems in it, a cell with nothing to run): what it shows. */
  private async refusal(nb: vscode.NotebookDocument, cells: ReturnType<typeof recipeCells>, index: number): Promise<{ output: vscode.NotebookCellOutput[]; ok: boolean } | undefined> {
    if (nb.isUntitled || nb.uri.scheme !== 'file') {
      return { output: [errorOutput('Save the recipe first', 'Paths in a recipe and its cache live beside the .lorabias file: save it to a folder, then run.')], ok: false };
    }
    const core = await loadCore();
    const problems = core.validateRecipe(cells, validateOptions(nb.uri)).filter((p) => p.severity === 'error');
    if (problems.length) {
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      const first = problems[0];
      return { output: [errorOutput('The recipe has problems', `Fix the ${problems.length} problem${problems.length > 1 ? 's' : ''} in the Problems panel first (cell ${first.cell + 1}, line ${first.line + 1}: ${first.message}).`)], ok: false };
    }
    if (!core.parseCell(cells[index], index).kind) return { output: [], ok: true };
    return undefined;
  }

  /** Runs one cell through the core executor (what it needs first), showing upstream cells that run as running. */
  private async runRecipeCell(exec: vscode.NotebookCellExecution, nb: vscode.NotebookDocument, cells: ReturnType<typeof recipeCells>, index: number, cancel: AbortController, failures: RunFailures): Promise<void> {
    const { runRecipe, CellFailed } = await import('../core/run/executor.js');
    const { engineVersion } = await import('../core/engine/locate.js');
    const { EngineError } = await import('../core/engine/client.js');
    const session = this.engine.get();
    const relay = new RunEventRelay({
      startUpstream: (cell) => this.startUpstream(nb, cell, index),
      finish: (other, r) => this.finish(other, r),
    }, index, exec, new Set(this.queuedCells(nb)));
    const recipePath = nb.uri.fsPath;
    // reading a large input tree for the cache keys shows a notification whose Cancel stops this cell
    const hashing = new HashingProgress(() => cancel.abort());
    try {
      const results = await runRecipe({
        recipePath, cells, only: [index], engineVersion: engineVersion(), engine: () => session.get(), failures,
        device: this.engine.deviceSetting(), signal: cancel.signal, onEvent: relay.onEvent, cacheRoot: this.cacheRoot(recipePath),
        onHashing: hashing.report,
      });
      const mine = results.find((r) => r.cell === index);
      if (mine) await this.finish(exec, mine);
      else exec.end(true, Date.now());
    } catch (e) {
      relay.failAll();
      if (!(e instanceof CellFailed)) throw e;
      if (e.code === 'E_SKIPPED') this.trace(`cell ${index + 1}: ${e.message}`);
      await exec.replaceOutput(failureOutput(e, index, (x) => session.explain(new EngineError(x.code, x.message, e.log))));
      exec.end(false, Date.now());
    } finally {
      hashing.dispose();
    }
  }

  /** An execution for a cell that runs because the cell `forCell` needs it; undefined when it runs on its own. */
  private startUpstream(nb: vscode.NotebookDocument, cell: number, forCell: number): vscode.NotebookCellExecution | undefined {
    try {
      const other = this.controller.createNotebookCellExecution(nb.cellAt(cell));
      other.executionOrder = this.nextOrder(nb);
      other.start(Date.now());
      this.trace(`cell ${cell + 1} runs for cell ${forCell + 1} [${other.executionOrder}]`);
      return other;
    } catch {
      return undefined; // already running on its own
    }
  }

  private async finish(exec: vscode.NotebookCellExecution, r: CellResult): Promise<void> {
    await exec.replaceOutput(await resultOutputs(r));
    exec.end(true, Date.now());
  }

  /** Shows every cell's last outputs from the cache, without running anything (and without the engine). */
  async restore(nb: vscode.NotebookDocument): Promise<void> {
    if (!isRecipeNotebook(nb) || nb.isUntitled || nb.uri.scheme !== 'file') return;
    const key = nb.uri.toString();
    if (this.restoring.has(key)) return;
    this.restoring.add(key);
    try {
      const results = await this.cached(nb);
      for (const [index, r] of results) {
        if (nb.isClosed || index >= nb.cellCount) return;
        const cell = nb.cellAt(index);
        if (cell.outputs.length || this.queuedCells(nb).includes(index)) continue;
        let exec: vscode.NotebookCellExecution;
        try {
          exec = this.controller.createNotebookCellExecution(cell);
        } catch {
          continue; // running right now: it will show its own output
        }
        exec.start();
        this.trace(`cell ${index + 1}: output restored from the cache`);
        try {
          await exec.replaceOutput(await resultOutputs(r));
        } finally {
          exec.end(undefined);
        }
      }
    } finally {
      this.restoring.delete(key);
    }
  }

  dispose(): void {
    for (const q of this.queues.values()) q.cancelAll();
    for (const d of this.disposables) d.dispose();
  }
}

/** Aborts when the queue cancels the job or the user stops the cell (or the code holding it aborts). */
function cancelController(queueSignal: AbortSignal, token: vscode.CancellationToken): AbortController {
  const ac = new AbortController();
  if (queueSignal.aborted || token.isCancellationRequested) ac.abort();
  queueSignal.addEventListener('abort', () => ac.abort());
  token.onCancellationRequested(() => ac.abort());
  return ac;
}
