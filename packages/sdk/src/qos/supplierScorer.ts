import type { CircuitBreakerOptions } from "./circuitBreaker.js";
import { type Clock, systemClock } from "./clock.js";
import { OperatorShareCap, type OperatorShareCapOptions } from "./operatorCap.js";
import { type FailureKind, type SuccessSample, SupplierRecord, type SupplierStats } from "./supplierStats.js";

/** What a pick optimises: time (to first token for streams), output tokens per second, or price. */
export type SortBy = "latency" | "throughput" | "price";

/** A supplier that may serve a relay. Anything with these fields (e.g. a session supplier) fits. */
export type Candidate = {
  /** The supplier's address: the key its measurements are kept under (case-insensitive). */
  supplier: string;
  /** Who runs it, for the operator-share cap; defaults to the supplier itself. */
  operator?: string;
  /** Price per unit of work in any consistent unit; compared only for `sort: "price"`. */
  price?: number | bigint;
};

/** Options of {@link SupplierScorer.pick} and {@link SupplierScorer.rank}. */
export type PickOptions = {
  /** Default "latency". */
  sort?: SortBy;
  /** Suppliers not to use (already tried for this request, refused it, ...). Case-insensitive. */
  exclude?: Iterable<string>;
  /** Rank streams by time to first token rather than by full latency. */
  stream?: boolean;
  /**
   * A routing weight per candidate from outside QoS (e.g. a gateway's verification reputation): 0 leaves it out,
   * a value in (0, 1) scales its score and its chance of being explored, 1 (default) changes nothing.
   */
  weight?: (candidate: Candidate) => number;
};

/** Options of {@link SupplierScorer}. */
export type SupplierScorerOptions = {
  /** EWMA weight of each new sample. Default 0.2. */
  alpha?: number;
  /** Per-supplier circuit breakers. */
  breaker?: Omit<CircuitBreakerOptions, "clock">;
  /** Cap any operator's share of picks; off by default. */
  operatorCap?: OperatorShareCapOptions;
  /** How much each unit of error rate inflates the expected latency. Default 4 (50% errors: 3× slower). */
  errorPenalty?: number;
  /** How much each relay in flight inflates a supplier's expected latency. Default 0.25. */
  loadFactor?: number;
  /** Chance that a pick explores a random eligible supplier instead of the best. Default 0.05. */
  explore?: number;
  /** Latency assumed when no candidate has been measured yet, ms. Default 1000. */
  priorLatencyMs?: number;
  /** Throughput assumed when no candidate has been measured yet, tokens/s. Default 50. */
  priorTokensPerSecond?: number;
  clock?: Clock;
  /** Uniform [0, 1) source for exploration and tie-breaking. Default Math.random. */
  random?: () => number;
};

/**
 * Scores suppliers by what they delivered: EWMAs of latency, time to first token, output tokens/s, error rate
 * and verification failures, plus the relays in flight. `pick` returns the best eligible candidate: open
 * circuit breakers are excluded, a supplier on probation (half-open) gets the next request as its probe, and
 * the operator-share cap spreads traffic. Unmeasured suppliers are assumed slightly better than the best known
 * one, so every supplier gets measured. One scorer is meant to be shared by every application a gateway serves:
 * quality belongs to the supplier. Report every pick's outcome exactly once: `success`, `failure`, `skip` or
 * `cancel`.
 *
 * @example
 * const scorer = new SupplierScorer({ operatorCap: { maxShare: 0.5 } });
 * const chosen = scorer.pick(session.suppliers, { sort: "latency", exclude: tried });
 * if (chosen) {
 *   try { const r = await send(chosen); scorer.success(chosen.supplier, { latencyMs: r.ms, outputTokens: r.out }); }
 *   catch { scorer.failure(chosen.supplier, "connection"); }
 * }
 */
