import { describe, expect, it } from "vitest";
import { defaultVerificationConfig, Reputation } from "../../src/index.js";

const config = defaultVerificationConfig.reputation;
const s = "0xAbC0000000000000000000000000000000000001";

describe("Reputation", () => {
  it("starts good with weight 1; one statistical failure is not a sanction", () => {
    const rep = new Reputation(config, () => 0);
    expect(rep.state(s, "tiny-llama")).toBe("good");
    expect(rep.weight(s, "tiny-llama")).toBe(1);
    expect(rep.record(s, "tiny-llama", "prefill", false)).toBeUndefined();
    expect(rep.state(s, "tiny-llama")).toBe("good");
    expect(rep.get(s, "tiny-llama")?.score).toBeCloseTo(0.5);
  });

  it("goes good → probation → excluded as failures pile up, with weights 1, probationWeight, 0", () => {
    const rep = new Reputation(config, () => 5);
    rep.record(s, "tiny-llama", "prefill", false);
    expect(rep.record(s, "tiny-llama", "prefill", false)).toEqual({
      supplier: s.toLowerCase(),
      service: "tiny-llama",
      from: "good",
      to: "probation",
      at: 5,
    });
    expect(rep.weight(s, "tiny-llama")).toBe(config.probationWeight);
    expect(rep.record(s, "tiny-llama", "prefill", false)?.to).toBe("excluded");
    expect(rep.weight(s, "tiny-llama")).toBe(0);
    // Case-insensitive, and per service.
    expect(rep.state(s.toLowerCase(), "tiny-llama")).toBe("excluded");
    expect(rep.state(s, "other-model")).toBe("good");
  });

  it("sanctions signed over-billing faster than statistical failures", () => {
    const rep = new Reputation(config, () => 0);
    rep.record(s, "m", "usage", false);
    expect(rep.state(s, "m")).toBe("probation");
    rep.record(s, "m", "usage", false);
    expect(rep.state(s, "m")).toBe("excluded");
  });

  it("forgives a check's demerits only through passes of the same check", () => {
    const rep = new Reputation(config, () => 0);
    rep.record(s, "m", "prefill", false);
    rep.record(s, "m", "prefill", false);
    expect(rep.state(s, "m")).toBe("probation");
    for (let i = 0; i < 100; i++) rep.record(s, "m", "usage", true); // cheap passes on every answer
    expect(rep.state(s, "m")).toBe("probation");
    for (let i = 0; i < 14; i++) rep.record(s, "m", "prefill", true);
    expect(rep.state(s, "m")).toBe("good"); // 2 × 0.9^14 < recoverAt
    expect(rep.get(s, "m")?.checks).toEqual({
      prefill: { passed: 14, failed: 2 },
      usage: { passed: 100, failed: 0 },
    });
  });

  it("keeps an excluded supplier out for minExclusionMs, then lets passing checks bring it to probation", () => {
    let now = 0;
    const rep = new Reputation(config, () => now);
    for (let i = 0; i < 3; i++) rep.record(s, "m", "watcher", false); // 4.5 demerits
    expect(rep.state(s, "m")).toBe("excluded");
    for (let i = 0; i < 20; i++) rep.record(s, "m", "watcher", true); // 4.5 × 0.9^20 < 1.5, but too soon
    expect(rep.state(s, "m")).toBe("excluded");
    now = config.minExclusionMs;
    expect(rep.record(s, "m", "watcher", true)?.to).toBe("probation");
  });

  it("restores stored records", () => {
    const a = new Reputation(config, () => 0);
    a.record(s, "m", "usage", false);
    a.record(s, "m", "usage", false);
    const b = new Reputation(config, () => 0);
    b.restore(a.records());
    expect(b.state(s, "m")).toBe("excluded");
    expect(b.get(s, "m")).toEqual(a.get(s, "m"));
  });
});
