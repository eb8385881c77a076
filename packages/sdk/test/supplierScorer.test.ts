import { describe, expect, it } from "vitest";
import { type Candidate, SupplierScorer, type SupplierScorerOptions } from "../src/index.js";

const A = "0x000000000000000000000000000000000000000A";
const B = "0x000000000000000000000000000000000000000B";
const C = "0x000000000000000000000000000000000000000C";
const all: Candidate[] = [{ supplier: A }, { supplier: B }, { supplier: C }];

/** A scorer with a hand-driven clock and no randomness (no exploration, ties keep candidate order). */
function setup(options: SupplierScorerOptions = {}) {
  let now = 0;
  const scorer = new SupplierScorer({
    explore: 0,
    random: () => 0.999_999,
    clock: () => now,
    breaker: { failureThreshold: 2, openMs: 1_000, probationSuccesses: 1 },
    ...options,
  });
  /** Picks `supplier` (it must be the one chosen) and reports a success. */
  const serve = (
    supplier: string,
    latencyMs: number,
    extra: { ttftMs?: number; outputTokens?: number } = {},
  ) => {
    const chosen = scorer.pick([{ supplier }]);
    expect(chosen?.supplier).toBe(supplier);
    scorer.success(supplier, { latencyMs, ...extra });
  };
  const fail = (supplier: string) => {
    expect(scorer.pick([{ supplier }])?.supplier).toBe(supplier);
    scorer.failure(supplier, "connection");
  };
  return { scorer, serve, fail, advance: (ms: number) => (now += ms) };
}

