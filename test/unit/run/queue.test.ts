// The per-notebook queue: one job at a time, in order; cancel drops waiting jobs and aborts the running one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../../../extension/core/run/queue';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('run queue', () => {
  it('runs jobs one at a time in the order they came, even when each takes a while', async () => {
    const q = new RunQueue();
    const log: string[] = [];
    let running = 0;
    const job = (id: number) => ({
      id,
      run: async () => {
        running++;
        assert.equal(running, 1, 'never two at once');
        log.push(`start ${id}`);
        await tick();
        log.push(`end ${id}`);
        running--;
      },
    });
    await Promise.all([q.enqueue(job(1)), q.enqueue(job(2)), q.enqueue(job(3))]);
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    assert.equal(q.busy, false);
  });

  it('goes on after a job fails', async () => {
    const q = new RunQueue();
    const ran: number[] = [];
    await Promise.all([
      q.enqueue({ id: 1, run: async () => { throw new Error('boom'); } }),
      q.enqueue({ id: 2, run: async () => { ran.push(2); } }),
    ]);
    assert.deepEqual(ran, [2]);
  });

  it('aborts the running job and drops the waiting ones on cancelAll', async () => {
    const q = new RunQueue();
    let aborted = false;
    const dropped: number[] = [];
    const started: number[] = [];
    const first = q.enqueue({ id: 1, run: (signal) => new Promise((resolve) => { started.push(1); signal.addEventListener('abort', () => { aborted = true; resolve(); }); }) });
    const second = q.enqueue({ id: 2, run: async () => { started.push(2); }, dropped: () => dropped.push(2) });
    await tick();
    assert.deepEqual(q.ids, [1, 2]);
    q.cancelAll();
    await Promise.all([first, second]);
    assert.equal(aborted, true);
    assert.deepEqual(dropped, [2]);
    assert.deepEqual(started, [1]);
  });

  it('cancels a single waiting job without touching the running one', async () => {
    const q = new RunQueue();
    const order: number[] = [];
    let release!: () => void;
    const first = q.enqueue({ id: 1, run: () => new Promise<void>((r) => { release = r; }).then(() => { order.push(1); }) });
    const second = q.enqueue({ id: 2, run: async () => { order.push(2); } });
    const third = q.enqueue({ id: 3, run: async () => { order.push(3); } });
    await tick();
    q.cancel(2);
    release();
    await Promise.all([first, second, third]);
    assert.deepEqual(order, [1, 3]);
  });
});