export class SupplierScorer {
  readonly #records = new Map<string, SupplierRecord>();
  readonly #pausedUntil = new Map<string, number>();
  readonly #clock: Clock;
  readonly #alpha: number;
  readonly #breaker: CircuitBreakerOptions;
  readonly #cap: OperatorShareCap | undefined;
  readonly #errorPenalty: number;
  readonly #loadFactor: number;
  readonly #explore: number;
  readonly #priorLatency: number;
  readonly #priorTps: number;
  readonly #random: () => number;

  constructor(options: SupplierScorerOptions = {}) {
    this.#alpha = options.alpha ?? 0.2;
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#breaker = { ...options.breaker, clock };
    this.#cap = options.operatorCap ? new OperatorShareCap(options.operatorCap) : undefined;
    this.#errorPenalty = options.errorPenalty ?? 4;
    this.#loadFactor = options.loadFactor ?? 0.25;
    this.#explore = options.explore ?? 0.05;
    this.#priorLatency = options.priorLatencyMs ?? 1000;
    this.#priorTps = options.priorTokensPerSecond ?? 50;
    this.#random = options.random ?? Math.random;
  }

  /** The supplier's measurements (a fresh, empty record for one never seen). */
  stats(supplier: string): SupplierStats {
    return this.#record(supplier).stats();
  }

