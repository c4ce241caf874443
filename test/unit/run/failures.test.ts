// Within one run, a failed cell blocks what needs it (and only that); a bias whose constraint did not hold counts
// as failed unless it says `on_fail: continue`; `on_fail` does not change the bias's cache key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRecipeText } from '../../../extension/core/recipe';
import { constraintFailure } from '../../../extension/core/run/constraint';
import { CellFailed, CellSkipped, RunFailures, waitingOnFailures } from '../../../extension/core/run/failures';
import { computeKeys } from '../../../extension/core/run/keys';
import { tinyRecipe } from '../../fixtures/tinyRecipe';

// the tiny recipe's cells: 0 model, 1 dataset a, 2 dataset a2, 3 copier (model, a), 4 slider (copier, a2), 5 preview (slider), 6 export (slider)
const STEPS = [{ cell: 0, needs: [] }, { cell: 1, needs: [] }, { cell: 2, needs: [] }, { cell: 3, needs: [0, 1] }, { cell: 4, needs: [3, 2] }, { cell: 5, needs: [4] }, { cell: 6, needs: [4] }];

describe('run failures', () => {
  it('a failed bias blocks the target and, through it, the preview and the export — not the datasets', () => {
    const f = new RunFailures();
    f.record(new CellFailed(3, 'E_CONSTRAINT', 'does not hold'), 'bias copier');
    assert.deepEqual([...waitingOnFailures(STEPS, f, new Set())], [[4, 3], [5, 3], [6, 3]]);
  });

  it('a failed cell asked for again is run again, so it blocks nothing', () => {
    const f = new RunFailures();
    f.record(new CellFailed(3, 'E_CONSTRAINT', 'does not hold'), 'bias copier');
    assert.equal(waitingOnFailures(STEPS, f, new Set([3])).size, 0);
  });

  it('cancellations and skips are not failures of the cell', () => {
    const f = new RunFailures();
    f.record(new CellFailed(3, 'E_CANCELLED', 'cancelled'), 'bias copier');
    f.record(new CellSkipped(4, 3, 'bias copier'), 'target slider');
    assert.equal(f.size, 0);
    assert.equal(new CellSkipped(4, 3, 'bias copier').message, 'skipped: upstream cell 4 (bias copier) failed');
  });
});

describe('bias constraint', () => {
  const bias = (body: Record<string, unknown>) => ({ kind: 'bias', name: 'copier', body: { until: { fidelity: 0.9 }, ...body } });
  const missed = { steps: 600, fidelity: { value: 0.6581, held: false, target: 0.9 } };

  it('a constraint that did not hold fails the bias, with the measured value, the bar and what to do', () => {
    const m = constraintFailure(bias({}), missed);
    assert.ok(m);
    assert.match(m, /^the bias `copier` does not hold its constraint: fidelity 0\.658 after 600 steps is below the bar 0\.9 /);
    for (const what of ['more `steps:`', 'lower the bar', '`on_fail: continue`']) assert.ok(m.includes(what), what);
  });

  it('`on_fail: continue`, a constraint that held, or no constraint: the bias may be used', () => {
    assert.equal(constraintFailure(bias({ on_fail: 'continue' }), missed), undefined);
    assert.equal(constraintFailure(bias({}), { fidelity: { value: 0.95, held: true, target: 0.9 } }), undefined);
    assert.equal(constraintFailure({ kind: 'bias', name: 'copier', body: {} }, missed), undefined);
    assert.equal(constraintFailure({ kind: 'target', name: 'slider', body: { until: { fidelity: 0.9 } } }, missed), undefined);
  });

  it('`on_fail` does not change the cache key of the bias, nor of what uses it; `until` does', async () => {
    const keys = async (text: string) => [...(await computeKeys(parseRecipeText(text).cells, '/tmp/r.lorabias', 'e1')).values()].map((k) => k.key);
    const stop = await keys(tinyRecipe({ until: '{ fidelity: 0.9 }' }));
    assert.deepEqual(await keys(tinyRecipe({ until: '{ fidelity: 0.9 }', onFail: 'continue' })), stop);
    assert.deepEqual(await keys(tinyRecipe({ until: '{ fidelity: 0.9 }', onFail: 'stop' })), stop);
    assert.notDeepEqual((await keys(tinyRecipe({ until: '{ fidelity: 0.8 }' })))[3], stop[3]);
  });
});
