import { type Clock, systemClock } from "./clock.js";

/**
 * `closed`: traffic flows. `open`: excluded until its cool-down ends. `half-open`: on probation, a few probe
 * requests at a time decide whether it closes again or reopens for longer.
 */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of {@link CircuitBreaker}. */
export type CircuitBreakerOptions = {
  /** Consecutive failures that open a closed breaker. Default 3. */
  failureThreshold?: number;
  /** First cool-down before probation, in ms. Default 5_000. */
  openMs?: number;
  /** Cool-downs double on each failed probation, up to this. Default 60_000. */
  maxOpenMs?: number;
  /** Consecutive probe successes that close a half-open breaker. Default 2. */
  probationSuccesses?: number;
  /** Probe requests allowed in flight at once while half-open. Default 1. */
  probeConcurrency?: number;
  clock?: Clock;
};

/**
 * A circuit breaker for one supplier: it opens after `failureThreshold` consecutive failures, lets probes
 * through after a cool-down (half-open), closes after `probationSuccesses` probe successes and reopens with a
 * doubled cool-down when a probe fails, so a supplier that keeps failing costs ever fewer requests.
 *
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000 });
 * if (breaker.acquire()) {
 *   try { await call(); breaker.success(); } catch { breaker.failure(); }
 * }
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #maxOpenMs: number;
  readonly #probation: number;
  readonly #probeConcurrency: number;
  readonly #clock: Clock;
  #open = false;
  #failures = 0;
  #successes = 0;
  #probes = 0;
  #trips = 0;
  #reopenAt = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = positive(options.failureThreshold ?? 3, "failureThreshold");
    this.#openMs = positive(options.openMs ?? 5_000, "openMs");
    this.#maxOpenMs = Math.max(this.#openMs, options.maxOpenMs ?? 60_000);
    this.#probation = positive(options.probationSuccesses ?? 2, "probationSuccesses");
    this.#probeConcurrency = positive(options.probeConcurrency ?? 1, "probeConcurrency");
    this.#clock = options.clock ?? systemClock;
  }

  /** The state now; `open` turns `half-open` by itself once the cool-down has passed. */
  get state(): CircuitState {
    if (!this.#open) return "closed";
    return this.#clock() >= this.#reopenAt ? "half-open" : "open";
  }

  /** When an open breaker goes on probation (clock ms); undefined while closed. */
  get reopenAt(): number | undefined {
    return this.#open ? this.#reopenAt : undefined;
  }

  /** Consecutive failures counted while closed. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Whether a request may go through now, without taking a probe slot. */
  canRequest(): boolean {
    const state = this.state;
    return state === "closed" || (state === "half-open" && this.#probes < this.#probeConcurrency);
  }

  /**
   * Takes the right to send one request: always granted while closed, one of `probeConcurrency` probe slots
   * while half-open, refused while open. Report its outcome with `success`, `failure` or `release`.
   */
  acquire(): boolean {
    if (!this.canRequest()) return false;
    if (this.#open) this.#probes++;
    return true;
  }

  /** A request succeeded. */
  success(): void {
    if (!this.#open) {
      this.#failures = 0;
      return;
    }
    this.#probes = Math.max(0, this.#probes - 1);
    if (++this.#successes >= this.#probation) {
      this.#open = false;
      this.#failures = 0;
      this.#trips = 0;
    }
  }

  /** A request failed in a way that is the supplier's fault. */
  failure(): void {
    if (!this.#open) {
      if (++this.#failures >= this.#threshold) this.#trip();
      return;
    }
    // A result that started before the breaker opened says nothing new while it is still cooling down.
    if (this.state === "open") return;
    this.#probes = Math.max(0, this.#probes - 1);
    this.#trip();
  }

  /** A request ended with no verdict on the supplier (the caller cancelled it): frees its probe slot. */
  release(): void {
    if (this.#open) this.#probes = Math.max(0, this.#probes - 1);
  }

  #trip(): void {
    this.#open = true;
    this.#successes = 0;
    this.#probes = 0;
    this.#reopenAt = this.#clock() + Math.min(this.#maxOpenMs, this.#openMs * 2 ** this.#trips);
    this.#trips++;
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number`);
  return value;
}