  /** Every supplier seen so far with its measurements, for dashboards and metrics. */
  snapshot(): Map<string, SupplierStats> {
    return new Map([...this.#records].map(([supplier, record]) => [supplier, record.stats()]));
  }

  /**
   * The eligible candidates, best first, without taking anything: excluded and open-breaker suppliers are left
   * out, and so are half-open ones whose probe slots are taken.
   */
  rank<C extends Candidate>(candidates: readonly C[], options: PickOptions = {}): C[] {
    const excluded = new Set([...(options.exclude ?? [])].map((s) => s.toLowerCase()));
    const eligible = candidates.filter(
      (c) =>
        !excluded.has(c.supplier.toLowerCase()) &&
        !this.isPaused(c.supplier) &&
        weightOf(c, options) > 0 &&
        this.#record(c.supplier).breaker.canRequest(),
    );
    const sort = options.sort ?? "latency";
    const scores = this.#scores(eligible, sort, options.stream === true).map(
      (score, i) => score * weightOf(eligible[i] as C, options),
    );
    // Shuffle first so that equal scores (e.g. nobody measured yet) spread over suppliers.
    const order = shuffle(
      eligible.map((c, i) => ({ c, score: scores[i] as number })),
      this.#random,
    );
    order.sort((a, b) => {
      if (sort === "price") {
        const byPrice = comparePrice(a.c.price, b.c.price);
        if (byPrice !== 0) return byPrice;
      }
      return b.score - a.score;
    });
    return order.map((o) => o.c);
  }

  /**
   * Chooses the supplier for the next relay, or undefined when none is eligible. Counts the relay as in flight
   * (and as the probe of a half-open supplier) until its outcome is reported.
   */
  pick<C extends Candidate>(candidates: readonly C[], options: PickOptions = {}): C | undefined {
    const ranked = this.rank(candidates, options);
    if (ranked.length === 0) return undefined;
    // Probation first: a supplier whose cool-down ended gets one request to show it is back.
    const probe = ranked.find((c) => this.#record(c.supplier).breaker.state === "half-open");
    let chosen: C;
    if (probe) {
      chosen = probe;
    } else {
      const pool = this.#cap ? this.#cap.filter(ranked, operatorOf) : ranked;
      const explore = pool.length > 1 && this.#random() < this.#explore;
      chosen = (explore ? weightedPick(pool, (c) => weightOf(c, options), this.#random) : pool[0]) as C;
    }
    const record = this.#record(chosen.supplier);
    record.breaker.acquire();
    record.inflight++;
    this.#cap?.record(operatorOf(chosen));
    return chosen;
  }

  /**
   * Leaves `supplier` out of every pick for `ms` (a RelayMiner draining for its operator answered 503
   * `supplier_paused` with a `retry-after`). Not a failure: its scores and circuit breaker are untouched.
   */
  pause(supplier: string, ms: number): void {
    this.#pausedUntil.set(supplier.toLowerCase(), this.#clock() + Math.max(0, ms));
  }

  /** Whether `supplier` is left out of picks by {@link pause} right now. */
  isPaused(supplier: string): boolean {
    const key = supplier.toLowerCase();
    const until = this.#pausedUntil.get(key);
    if (until === undefined) return false;
    if (this.#clock() < until) return true;
    this.#pausedUntil.delete(key);
    return false;
  }

  /** The picked relay succeeded (its receipt verified). */
  success(supplier: string, sample: SuccessSample): void {
    const record = this.#done(supplier);
    record.succeed(sample);
  }

  /** The picked relay failed, and it is the supplier's fault. */
  failure(supplier: string, kind: FailureKind): void {
    this.#done(supplier).fail(kind);
  }

  /**
   * The picked relay was refused for reasons that say nothing about the supplier's health (e.g. 429: the
   * application's share for it is spent): no sample, the probe slot is freed.
   */
  skip(supplier: string): void {
    this.#done(supplier).breaker.release();
  }

  /** The caller gave up on the picked relay (hedge lost, client left): no sample. */
  cancel(supplier: string): void {
    this.#done(supplier).breaker.release();
  }

  /**
   * Folds an out-of-band verification result in (a watcher's challenge, a re-execution quorum): failures lower
   * the supplier's score.
   */
  verification(supplier: string, passed: boolean): void {
    this.#record(supplier).verification.add(passed ? 0 : 1);
  }

  #done(supplier: string): SupplierRecord {
    const record = this.#record(supplier);
    record.inflight = Math.max(0, record.inflight - 1);
    return record;
  }

  #record(supplier: string): SupplierRecord {
    const key = supplier.toLowerCase();
    let record = this.#records.get(key);
    if (!record) {
      record = new SupplierRecord(this.#alpha, this.#breaker);
      this.#records.set(key, record);
    }
    return record;
  }

  /** Higher is better. Unmeasured candidates get a prior slightly better than the best measured one. */
  #scores(candidates: readonly Candidate[], sort: SortBy, stream: boolean): number[] {
    const records = candidates.map((c) => this.#record(c.supplier));
    if (sort === "throughput") {
      const known = records.map((r) => r.tokensPerSecond.value).filter((v) => v !== undefined);
      const prior = known.length ? Math.max(...known) * 1.1 : this.#priorTps;
      return records.map((r) => {
        const tps = r.tokensPerSecond.value ?? prior;
        return (tps * (1 - (r.errors.value ?? 0)) * trust(r)) / (1 + this.#loadFactor * r.inflight);
      });
    }
    const base = (r: SupplierRecord) => (stream ? (r.ttft.value ?? r.latency.value) : r.latency.value);
    const known = records.map(base).filter((v) => v !== undefined);
    const prior = known.length ? Math.min(...known) * 0.9 : this.#priorLatency;
    return records.map((r) => {
      const cost =
        Math.max(1e-3, base(r) ?? prior) *
        (1 + this.#errorPenalty * (r.errors.value ?? 0)) *
        (1 + this.#loadFactor * r.inflight);
      return trust(r) / cost;
    });
  }
}

const operatorOf = (c: Candidate) => (c.operator ?? c.supplier).toLowerCase();

const weightOf = (c: Candidate, options: PickOptions) => {
  const w = options.weight ? options.weight(c) : 1;
  return Number.isFinite(w) && w > 0 ? Math.min(w, 1) : 0;
};

/** A random item, each as likely as its weight (uniform when all weigh the same). */
function weightedPick<T>(items: readonly T[], weight: (item: T) => number, random: () => number): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let r = random() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1] as T;
}

/** 1 for a supplier that always verifies, falling towards 0 as its verification failures grow. */
const trust = (r: SupplierRecord) => (1 - (r.verification.value ?? 0)) ** 2;

function comparePrice(a: number | bigint | undefined, b: number | bigint | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
