import { describe, expect, it } from "vitest";
import { leastSquaresSlope, sumCounter } from "../lib/soakSampler.js";

describe("soak sampling", () => {
  it("sums a counter over its label sets, and ignores counters that only share its prefix", () => {
    const text = [
      "# HELP decai_relays_served_total Relays served",
      'decai_relays_served_total{service="a",stream="false"} 12',
      'decai_relays_served_total{service="a",stream="true"} 3',
      "decai_relays_served_total_created 1700000000",
      'decai_relays_mined_total{service="a"} 7',
    ].join("\n");
    expect(sumCounter(text, "decai_relays_served_total")).toBe(15);
    expect(sumCounter(text, "decai_relays_mined_total")).toBe(7);
    expect(sumCounter(text, "decai_absent_total")).toBe(0);
  });

  it("fits the slope of RSS against requests, flat or growing, and says when it cannot", () => {
    expect(leastSquaresSlope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(leastSquaresSlope([0, 10, 20, 30], [100, 101, 99, 100])).toBeCloseTo(-0.02);
    expect(leastSquaresSlope([5], [1])).toBeNaN();
    expect(leastSquaresSlope([2, 2, 2], [1, 2, 3])).toBeNaN();
  });
});
