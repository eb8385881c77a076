import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costOf, priceFromComputeUnits, withinMaxPrice, withMargin } from "../src/index.js";

describe("pricing", () => {
  it("prices per-token services from compute units × paymentPerComputeUnit", () => {
    const price = priceFromComputeUnits(
      { cuMode: 1, cuPerRelay: 7n, cuPerInputToken: 1n, cuPerOutputToken: 3n },
      10n,
    );
    expect(price).toEqual({ perRequest: 0n, perInputToken: 10n, perOutputToken: 30n });
    expect(costOf(price, { inputTokens: 20, outputTokens: 5 })).toBe(350n);
  });

  it("prices per-relay services per request", () => {
    const price = priceFromComputeUnits(
      { cuMode: 0, cuPerRelay: 7n, cuPerInputToken: 1n, cuPerOutputToken: 3n },
      10n,
    );
    expect(price).toEqual({ perRequest: 70n, perInputToken: 0n, perOutputToken: 0n });
    expect(costOf(price, { inputTokens: 999, outputTokens: 999 })).toBe(70n);
  });

  it("adds the margin rounding up, never below cost", () => {
    expect(withMargin({ perRequest: 1n, perInputToken: 10n, perOutputToken: 30n }, 2_000)).toEqual({
      perRequest: 2n,
      perInputToken: 12n,
      perOutputToken: 36n,
    });
    expect(() => withMargin({ perRequest: 0n, perInputToken: 0n, perOutputToken: 0n }, -1)).toThrow(
      RangeError,
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 100_000 }), (p, bps) => {
        const m = withMargin({ perRequest: p, perInputToken: p, perOutputToken: p }, bps).perInputToken;
        const exact = p * BigInt(10_000 + bps);
        return m * 10_000n >= exact && (m - 1n) * 10_000n < exact;
      }),
    );
  });

  it("compares against a client's max price", () => {
    const price = { perRequest: 5n, perInputToken: 10n, perOutputToken: 30n };
    expect(withinMaxPrice(price, undefined)).toBe(true);
    expect(withinMaxPrice(price, { prompt: 10n, completion: 30n, request: 5n })).toBe(true);
    expect(withinMaxPrice(price, { completion: 29n })).toBe(false);
    expect(withinMaxPrice(price, { request: 4n })).toBe(false);
  });
});
