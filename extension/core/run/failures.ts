// Failed cells within one run (a `lorabias run`, or one Run All in the notebook): a cell that failed is not run
// again for every cell that needs it; the cells that need it are skipped, saying which upstream cell failed.

/** A cell that could not run: its index, a stable code (`E_…`) and a message that says what to do. */
export class CellFailed extends Error {
  constructor(readonly cell: number, readonly code: string, message: string, readonly log: string[] = []) {
    super(message);
  }
}

/** A cell not run because a cell it needs (directly or through others) failed earlier in the same run. */
export class CellSkipped extends CellFailed {
  constructor(cell: number, readonly upstream: number, upstreamLabel: string) {
    super(cell, 'E_SKIPPED', `skipped: upstream cell ${upstream + 1} (${upstreamLabel}) failed`);
  }
}

export interface FailedCell {
  cell: number;
  /** "bias copier": the cell's kind and name. */
  label: string;
  code: string;
  message: string;
}

/** What failed so far in a run. Cancellations and skips are not failures of the cell itself. */
export class RunFailures {
  private readonly failed = new Map<number, FailedCell>();

  record(e: CellFailed, label: string): void {
    if (e instanceof CellSkipped || e.code === 'E_CANCELLED') return;
    if (!this.failed.has(e.cell)) this.failed.set(e.cell, { cell: e.cell, label, code: e.code, message: e.message });
  }

  get(cell: number): FailedCell | undefined {
    return this.failed.get(cell);
  }

  has(cell: number): boolean {
    return this.failed.has(cell);
  }

  get size(): number {
    return this.failed.size;
  }

  list(): FailedCell[] {
    return [...this.failed.values()];
  }
}

/**
 * For each step (in run order) that waits, directly or through others, on a cell that failed earlier, the failed
 * cell it waits on. A failed cell in `rerun` (asked for again) is run again, so it blocks nothing.
 */
export function waitingOnFailures(steps: { cell: number; needs: number[] }[], failures: RunFailures, rerun: Set<number>): Map<number, number> {
  const waiting = new Map<number, number>();
  const failed = (c: number) => failures.has(c) && !rerun.has(c);
  for (const step of steps) {
    const up = step.needs.find((c) => failed(c) || waiting.has(c));
    if (up !== undefined) waiting.set(step.cell, failed(up) ? up : waiting.get(up)!);
  }
  return waiting;
}
