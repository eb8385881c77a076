import { describe, expect, it } from "vitest";
import { CircuitBreaker, Ewma } from "../src/index.js";

describe("Ewma", () => {
  it("starts at the first sample and moves alpha of the way towards each next one", () => {
    const e = new Ewma(0.25);
    expect(e.value).toBeUndefined();
    e.add(100);
    expect(e.value).toBe(100);
    e.add(200);
    expect(e.value).toBe(125);
    e.add(Number.NaN); // ignored
    e.add(Number.POSITIVE_INFINITY); // ignored
    expect(e.value).toBe(125);
    expect(e.count).toBe(2);
  });

  it("rejects an alpha outside (0, 1]", () => {
    expect(() => new Ewma(0)).toThrow(RangeError);
    expect(() => new Ewma(1.5)).toThrow(RangeError);
  });
});

describe("CircuitBreaker", () => {
  function setup(options = {}) {
    let now = 0;
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      openMs: 1_000,
      maxOpenMs: 5_000,
      probationSuccesses: 2,
      clock: () => now,
      ...options,
    });
    return { breaker, advance: (ms: number) => (now += ms) };
  }

  it("opens after the threshold of consecutive failures; a success resets the count", () => {
    const { breaker } = setup();
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe("closed");
    expect(breaker.acquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.canRequest()).toBe(false);
    expect(breaker.acquire()).toBe(false);
    expect(breaker.reopenAt).toBe(1_000);
  });

  it("goes half-open after the cool-down, allowing one probe at a time", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(999);
    expect(breaker.state).toBe("open");
    advance(1);
    expect(breaker.state).toBe("half-open");
    expect(breaker.acquire()).toBe(true);
    expect(breaker.canRequest()).toBe(false); // the probe slot is taken
    expect(breaker.acquire()).toBe(false);
    breaker.release(); // cancelled probe: slot back, no verdict
    expect(breaker.acquire()).toBe(true);
  });

  it("closes after enough probe successes (probation)", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(1_000);
    expect(breaker.acquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe("half-open");
    expect(breaker.acquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it("reopens on a failed probe with a doubled cool-down, capped at maxOpenMs, reset once closed", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    const cooldowns: number[] = [];
    let at = 0;
    for (let trip = 0; trip < 5; trip++) {
      const reopenAt = breaker.reopenAt as number;
      cooldowns.push(reopenAt - at);
      advance(reopenAt - at);
      at = reopenAt;
      expect(breaker.acquire()).toBe(true);
      breaker.failure();
    }
    expect(cooldowns).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    // Probation passed: the next trip starts from the first cool-down again.
    advance((breaker.reopenAt as number) - at);
    at = breaker.reopenAt as number;
    breaker.acquire();
    breaker.success();
    breaker.acquire();
    breaker.success();
    expect(breaker.state).toBe("closed");
    for (let i = 0; i < 3; i++) breaker.failure();
    expect((breaker.reopenAt as number) - at).toBe(1_000);
  });

  it("ignores late failures while open (requests started before it opened)", () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    breaker.failure();
    breaker.failure();
    expect(breaker.reopenAt).toBe(1_000);
    advance(1_000);
    expect(breaker.state).toBe("half-open");
  });
});
