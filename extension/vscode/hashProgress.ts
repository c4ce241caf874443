// A notification while a large input tree is read for the cache keys ("images: 1.2 of 4.2 GB"), with a
// Cancel button. Small inputs (most datasets) are read without one.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HashProgress } from '../core/run/inputHashes';

const LARGE_BYTES = 64 * 1024 * 1024;
const LARGE_FILES = 2000;

const size = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.round(n / 1024 ** 2)} MB`);

export class HashingProgress implements vscode.Disposable {
  /** Set while a notification is up (or being opened): closes it. */
  private close?: () => void;
  private progress?: vscode.Progress<{ message?: string; increment?: number }>;
  private pct = 0;

  /** @param cancel called when the user presses Cancel on the notification */
  constructor(private readonly cancel: () => void) {}

  readonly report = (p: HashProgress): void => {
    if (!this.close && !p.done && (p.totalBytes >= LARGE_BYTES || p.totalFiles >= LARGE_FILES)) this.show();
    if (this.progress) {
      const pct = p.totalBytes ? (100 * p.bytes) / p.totalBytes : (100 * p.files) / Math.max(1, p.totalFiles);
      this.progress.report({
        message: `${path.basename(p.input)}: ${size(p.bytes)} of ${size(p.totalBytes)} (${p.files} of ${p.totalFiles} files); read once, then remembered`,
        increment: pct - this.pct,
      });
      this.pct = pct;
    }
    if (p.done) this.dispose();
  };

  private show(): void {
    const done = new Promise<void>((resolve) => (this.close = resolve));
    this.pct = 0;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'LoRA Bias: reading input files for the cache', cancellable: true },
      (progress, token) => {
        if (this.close) this.progress = progress;
        token.onCancellationRequested(() => this.cancel());
        return done;
      },
    );
  }

  /** Closes the notification; a later large input opens a new one. */
  dispose(): void {
    this.close?.();
    this.close = undefined;
    this.progress = undefined;
  }
}
