// Where and when verification work runs: never on a request's path, costly checks within the budget, free checks
// never stuck behind a network call, watcher rounds (which pause between challenges) beside both.
import type { Logger } from "../log.js";
import type { CostLedger } from "./costLedger.js";
import type { CheckKind } from "./types.js";
import { WorkQueue } from "./workQueue.js";

/** @internal The work scheduler of a `Verifier`. */
export class CheckScheduler {
  /** Free checks (usage audits, replay) and verdicts from elsewhere. */
  readonly #free: WorkQueue;
  /** Checks that cost inference (prefill, re-execution, replay confirmation). */
  readonly #costly: WorkQueue;
  /** Watcher rounds in progress, per service. */
  readonly #rounds = new Map<string, Promise<void>>();
  readonly #ledger: CostLedger;
  readonly #skip: (check: CheckKind) => void;
  readonly #log: Logger;

  constructor(deps: {
    ledger: CostLedger;
    queue: { concurrency: number; maxPending: number };
    /** Counts a check that was due but did not run. */
    skip: (check: CheckKind) => void;
    log: Logger;
  }) {
    const onError = (error: unknown) => deps.log.error("verification check failed", { error });
    this.#free = new WorkQueue({ ...deps.queue, onError });
    this.#costly = new WorkQueue({ ...deps.queue, onError });
    this.#ledger = deps.ledger;
    this.#skip = deps.skip;
    this.#log = deps.log;
  }

  /** Queues free work; false when the queue is full. */
  free(job: () => Promise<void>): boolean {
    return this.#free.push(job);
  }

  /**
   * Queues a costly check if the budget holds its estimate (else counts it skipped). `run` resolves with whether
   * it concluded anything (else it counts as skipped); what it really spends is booked by its verdicts.
   */
  budgeted(check: CheckKind, estimate: number, run: () => Promise<boolean>): void {
    if (!this.#ledger.reserve(estimate)) {
      this.#skip(check);
      return;
    }
    const queued = this.#costly.push(async () => {
      try {
        if (!(await run())) this.#skip(check);
      } finally {
        this.#ledger.settle(estimate, check, 0);
      }
    });
    if (!queued) {
      this.#ledger.settle(estimate, check, 0);
      this.#skip(check);
    }
  }

  /** Starts a watcher round for `service` unless one is running or the budget cannot hold `estimate`. */
  round(service: string, estimate: number, run: () => Promise<boolean>): void {
    if (this.#rounds.has(service) || !this.#ledger.reserve(estimate)) {
      this.#skip("watcher");
      return;
    }
    const round = (async () => {
      await new Promise((resolve) => setImmediate(resolve)); // never on the caller's tick
      try {
        if (!(await run())) this.#skip("watcher");
      } finally {
        this.#ledger.settle(estimate, "watcher", 0);
        this.#rounds.delete(service);
      }
    })().catch((error: unknown) => this.#log.error("watcher round failed", { service, error }));
    this.#rounds.set(service, round);
  }

  /** Resolves once nothing is queued, running, or in a watcher round (including work started meanwhile). */
  async idle(): Promise<void> {
    while (this.#busy())
      await Promise.all([this.#free.idle(), this.#costly.idle(), ...this.#rounds.values()]);
  }

  stats(): { pending: number; running: number; dropped: number } {
    return {
      pending: this.#free.pending + this.#costly.pending,
      running: this.#free.running + this.#costly.running + this.#rounds.size,
      dropped: this.#free.dropped + this.#costly.dropped,
    };
  }

  #busy(): number {
    return (
      this.#free.pending +
      this.#free.running +
      this.#costly.pending +
      this.#costly.running +
      this.#rounds.size
    );
  }
}
