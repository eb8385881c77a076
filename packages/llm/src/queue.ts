import { abortError, OpenAIError } from "./openai/errors.js";

/** Counters of a {@link FairQueue}. */
export type QueueStats = { total: number; busy: number; waiting: number };

/**
 * Hands out a fixed set of resources (e.g. llama.cpp context sequences) first come, first served. Waiters are
 * served strictly in arrival order, a waiter whose signal aborts leaves the line, and past `maxWaiting` new
 * arrivals are refused with a 503 instead of queueing without bound.
 *
 * @example
 * const queue = new FairQueue(sequences, { maxWaiting: 64 });
 * const sequence = await queue.acquire(signal);
 * try { ... } finally { queue.release(sequence); }
 */
export class FairQueue<T> {
  readonly #free: T[];
  readonly #total: number;
  readonly #maxWaiting: number;
  readonly #waiters: Array<{ resolve: (value: T) => void; reject: (err: Error) => void }> = [];
  #closed = false;

  constructor(
    resources: readonly T[],
    { maxWaiting = Number.POSITIVE_INFINITY }: { maxWaiting?: number } = {},
  ) {
    if (resources.length === 0) throw new RangeError("FairQueue needs at least one resource");
    this.#free = [...resources];
    this.#total = resources.length;
    this.#maxWaiting = maxWaiting;
  }

  /** Current counts; `busy` resources are acquired and not yet released. */
  get stats(): QueueStats {
    return { total: this.#total, busy: this.#total - this.#free.length, waiting: this.#waiters.length };
  }

  /**
   * Resolves with a free resource once every earlier caller has been served. Rejects with an `AbortError` when
   * `signal` aborts first, and with a 503 {@link OpenAIError} when the line is full or the queue closed.
   */
  acquire(signal?: AbortSignal): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const free = this.#waiters.length === 0 ? this.#free.pop() : undefined;
    if (free !== undefined) return Promise.resolve(free);
    if (this.#waiters.length >= this.#maxWaiting) {
      return Promise.reject(
        new OpenAIError(
          503,
          `The server is busy: ${this.#waiters.length} requests are already waiting. Retry later.`,
          {
            code: "overloaded",
          },
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(abortError(signal));
      };
      const waiter = {
        resolve: (value: T) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (err: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Returns a resource; the longest-waiting caller gets it. */
  release(resource: T): void {
    const next = this.#waiters.shift();
    if (next) next.resolve(resource);
    else this.#free.push(resource);
  }

  /** Refuses new callers and rejects everyone still waiting with a 503. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closedError());
  }
}

const closedError = () =>
  new OpenAIError(503, "The backend is shutting down and takes no new requests.", { code: "backend_closed" });
