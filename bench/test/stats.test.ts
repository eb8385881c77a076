import { describe, expect, it } from "vitest";
import { markdownTable } from "../lib/report.js";
import { fmt, percentile, Samples, summarize } from "../lib/stats.js";

describe("percentile and summarize", () => {
  it("uses the nearest rank", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 90)).toBe(9);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarises unsorted samples without changing them", () => {
    const samples = [5, 1, 4, 2, 3];
    const s = summarize(samples);
    expect(s).toEqual({ n: 5, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it("keeps every sample past its first buffer", () => {
    const samples = new Samples();
    for (let i = 0; i < 40_000; i++) samples.push(i);
    expect(samples.length).toBe(40_000);
    expect(summarize(samples.view()).max).toBe(39_999);
  });

  it("formats small numbers to 3 significant digits and large ones as integers", () => {
    expect(fmt(0.123456)).toBe("0.123");
    expect(fmt(12.345)).toBe("12.3");
    expect(fmt(12345.6)).toBe("12,346");
    expect(fmt(Number.NaN)).toBe("–");
  });
});

describe("markdownTable", () => {
  it("right-aligns numeric columns only", () => {
    const md = markdownTable({
      columns: ["path", "req/s"],
      rows: [
        ["(a)", 10],
        ["(b)", 9],
      ],
    });
    expect(md.split("\n")).toEqual(["| path | req/s |", "|---|---:|", "| (a) | 10 |", "| (b) | 9 |"]);
  });
});
