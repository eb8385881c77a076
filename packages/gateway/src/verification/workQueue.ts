// A bounded background queue: verification work runs here, never on a user's request path.

/**
 * Runs queued jobs `concurrency` at a time, in order. Past `maxPending` waiting jobs, `push` refuses (returns
 * false) instead of growing without bound. A job's error goes to `onError`, never to the caller.
 *
 * @example
 * const queue = new WorkQueue({ concurrency: 1, maxPending: 256, onError: (e) => log.error("check failed", { e }) });
 * queue.push(() => runCheck());
 * await queue.idle();
 */
export class WorkQueue {
  readonly #concurrency: number;
  readonly #maxPending: number;
  readonly #onError: (error: unknown) => void;
  readonly #pending: Array<() => Promise<void>> = [];
  #running = 0;
  #waiters: Array<() => void> = [];
  dropped = 0;

  constructor(options: { concurrency: number; maxPending: number; onError: (error: unknown) => void }) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#maxPending = options.maxPending;
    this.#onError = options.onError;
  }

  /** Queues a job; false (and `dropped` + 1) when the queue is full. */
  push(job: () => Promise<void>): boolean {
    if (this.#pending.length >= this.#maxPending) {
      this.dropped++;
      return false;
    }
    this.#pending.push(job);
    // Start on a later tick: the caller (a request being answered) is never delayed by a job's synchronous part.
    setImmediate(() => this.#drain());
    return true;
  }

  get pending(): number {
    return this.#pending.length;
  }

  get running(): number {
    return this.#running;
  }

  /** Resolves once nothing is queued or running (including jobs queued meanwhile). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #drain(): void {
    while (this.#running < this.#concurrency && this.#pending.length > 0) {
      const job = this.#pending.shift() as () => Promise<void>;
      this.#running++;
      void (async () => {
        try {
          await job();
        } catch (error) {
          this.#onError(error);
        } finally {
          this.#running--;
          this.#drain();
          if (this.#running === 0 && this.#pending.length === 0) {
            const waiters = this.#waiters;
            this.#waiters = [];
            for (const w of waiters) w();
          }
        }
      })();
    }
  }
}
