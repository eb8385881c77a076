import { describe, expect, it } from "vitest";
import {
  describeChecks,
  formatAmount,
  parseTokens,
  shortHex,
  tokenNumber,
  trimNumber,
} from "../ui/src/format.js";

const DPT = { symbol: "DPT", decimals: 18 };

describe("UI formatting", () => {
  it("prints amounts grouped, with three significant digits below one token", () => {
    expect(formatAmount("1234500000000000000000", DPT)).toBe("1,234.5 DPT");
    expect(formatAmount("0", DPT)).toBe("0 DPT");
    expect(formatAmount("31450000000000", DPT)).toBe("0.0000314 DPT");
    expect(formatAmount("1000000000000000000000", DPT, 2)).toBe("1,000 DPT");
    expect(formatAmount("-1500000000000000000", DPT)).toBe("-1.5 DPT");
  });

  it("parses what a person types into base units, and refuses what is not an amount", () => {
    expect(parseTokens("2.5", DPT)).toBe("2500000000000000000");
    expect(parseTokens("1,000", DPT)).toBe("1000000000000000000000");
    expect(parseTokens("0.000000000000000001", DPT)).toBe("1");
    expect(parseTokens("0.0000000000000000001", DPT)).toBeUndefined();
    expect(parseTokens("-1", DPT)).toBeUndefined();
    expect(parseTokens("ten", DPT)).toBeUndefined();
  });

  it("turns amounts into chart numbers and axis labels", () => {
    expect(tokenNumber("1500000000000000000", DPT)).toBe(1.5);
    expect(trimNumber(0.000123456)).toBe("0.000123");
    expect(trimNumber(12345.6)).toBe("12,346");
    expect(shortHex("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).toBe("0x7099…79C8");
  });

  it("describes a gateway's checks, leaving out kinds that never ran", () => {
    expect(describeChecks({ watcher: { passed: 3, failed: 1 }, reexecution: { passed: 0, failed: 0 } })).toBe(
      "watcher 3/4 passed",
    );
    expect(describeChecks({ watcher: { passed: 0, failed: 0 } })).toBe("none yet");
    expect(describeChecks(null)).toBe("—");
  });
});
