// Progress on stderr: a live bar per cell on a terminal; plain lines (at most one every few seconds) otherwise.
import type { HashProgress } from '../core/run/inputHashes';
import type { RunEvent } from '../core/run/types';

const LARGE_BYTES = 64 * 1024 * 1024;
const LARGE_FILES = 2000;
const size = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.round(n / 1024 ** 2)} MB`);

export class ProgressPrinter {
  private lastPlain = 0;
  private barShown = false;

  constructor(private readonly write: (s: string) => void, private readonly tty: boolean, private readonly cells: { kind: string; name?: string }[]) {}

  event(e: RunEvent): void {
    if (e.type === 'start' && !e.cached) this.line(`▶ ${this.label(e.cell)}`);
    if (e.type === 'progress') {
      const { step, total, loss, eta_s: eta } = e.data as { step?: number; total?: number; loss?: number; eta_s?: number };
      if (step === undefined || !total) return;
      const text = `${this.label(e.cell)} ${step}/${total}` + (loss !== undefined && loss !== null ? ` loss ${Number(loss).toFixed(4)}` : '') + (eta ? ` ETA ${Math.round(eta)} s` : '');
      if (this.tty) {
        const width = 24;
        const filled = Math.round((step / total) * width);
        process.stderr.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
        this.barShown = true;
      } else if (Date.now() - this.lastPlain > 5000 || step === total) {
        this.lastPlain = Date.now();
        this.line(text);
      }
    }
    if (e.type === 'done' || e.type === 'error') this.clearBar();
  }

  /** Reading a large input tree for the cache keys (small ones are read without a word). */
  hashing(p: HashProgress): void {
    if (p.totalBytes < LARGE_BYTES && p.totalFiles < LARGE_FILES) return;
    const text = `reading ${p.input} for the cache: ${size(p.bytes)} of ${size(p.totalBytes)} (${p.files}/${p.totalFiles} files)`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.barShown = true;
      if (p.done) this.clearBar();
    } else if (Date.now() - this.lastPlain > 5000 || p.done) {
      this.lastPlain = Date.now();
      this.line(text);
    }
  }

  finish(): void {
    this.clearBar();
  }

  private label(cell: number): string {
    const c = this.cells[cell];
    return c ? `${c.kind}${c.name ? ' ' + c.name : ''}` : `cell ${cell + 1}`;
  }

  private clearBar(): void {
    if (this.barShown) process.stderr.write('\r\x1b[2K');
    this.barShown = false;
  }

  private line(s: string): void {
    this.clearBar();
    this.write(s);
  }
}
