import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuitBreaker.js";
import { Ewma } from "./ewma.js";

/** What a successful relay measured. */
export type SuccessSample = {
  /** Request sent → last byte received, in ms. */
  latencyMs: number;
  /** Request sent → first output token (streams), in ms. */
  ttftMs?: number;
  /** Output tokens of the answer (from its verified receipt); with the timings it gives tokens/s. */
  outputTokens?: number;
};

/**
 * Why a relay failed, when it is the supplier's fault: unreachable, too slow, a 5xx, a receipt that does not
 * verify, or a stream cut before its receipt. Refusals such as 429 are not failures: see `SupplierScorer.skip`.
 */
export type FailureKind = "connection" | "timeout" | "server_error" | "invalid_receipt" | "stream_broken";

/** A supplier's measured quality, as `SupplierScorer.stats` reports it. */
export type SupplierStats = {
  /** EWMA of the full request latency, ms; undefined before the first success. */
  latencyMs: number | undefined;
  /** EWMA of time to first token on streams, ms. */
  ttftMs: number | undefined;
  /** EWMA of output tokens per second after the first token. */
  tokensPerSecond: number | undefined;
  /** EWMA of failures (1) against successes (0): 0 = never fails. */
  errorRate: number;
  /** EWMA of failed verifications (invalid receipts, failed checks): 0 = always verified. */
  verificationFailureRate: number;
  successes: number;
  failures: number;
  /** Relays picked and not yet reported. */
  inflight: number;
  state: CircuitState;
};

/** @internal One supplier's running measurements. */
export class SupplierRecord {
  readonly latency: Ewma;
  readonly ttft: Ewma;
  readonly tokensPerSecond: Ewma;
  readonly errors: Ewma;
  readonly verification: Ewma;
  readonly breaker: CircuitBreaker;
  inflight = 0;
  successes = 0;
  failures = 0;

  constructor(alpha: number, breaker: CircuitBreakerOptions) {
    this.latency = new Ewma(alpha);
    this.ttft = new Ewma(alpha);
    this.tokensPerSecond = new Ewma(alpha);
    this.errors = new Ewma(alpha);
    this.verification = new Ewma(alpha);
    this.breaker = new CircuitBreaker(breaker);
  }

  succeed(sample: SuccessSample): void {
    this.successes++;
    this.errors.add(0);
    this.verification.add(0); // a success is a relay whose receipt verified
    this.latency.add(sample.latencyMs);
    if (sample.ttftMs !== undefined) this.ttft.add(sample.ttftMs);
    const generating = sample.latencyMs - (sample.ttftMs ?? 0);
    if (sample.outputTokens !== undefined && sample.outputTokens > 0 && generating > 0) {
      this.tokensPerSecond.add((sample.outputTokens * 1000) / generating);
    }
    this.breaker.success();
  }

  fail(kind: FailureKind): void {
    this.failures++;
    this.errors.add(1);
    if (kind === "invalid_receipt") this.verification.add(1);
    this.breaker.failure();
  }

  stats(): SupplierStats {
    return {
      latencyMs: this.latency.value,
      ttftMs: this.ttft.value,
      tokensPerSecond: this.tokensPerSecond.value,
      errorRate: this.errors.value ?? 0,
      verificationFailureRate: this.verification.value ?? 0,
      successes: this.successes,
      failures: this.failures,
      inflight: this.inflight,
      state: this.breaker.state,
    };
  }
}
