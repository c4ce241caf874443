// Cell results as notebook outputs: the project's MIME type (drawn by the renderer) with a markdown fallback, and
// a small PNG of any grid — paths to the full-size files, never megabytes of base64.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CellResult } from '../core/run/types';

export const OUTPUT_MIME = 'application/vnd.lorabias.output+json';
const THUMB_WIDTH = 768;

export async function resultOutputs(r: CellResult): Promise<vscode.NotebookCellOutput[]> {
  const payload = {
    title: r.display.title + (r.cached ? ' (cached)' : ` (${r.seconds.toFixed(1)} s)`),
    text: r.display.markdown,
    kind: r.kind,
    cached: r.cached,
    seconds: r.seconds,
    figures: r.figures,
    artifacts: r.artifacts,
    images: r.display.images ?? [],
    data: r.display.data ?? {},
  };
  const outputs = [new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.json(payload, OUTPUT_MIME),
    vscode.NotebookCellOutputItem.text(`**${payload.title}**\n\n${r.display.markdown}`, 'text/markdown'),
  ], { lorabias: { kind: r.kind, cached: r.cached } })];
  if (r.artifacts.grid && fs.existsSync(r.artifacts.grid)) {
    const png = await thumbnail(r.artifacts.grid);
    outputs.push(new vscode.NotebookCellOutput([new vscode.NotebookCellOutputItem(png, 'image/png')], { path: r.artifacts.grid }));
  }
  return outputs;
}

async function thumbnail(file: string): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  const meta = await sharp(file).metadata();
  if ((meta.width ?? 0) <= THUMB_WIDTH) return fs.readFileSync(file);
  return sharp(file).resize({ width: THUMB_WIDTH }).png().toBuffer();
}

export function progressOutput(title: string, data: Record<string, unknown>): vscode.NotebookCellOutput {
  const { step, total, loss, eta_s: eta, its } = data as { step?: number; total?: number; loss?: number; eta_s?: number; its?: number };
  const parts = [step !== undefined && total ? `step ${step}/${total}` : 'working…'];
  if (typeof loss === 'number') parts.push(`loss ${loss.toFixed(4)}`);
  if (typeof its === 'number') parts.push(`${its.toFixed(2)} it/s`);
  if (typeof eta === 'number') parts.push(`ETA ${Math.round(eta)} s`);
  const text = parts.join(' · ');
  return new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.json({ title, text, progress: data }, OUTPUT_MIME),
    vscode.NotebookCellOutputItem.text(`${title}: ${text}`, 'text/plain'),
  ]);
}

/** A notebook error with what to do, and no stack trace (these are the user's problems, not ours). */
export function errorOutput(name: string, message: string): vscode.NotebookCellOutput {
  const err = new Error(message);
  err.name = name;
  err.stack = '';
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(err)]);
}
