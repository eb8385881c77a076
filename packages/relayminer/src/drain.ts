// Pausing a supplier without dropping a relay: new relays are turned away (503 `supplier_paused` with a
// `retry-after`, which the SDK reads as "route elsewhere now, not a fault"), relays already admitted run to the end.
import type { ServerResponse } from "node:http";
import { RelayRejection } from "./errors.js";

/** Who holds a pause: the operator (CLI, admin API; survives restarts) or the serving schedule. */
export type PauseReason = "operator" | "schedule";

/** What `DrainGate.state` reports (also on `/health`). */
export type DrainState = {
  paused: boolean;
  reasons: PauseReason[];
  /** Relays admitted and not finished yet. */
  inFlight: number;
};

/**
 * Counts the relays in flight and, while any pause reason is held, refuses new ones. `pause` resolves once the
 * relays admitted before it have finished, so a caller knows when the GPU is free.
 *
 * @example
 * const gate = new DrainGate();
 * gate.admit(res);                 // throws RelayRejection("supplier_paused") while paused
 * await gate.pause("operator");    // in-flight relays finish, new ones get 503 + retry-after
 * gate.resume("operator");
 */
export class DrainGate {
  readonly #reasons = new Set<PauseReason>();
  readonly #retryAfterSeconds: number;
  #inFlight = 0;
  #waiters: (() => void)[] = [];

  /** @param options.retryAfterSeconds The `retry-after` sent while paused. Default 30. */
  constructor(options: { retryAfterSeconds?: number } = {}) {
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 30;
  }

  get paused(): boolean {
    return this.#reasons.size > 0;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get state(): DrainState {
    return { paused: this.paused, reasons: [...this.#reasons].sort(), inFlight: this.#inFlight };
  }

  /** Whether `reason` currently holds a pause. */
  holds(reason: PauseReason): boolean {
    return this.#reasons.has(reason);
  }

  /**
   * Admits one relay, counted in flight until `res` closes; throws the 503 refusal while paused.
   */
  admit(res: ServerResponse): void {
    if (this.paused) {
      throw new RelayRejection(
        "supplier_paused",
        "This supplier is paused by its operator and takes no new relays: send it to another supplier of the session.",
        null,
        this.#retryAfterSeconds,
      );
    }
    this.#inFlight++;
    res.once("close", () => {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Holds a pause for `reason`; resolves when no relay is in flight any more. */
  pause(reason: PauseReason): Promise<void> {
    this.#reasons.add(reason);
    return this.drained();
  }

  /** Releases `reason`'s pause; relays are admitted again once no reason holds one. */
  resume(reason: PauseReason): void {
    this.#reasons.delete(reason);
  }

  /** Resolves when no relay is in flight. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
