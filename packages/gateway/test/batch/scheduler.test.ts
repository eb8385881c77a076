// The batch scheduler's rules, with a hand-driven clock: bounded per supplier, batch tier first, interactive models
// only with the capacity interactive traffic leaves idle, backoff on refusals and on rising latency.
import { describe, expect, it } from "vitest";
import {
  BatchScheduler,
  type CatalogEntry,
  InteractiveLoad,
  type Upstream,
  type UpstreamModel,
} from "../../src/index.js";

const price = { perRequest: 0n, perInputToken: 1n, perOutputToken: 1n };
const entry = (model: UpstreamModel): CatalogEntry => ({ model, price });
const batchTier = entry({ id: "m:batch", suppliers: 2, tier: "batch", batchOf: "m" });
const interactive = entry({ id: "m", suppliers: 3 });

/** Takes slots until none is left; returns them. */
function drain(s: BatchScheduler, candidates: CatalogEntry[]) {
  const slots = [];
  for (let slot = s.acquire(candidates); slot; slot = s.acquire(candidates)) slots.push(slot);
  return slots;
}

describe("BatchScheduler", () => {
  it("grows a lane's window with successes up to perSupplier × suppliers, and never past it", () => {
    const s = new BatchScheduler({ perSupplier: 2, idlePerSupplier: 0, now: () => 0 });
    const [only, ...none] = drain(s, [batchTier]);
    expect(none).toHaveLength(0); // starts at one line in flight
    only?.done({ kind: "ok", latencyMs: 100 });
    for (let i = 0; i < 50; i++) {
      for (const slot of drain(s, [batchTier])) slot.done({ kind: "ok", latencyMs: 100 });
    }
    const open = drain(s, [batchTier]);
    expect(open).toHaveLength(4); // 2 suppliers × 2
    for (const slot of open) slot.done({ kind: "ok", latencyMs: 100 });
  });

  it("fills the batch tier first, then the interactive model's idle capacity", () => {
    const s = new BatchScheduler({ perSupplier: 1, idlePerSupplier: 1, now: () => 0 });
    const first = s.acquire([batchTier, interactive]);
    expect(first?.entry.model.id).toBe("m:batch");
    const second = s.acquire([batchTier, interactive]);
    expect(second?.entry.model.id).toBe("m"); // the batch lane's window is 1 so far
  });

  it("leaves interactive traffic its recent peak plus a spare supplier, and everything when its latency rises", async () => {
    let clock = 0;
    const load = new InteractiveLoad({ alpha: 1, slowFactor: 1.5, windowMs: 1000, now: () => clock });
    let latency = 5;
    const fake: Upstream = {
      models: async () => [],
      call: async () => {
        await new Promise((resolve) => setTimeout(resolve, latency));
        return { stream: false, body: {} };
      },
    };
    const upstream = load.wrap(fake);
    const ask = () =>
      upstream.call({
        endpoint: "chat.completions",
        model: "m",
        body: {},
        preferences: {},
        signal: new AbortController().signal,
      });
    const s = new BatchScheduler({ perSupplier: 1, idlePerSupplier: 1, interactive: load, now: () => 0 });
    // Grow the interactive lane's window to its bound (3 suppliers × 1) while nobody else uses the model.
    for (let i = 0; i < 20; i++)
      for (const slot of drain(s, [interactive])) slot.done({ kind: "ok", latencyMs: 5 });
    expect(s.capacity(interactive)).toBe(3);

    // One interactive request in flight: it keeps its supplier and a spare one free.
    const pending = ask();
    expect(load.inFlight("m")).toBe(1);
    expect(load.reserved("m")).toBe(2);
    expect(s.capacity(interactive)).toBe(1);
    await pending;
    expect(s.capacity(interactive)).toBe(1); // it was active a moment ago: the spare stays reserved
    clock += 1000;
    expect(s.capacity(interactive)).toBe(3); // quiet for a window: all idle

    // Interactive latency climbs to 8× its best: batch work leaves the model alone.
    await ask();
    latency = 40;
    await ask();
    expect(load.slowed("m")).toBe(true);
    clock += 1000;
    expect(s.capacity(interactive)).toBe(0);
    latency = 5;
    await ask();
    expect(load.slowed("m")).toBe(false);
  });

  it("halves the window and backs off, doubling, on refusals; shrinks on rising latency", () => {
    let now = 0;
    const s = new BatchScheduler({ perSupplier: 4, backoffMs: 100, maxBackoffMs: 400, now: () => now });
    for (let i = 0; i < 100; i++)
      for (const slot of drain(s, [batchTier])) slot.done({ kind: "ok", latencyMs: 50 });
    expect(s.capacity(batchTier)).toBe(8);
    s.acquire([batchTier])?.done({ kind: "busy" });
    expect(s.capacity(batchTier)).toBe(0); // backing off
    now += 100;
    expect(s.capacity(batchTier)).toBe(4); // halved
    s.acquire([batchTier])?.done({ kind: "busy" });
    now += 100;
    expect(s.capacity(batchTier)).toBe(0); // the second backoff is 200 ms
    now += 100;
    expect(s.capacity(batchTier)).toBe(2);

    // Back to normal, then latency climbs past twice the best level: the window shrinks.
    for (let i = 0; i < 100; i++)
      for (const slot of drain(s, [batchTier])) slot.done({ kind: "ok", latencyMs: 50 });
    const before = s.capacity(batchTier);
    expect(before).toBe(8);
    for (let i = 0; i < 10; i++) {
      now += 1000;
      s.acquire([batchTier])?.done({ kind: "ok", latencyMs: 400 });
    }
    expect(s.capacity(batchTier)).toBeLessThan(before);
    expect(s.lanes([batchTier])[0]).toMatchObject({ model: "m:batch", inFlight: 0, backingOff: false });
  });

  it("gives a model without suppliers no work", () => {
    const s = new BatchScheduler({ now: () => 0 });
    expect(s.acquire([entry({ id: "down:batch", suppliers: 0, tier: "batch" })])).toBeUndefined();
  });
});
