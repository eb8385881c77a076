import { describe, expect, it } from "vitest";
import { OperatorShareCap } from "../src/index.js";

describe("OperatorShareCap", () => {
  it("measures each operator's share over a sliding window of picks", () => {
    const cap = new OperatorShareCap({ maxShare: 0.5, window: 4, minPicks: 1 });
    for (const op of ["a", "a", "b", "a"]) cap.record(op);
    expect(cap.share("a")).toBe(0.75);
    expect(cap.share("b")).toBe(0.25);
    cap.record("b"); // drops the oldest "a"
    cap.record("b"); // drops the second "a"
    expect(cap.share("a")).toBe(0.25);
    expect(cap.share("b")).toBe(0.75);
    expect(cap.share("c")).toBe(0);
  });

  it("blocks an operator at or above its cap only once minPicks picks are in", () => {
    const cap = new OperatorShareCap({ maxShare: 0.5, minPicks: 4 });
    cap.record("a");
    cap.record("a");
    cap.record("a");
    expect(cap.allows("a")).toBe(true); // 3 picks < minPicks
    cap.record("b");
    expect(cap.allows("a")).toBe(false); // 0.75
    expect(cap.allows("b")).toBe(true);
  });

  it("filters capped operators out, unless nothing would be left", () => {
    const cap = new OperatorShareCap({ maxShare: 0.4, minPicks: 1 });
    for (let i = 0; i < 6; i++) cap.record("a");
    for (let i = 0; i < 4; i++) cap.record("b");
    const candidates = [
      { id: 1, op: "a" },
      { id: 2, op: "b" },
      { id: 3, op: "c" },
    ];
    expect(cap.filter(candidates, (c) => c.op).map((c) => c.id)).toEqual([3]);
    const onlyCapped = candidates.slice(0, 2);
    expect(cap.filter(onlyCapped, (c) => c.op)).toEqual(onlyCapped);
  });

  it("keeps a long-run share near the cap when the best supplier would take everything", () => {
    const cap = new OperatorShareCap({ maxShare: 0.4, window: 100, minPicks: 10 });
    const ranked = [{ op: "fast" }, { op: "x" }, { op: "y" }]; // "fast" always ranks first
    let fast = 0;
    for (let i = 0; i < 1_000; i++) {
      const [chosen] = cap.filter(ranked, (c) => c.op);
      if (chosen?.op === "fast") fast++;
      cap.record(chosen?.op as string);
    }
    expect(fast / 1_000).toBeGreaterThan(0.35);
    expect(fast / 1_000).toBeLessThanOrEqual(0.42);
  });

  it("rejects a share outside (0, 1]", () => {
    expect(() => new OperatorShareCap({ maxShare: 0 })).toThrow(RangeError);
    expect(() => new OperatorShareCap({ maxShare: 1.1 })).toThrow(RangeError);
  });
});
