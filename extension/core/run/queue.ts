// One queue per notebook: cells run one at a time in the order they were asked for (Run All is sequential),
// and each can be cancelled — before it starts (it is dropped) or while it runs (its signal aborts).

export interface QueuedJob {
  /** What the job is (a cell index): used to find and cancel it. */
  id: number;
  run: (signal: AbortSignal) => Promise<void>;
  /** Called instead of `run` when the job is cancelled before it started. */
  dropped?: () => void;
}

export class RunQueue {
  private waiting: { job: QueuedJob; ac: AbortController; done: () => void }[] = [];
  private current?: { job: QueuedJob; ac: AbortController };
  private draining = false;

  /** Adds a job; resolves when it has run, failed or been dropped. */
  enqueue(job: QueuedJob): Promise<void> {
    return new Promise((done) => {
      this.waiting.push({ job, ac: new AbortController(), done });
      void this.drain();
    });
  }

  /** Cancels one job, waiting or running. */
  cancel(id: number): void {
    if (this.current?.job.id === id) this.current.ac.abort();
    const i = this.waiting.findIndex((w) => w.job.id === id);
    if (i >= 0) {
      const [w] = this.waiting.splice(i, 1);
      w.job.dropped?.();
      w.done();
    }
  }

  /** Cancels everything: the running job and all waiting ones. */
  cancelAll(): void {
    for (const w of this.waiting.splice(0)) {
      w.job.dropped?.();
      w.done();
    }
    this.current?.ac.abort();
  }

  get busy(): boolean {
    return Boolean(this.current) || this.waiting.length > 0;
  }

  /** Ids of the running job and the waiting ones, in order. */
  get ids(): number[] {
    return [...(this.current ? [this.current.job.id] : []), ...this.waiting.map((w) => w.job.id)];
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
        this.current = { job: next.job, ac: next.ac };
        try {
          await next.job.run(next.ac.signal);
        } catch {
          // a job reports its own failure; the queue goes on with the next
        } finally {
          this.current = undefined;
          next.done();
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
