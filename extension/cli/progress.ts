// Progress on stderr: a live bar per cell on a terminal; plain lines (at most one every few seconds) otherwise.
import type { RunEvent } from '../core/run/types';

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
