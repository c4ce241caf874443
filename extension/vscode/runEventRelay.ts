// A running cell's events, shown in the notebook: its own progress in its own output, and each cell it needs that
// has to run (not one from the cache, nor one queued to run on its own) shown as running too, with its progress
// and, when it is done, its output.
import * as vscode from 'vscode';
import type { CellResult, RunEvent } from '../core/run/types';
import { progressOutput } from './cellOutputs';

const PROGRESS_INTERVAL_MS = 300;

export interface RelayHost {
  /** A started execution for an upstream cell, or undefined when that cell already runs on its own. */
  startUpstream(cell: number): vscode.NotebookCellExecution | undefined;
  finish(exec: vscode.NotebookCellExecution, r: CellResult): Promise<void>;
}

export class RunEventRelay {
  private readonly others = new Map<number, vscode.NotebookCellExecution>();
  private readonly titles = new Map<number, string>();
  private lastProgress = 0;

  constructor(private readonly host: RelayHost, private readonly index: number, private readonly exec: vscode.NotebookCellExecution, private readonly queued: Set<number>) {}

  readonly onEvent = (e: RunEvent): void => {
    if (e.type === 'start') this.started(e.cell, [e.kind, e.name].filter(Boolean).join(' '), e.cached);
    else if (e.type === 'progress') this.progress(e.cell, e.data);
    else if (e.type === 'done' && e.result.cell !== this.index) this.upstreamDone(e.result);
  };

  /** Ends the executions of the upstream cells still shown as running, as failed. */
  failAll(): void {
    for (const other of this.others.values()) other.end(false, Date.now());
    this.others.clear();
  }

  private started(cell: number, title: string, cached: boolean): void {
    this.titles.set(cell, title);
    if (cell === this.index || cached || this.queued.has(cell)) return;
    const other = this.host.startUpstream(cell);
    if (other) this.others.set(cell, other);
  }

  private progress(cell: number, data: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastProgress < PROGRESS_INTERVAL_MS && Number(data.step) !== Number(data.total)) return;
    this.lastProgress = now;
    const target = cell === this.index ? this.exec : this.others.get(cell);
    void target?.replaceOutput(progressOutput(this.titles.get(cell) ?? '', data));
  }

  private upstreamDone(r: CellResult): void {
    const other = this.others.get(r.cell);
    this.others.delete(r.cell);
    if (other) void this.host.finish(other, r);
  }
}