describe("SupplierScorer", () => {
  it("keeps EWMAs of latency, TTFT, tokens/s and error rate per supplier", () => {
    const { scorer, serve, fail } = setup({ alpha: 0.5 });
    serve(A, 100, { ttftMs: 20, outputTokens: 40 }); // 40 tokens in 80 ms = 500 tok/s
    serve(A, 300, { ttftMs: 100, outputTokens: 20 }); // 20 in 200 ms = 100 tok/s
    fail(A);
    const stats = scorer.stats(A.toLowerCase());
    expect(stats).toMatchObject({
      latencyMs: 200,
      ttftMs: 60,
      tokensPerSecond: 300,
      errorRate: 0.5,
      successes: 2,
      failures: 1,
      inflight: 0,
      state: "closed",
    });
    expect(scorer.snapshot().get(A.toLowerCase())).toEqual(stats);
  });

  it("picks the lowest latency, and by time to first token for streams", () => {
    const { scorer, serve } = setup();
    serve(A, 300, { ttftMs: 10 });
    serve(B, 100, { ttftMs: 90 });
    serve(C, 200, { ttftMs: 50 });
    expect(scorer.rank(all).map((c) => c.supplier)).toEqual([B, C, A]);
    expect(scorer.rank(all, { stream: true }).map((c) => c.supplier)).toEqual([A, C, B]);
  });

  it("penalises errors: a fast supplier that fails half the time loses to a steady one", () => {
    const { scorer, serve, fail } = setup({ alpha: 0.5, breaker: { failureThreshold: 100 } });
    serve(A, 100);
    fail(A); // error rate 0.5: cost 100 × (1 + 4 × 0.5) = 300
    serve(B, 200);
    expect(scorer.pick([{ supplier: A }, { supplier: B }])?.supplier).toBe(B);
  });

  it("sorts by throughput and by price", () => {
    const { scorer, serve } = setup();
    serve(A, 1_000, { ttftMs: 0, outputTokens: 100 }); // 100 tok/s, slow
    serve(B, 100, { ttftMs: 0, outputTokens: 20 }); // 200 tok/s
    serve(C, 50, { ttftMs: 0, outputTokens: 5 }); // 100 tok/s, fastest
    expect(scorer.pick(all, { sort: "throughput" })?.supplier).toBe(B);
    scorer.cancel(B);
    const priced = [
      { supplier: A, price: 3n },
      { supplier: B, price: 1n },
      { supplier: C, price: 1n },
    ];
    // Cheapest first; equal prices by latency.
    expect(scorer.rank(priced, { sort: "price" }).map((c) => c.supplier)).toEqual([C, B, A]);
  });

  it("tries unmeasured suppliers before measured ones", () => {
    const { scorer, serve } = setup();
    serve(A, 100);
    serve(B, 50);
    expect(scorer.pick(all)?.supplier).toBe(C);
  });

  it("spreads concurrent picks by the relays already in flight", () => {
    const { scorer, serve } = setup();
    serve(A, 100);
    serve(B, 110);
    const two = [{ supplier: A }, { supplier: B }];
    expect(scorer.pick(two)?.supplier).toBe(A); // A: 100 × 1.25 in flight now
    expect(scorer.pick(two)?.supplier).toBe(B);
    expect(scorer.stats(A).inflight).toBe(1);
    scorer.cancel(A);
    scorer.cancel(B);
    expect(scorer.stats(A).inflight).toBe(0);
  });

  it("honours exclude, case-insensitively", () => {
    const { scorer } = setup();
    expect(scorer.rank(all, { exclude: [A.toLowerCase(), B] }).map((c) => c.supplier)).toEqual([C]);
    expect(scorer.pick(all, { exclude: [A, B, C] })).toBeUndefined();
  });

  it("excludes a supplier whose breaker is open, then gives it one probe on probation", () => {
    const { scorer, serve, fail, advance } = setup();
    serve(A, 50);
    serve(B, 500);
    fail(A);
    fail(A); // threshold 2: open
    expect(scorer.stats(A).state).toBe("open");
    expect(scorer.rank(all.slice(0, 2)).map((c) => c.supplier)).toEqual([B]);
    advance(1_000);
    expect(scorer.stats(A).state).toBe("half-open");
    const two = [{ supplier: A }, { supplier: B }];
    expect(scorer.pick(two)?.supplier).toBe(A); // the probe, despite its error rate
    expect(scorer.pick(two)?.supplier).toBe(B); // one probe at a time
    scorer.success(A, { latencyMs: 50 });
    scorer.cancel(B);
    expect(scorer.stats(A).state).toBe("closed");
  });

  it("a failed probe reopens the breaker; skip and cancel free the probe without a verdict", () => {
    const { scorer, fail, advance } = setup();
    fail(A);
    fail(A);
    advance(1_000);
    expect(scorer.pick([{ supplier: A }])?.supplier).toBe(A);
    scorer.skip(A); // e.g. 429: says nothing about health
    expect(scorer.stats(A).state).toBe("half-open");
    expect(scorer.pick([{ supplier: A }])?.supplier).toBe(A);
    scorer.failure(A, "server_error");
    expect(scorer.stats(A).state).toBe("open");
    expect(scorer.pick([{ supplier: A }])).toBeUndefined();
  });

  it("invalid receipts and failed verifications lower trust", () => {
    const { scorer, serve } = setup({ breaker: { failureThreshold: 100 } });
    serve(A, 100);
    serve(B, 150);
    expect(scorer.pick([{ supplier: A }, { supplier: B }])?.supplier).toBe(A);
    scorer.failure(A, "invalid_receipt");
    expect(scorer.stats(A).verificationFailureRate).toBeGreaterThan(0);
    expect(scorer.pick([{ supplier: A }, { supplier: B }])?.supplier).toBe(B);
    scorer.cancel(B);
    scorer.verification(B, false);
    scorer.verification(B, true);
    scorer.verification(B, true);
    // Samples 0 (its verified success), 1, 0, 0 with alpha 0.2: 0.2, 0.16, 0.128.
    expect(scorer.stats(B).verificationFailureRate).toBeCloseTo(0.128, 10);
    for (let i = 0; i < 10; i++) scorer.verification(B, false);
    expect(scorer.pick([{ supplier: A }, { supplier: B }])?.supplier).toBe(A);
  });

  it("caps an operator's share of picks", () => {
    const { scorer, serve } = setup({ operatorCap: { maxShare: 0.5, minPicks: 4, window: 20 } });
    serve(A, 10);
    serve(B, 100);
    serve(C, 100);
    for (const s of [A, B, C]) scorer.cancel(s); // the warm-up picks are in the cap's window; clear in-flight
    // A and B belong to one operator; C to another.
    const candidates = [
      { supplier: A, operator: "big" },
      { supplier: B, operator: "big" },
      { supplier: C, operator: "small" },
    ];
    const picks: string[] = [];
    for (let i = 0; i < 20; i++) {
      const chosen = scorer.pick(candidates);
      picks.push(chosen?.operator ?? "");
      scorer.success(chosen?.supplier as string, { latencyMs: chosen?.supplier === A ? 10 : 100 });
    }
    const big = picks.filter((p) => p === "big").length;
    expect(big).toBeGreaterThanOrEqual(9);
    expect(big).toBeLessThanOrEqual(11);
  });

  it("explores a random eligible supplier at the configured rate", () => {
    // random() calls per pick of 3: two for the tie-breaking shuffle, one for "explore?", one for the index.
    const queue: number[] = [];
    const scorer = new SupplierScorer({ explore: 0.5, random: () => queue.shift() ?? 0.5 });
    for (const [supplier, latencyMs] of [
      [A, 10],
      [B, 20],
      [C, 30],
    ] as const) {
      scorer.pick([{ supplier }]);
      scorer.success(supplier, { latencyMs });
    }
    queue.push(0.5, 0.5, 0.7); // 0.7 >= 0.5: exploit
    expect(scorer.pick(all)?.supplier).toBe(A);
    scorer.cancel(A);
    queue.push(0.5, 0.5, 0.1, 0.99); // 0.1 < 0.5: explore; index floor(0.99 × 3) = 2, the slowest
    expect(scorer.pick(all)?.supplier).toBe(C);
  });
});
