// A RelayMiner whose operator paused it answers 503 `supplier_paused` with a retry-after: the SDK treats it as
// "not here, not a fault" and keeps the supplier out of picks until then.
import { describe, expect, it } from "vitest";
import { classifyRefusal, SupplierScorer } from "../src/index.js";

const A = "0x000000000000000000000000000000000000000A";
const B = "0x000000000000000000000000000000000000000B";

describe("paused suppliers", () => {
  it("classifies supplier_paused as retryable elsewhere and not the supplier's fault", () => {
    expect(classifyRefusal(503, "supplier_paused")).toEqual({ retryable: true, supplierFault: false });
    // A plain 503 still counts against the supplier's health.
    expect(classifyRefusal(503, undefined)).toEqual({ retryable: true, supplierFault: true });
  });

  it("leaves a paused supplier out of every pick until its retry-after, without touching its breaker", () => {
    let now = 0;
    const scorer = new SupplierScorer({ explore: 0, clock: () => now });
    scorer.pause(A.toLowerCase(), 5_000);
    expect(scorer.isPaused(A)).toBe(true);
    for (let i = 0; i < 10; i++) {
      const chosen = scorer.pick([{ supplier: A }, { supplier: B }]);
      expect(chosen?.supplier).toBe(B);
      scorer.success(B, { latencyMs: 10 });
    }
    expect(scorer.pick([{ supplier: A }])).toBeUndefined();
    expect(scorer.stats(A).state).toBe("closed");
    now += 5_000;
    expect(scorer.isPaused(A)).toBe(false);
    expect(scorer.pick([{ supplier: A }])?.supplier).toBe(A);
  });
});
