import { describe, expect, it } from "vitest";
import {
  checkBudget,
  checkRate,
  emptySpend,
  type KeyLimits,
  periodEnd,
  periodStart,
  unlimited,
} from "../src/index.js";

const t = Date.UTC(2026, 11, 31, 18, 30);

describe("budget periods", () => {
  it("start and end on UTC day and month boundaries", () => {
    expect(periodStart("day", t)).toBe(Date.UTC(2026, 11, 31));
    expect(periodEnd("day", t)).toBe(Date.UTC(2027, 0, 1));
    expect(periodStart("month", t)).toBe(Date.UTC(2026, 11, 1));
    expect(periodEnd("month", t)).toBe(Date.UTC(2027, 0, 1));
    expect(periodStart("none", t)).toBe(0);
    expect(periodEnd("none", t)).toBeNull();
    expect(periodEnd("month", Date.UTC(2028, 1, 10))).toBe(Date.UTC(2028, 2, 1));
  });
});

describe("checkBudget", () => {
  const limits: KeyLimits = { ...unlimited, costBudget: 100n, tokenBudget: 50, period: "day" };
  const spend = (costSpent: bigint, costReserved: bigint, tokensSpent = 0, tokensReserved = 0) => ({
    ...emptySpend(0),
    costSpent,
    costReserved,
    tokensSpent,
    tokensReserved,
  });

  it("admits up to the limit exactly", () => {
    expect(checkBudget(limits, spend(60n, 20n), { cost: 20n, tokens: 1 }, t)).toBeUndefined();
    expect(checkBudget(limits, spend(60n, 20n), { cost: 21n, tokens: 1 }, t)).toMatchObject({
      code: "budget_exceeded",
      retryAfterSeconds: 1,
    });
  });

  it("says when a spent budget resets", () => {
    const e = checkBudget(limits, spend(90n, 0n), { cost: 20n, tokens: 1 }, t);
    expect(e).toMatchObject({ retryAfterSeconds: 5.5 * 3600, retryable: false, status: 429 });
    expect(e?.message).toContain("2027-01-01T00:00:00.000Z");
    expect(e?.headers()).toEqual({ "retry-after": String(5.5 * 3600), "x-should-retry": "false" });
  });

  it("checks the token budget too, and requests that can never fit", () => {
    expect(checkBudget(limits, spend(0n, 0n, 40), { cost: 0n, tokens: 11 }, t)?.message).toContain(
      "token budget",
    );
    expect(checkBudget(limits, spend(0n, 0n), { cost: 101n, tokens: 1 }, t)).toMatchObject({
      retryable: false,
    });
    expect(
      checkBudget(unlimited, spend(10n ** 40n, 0n), { cost: 10n ** 40n, tokens: 1e9 }, t),
    ).toBeUndefined();
  });
});

describe("checkRate", () => {
  const now = 1_000_000;
  const events = (...ats: number[]) => ats.map((at) => ({ at: now - at, tokens: 10 }));

  it("counts requests in the sliding minute", () => {
    const limits = { rpm: 3, tpm: null };
    expect(checkRate(limits, events(50_000, 10_000), 1, now)).toBeUndefined();
    // The oldest of three leaves the window in 10 s.
    expect(checkRate(limits, events(50_000, 10_000, 5_000), 1, now)).toMatchObject({ retryAfterSeconds: 10 });
    // Events older than the window do not count.
    expect(checkRate(limits, events(70_000, 60_000, 10_000), 1, now)).toBeUndefined();
    expect(checkRate({ rpm: 0, tpm: null }, [], 1, now)).toMatchObject({ retryable: false });
  });

  it("counts tokens, retrying when enough old events have left", () => {
    const limits = { rpm: null, tpm: 35 };
    expect(checkRate(limits, events(30_000, 20_000), 15, now)).toBeUndefined();
    // 30 used + 15 > 35: dropping the oldest (10) is enough, it leaves in 30 s.
    expect(checkRate(limits, events(30_000, 20_000, 1_000), 15, now)).toMatchObject({
      retryAfterSeconds: 30,
    });
    // Dropping two needed: the second oldest leaves in 40 s.
    expect(checkRate(limits, events(30_000, 20_000, 1_000), 25, now)).toMatchObject({
      retryAfterSeconds: 40,
    });
    expect(checkRate(limits, [], 36, now)).toMatchObject({ retryable: false });
  });
});
