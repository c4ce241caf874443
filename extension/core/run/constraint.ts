// A bias's `until:` constraint, applied as a rule of the run: a bias whose constraint did not hold at the end of
// training fails (and what uses it does not run) unless the cell says `on_fail: continue`. The trained LoRA is
// kept in the cache either way — `on_fail` is not part of the cell's cache key — so switching to `continue`, or
// running the same recipe again, never trains the bias a second time.
import type { KeyedCell } from './keys';

export type OnFail = 'stop' | 'continue';

/** The measured constraint of a trained bias, as its figures record it (see cells/train.ts). */
export interface ConstraintFigures {
  value?: number;
  held?: boolean;
  target?: number;
}

/** Keys of a cell body that decide how the run treats the cell's result, not what the cell makes. */
export const POLICY_KEYS: Record<string, string[]> = { bias: ['on_fail'] };

export function onFail(cell: Pick<KeyedCell, 'body'>): OnFail {
  return cell.body.on_fail === 'continue' ? 'continue' : 'stop';
}

/**
 * Why a finished cell must count as failed, or undefined when it may be used: a bias with `until:` whose
 * constraint did not hold, and no `on_fail: continue`.
 */
export function constraintFailure(cell: Pick<KeyedCell, 'kind' | 'name' | 'body'>, figures: Record<string, unknown>): string | undefined {
  if (cell.kind !== 'bias' || !cell.body.until || onFail(cell) === 'continue') return undefined;
  const f = figures.fidelity as ConstraintFigures | undefined;
  if (!f || f.held !== false) return undefined;
  const bar = f.target ?? (cell.body.until as Record<string, unknown>).fidelity;
  const value = typeof f.value === 'number' ? Number(f.value.toPrecision(3)) : 'unknown';
  const steps = typeof figures.steps === 'number' ? ` after ${figures.steps} steps` : '';
  return `the bias \`${cell.name ?? 'bias'}\` does not hold its constraint: fidelity ${value}${steps} is below the bar ${bar} (\`until: { fidelity: ${bar} }\`), `
    + 'so the cells that use it are not run. Train it longer (more `steps:`, or a higher `lr:` or `rank:`), lower the bar, '
    + 'or add `on_fail: continue` to this cell to use it as it is (the trained LoRA is kept: that does not train it again).';
}
