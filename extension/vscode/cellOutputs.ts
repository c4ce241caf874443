// Cell results as notebook outputs: the project's MIME type (drawn by the renderer; payload in outputPayload.ts)
// with a markdown fallback, and a small PNG of any grid — paths to the full-size files, never megabytes of base64.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CellResult } from '../core/run/types';
import { fallbackMarkdown, gridFallbackPng, OUTPUT_MIME, progressPayload, resultPayload } from './outputPayload';

export { OUTPUT_MIME } from './outputPayload';

export async function resultOutputs(r: CellResult): Promise<vscode.NotebookCellOutput[]> {
  const payload = await resultPayload(r);
  // One output, three presentations of it: VS Code shows the first one it has a renderer for (ours), and the
  // grid's PNG or the markdown elsewhere (no renderer, "Change Presentation", a notebook viewer).
  const items = [vscode.NotebookCellOutputItem.json(payload, OUTPUT_MIME)];
  if (r.artifacts.grid && fs.existsSync(r.artifacts.grid)) items.push(new vscode.NotebookCellOutputItem(await gridFallbackPng(r.artifacts.grid), 'image/png'));
  items.push(vscode.NotebookCellOutputItem.text(fallbackMarkdown(payload.title, r.display.markdown), 'text/markdown'));
  return [new vscode.NotebookCellOutput(items, { lorabias: { kind: r.kind, cached: r.cached }, ...(r.artifacts.grid ? { path: r.artifacts.grid } : {}) })];
}

export function progressOutput(title: string, data: Record<string, unknown>): vscode.NotebookCellOutput {
  const payload = progressPayload(title, data);
  return new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.json(payload, OUTPUT_MIME),
    vscode.NotebookCellOutputItem.text(`${title}: ${payload.text}`, 'text/plain'),
  ]);
}

/** A notebook error with what to do, and no stack trace (these are the user's problems, not ours). */
export function errorOutput(name: string, message: string): vscode.NotebookCellOutput {
  const err = new Error(message);
  err.name = name;
  err.stack = '';
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(err)]);
}

/** What a failed cell shows: cancelled, skipped (a cell it needs failed earlier in the run), or the failure. */
export function failureOutput(e: { cell: number; code: string; message: string }, index: number, explainEngine: (e: { code: string; message: string }) => string): vscode.NotebookCellOutput {
  if (e.code === 'E_CANCELLED') return errorOutput('Cancelled', 'nothing was kept; the next run starts this cell again (training resumes from its last checkpoint, if it saved one).');
  if (e.code === 'E_SKIPPED') return errorOutput('Skipped', `${e.message}: fix that cell, then run again.`);
  const message = e.code.startsWith('E_ENGINE') ? explainEngine(e) : e.message;
  return errorOutput(e.code, e.cell === index ? message : `cell ${e.cell + 1}, which this cell needs, failed: ${message}`);
}
