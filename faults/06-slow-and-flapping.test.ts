// Scenario 6: one supplier turns 10× slower, another flaps (its backend cut off, failing, back). Through the real
// gateway: routing shifts away from the slow one, the flapping one's circuit breaker opens (it gets no traffic)
// and closes again once it is healthy, and clients see no error throughout.
import { createKey, type Gateway, SqliteStore } from "@decai/gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, type FaultNet, metricSum, postChat, startFaultNet } from "./lib/hostileNet.js";
import { recordScenario } from "./lib/report.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BASE_MS = 40;

describe("scenario 6: a slow supplier and a flapping one", () => {
  let net: FaultNet;
  let store: SqliteStore;
  let gateway: Gateway;
  let apiKey: string;
  const tally = { requests: 0, errors: 0, ok: 0 };

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 3 });
    for (const s of net.suppliers) s.backend.knobs.delayMs = BASE_MS;
    store = SqliteStore.open(":memory:");
    apiKey = (await createKey(store, { name: "qos" })).key;
    gateway = await net.startGateway(store);
  }, 120_000);

  const address = (i: number) => (net.suppliers[i] as FaultNet["suppliers"][number]).address.toLowerCase();

  /** `n` requests, `concurrency` at a time; returns who served each (lower-case address). */
  async function load(n: number, concurrency = 3): Promise<string[]> {
    const servedBy: string[] = [];
    for (let i = 0; i < n; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, n - i) }, async (_, j) => {
        tally.requests++;
        const stream = (i + j) % 3 === 2;
        const res = await postChat(gateway.url, apiKey, chatBody(stream ? { stream: true } : {}));
        if (res.status !== 200 || (stream && !res.text.includes("data: [DONE]"))) {
          tally.errors++;
          return;
        }
        tally.ok++;
        servedBy.push((res.headers.get("x-decai-supplier") ?? "").toLowerCase());
      });
      await Promise.all(batch);
    }
    return servedBy;
  }
  const share = (servedBy: string[], i: number) => servedBy.filter((s) => s === address(i)).length;
  const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();

  it("routes away from a supplier that turned 10x slower", async () => {
    await load(12); // every supplier measured at the base latency
    (net.suppliers[0] as FaultNet["suppliers"][number]).backend.knobs.delayMs = BASE_MS * 10;
    await load(12); // the slow one is measured
    const after = await load(24);
    // Best-first routing with 5% exploration: the slow supplier gets a small share, well below a third.
    expect(share(after, 0)).toBeLessThanOrEqual(3);
    expect(share(after, 1) + share(after, 2)).toBeGreaterThanOrEqual(21);
  });

  it("opens the circuit of a failing supplier, closes it once it is back, and rides out its flapping", async () => {
    const flappy = net.suppliers[1] as FaultNet["suppliers"][number];
    // The failing supplier is by far the fastest, so latency ranking keeps picking it while it fails: the
    // breaker, not the ranking, is what takes it out.
    flappy.backend.knobs.delayMs = 5;
    (net.suppliers[2] as FaultNet["suppliers"][number]).backend.knobs.delayMs = BASE_MS * 5;
    // A fresh gateway (no history): every supplier measured at these latencies.
    await gateway.stop();
    gateway = await net.startGateway(store);
    await load(9);

    // Down: after three failures in a row its breaker opens and it gets no traffic at all.
    flappy.backend.knobs.mode = "error500";
    await load(6, 1);
    const text = await metrics();
    expect(metricSum(text, "decai_gateway_supplier_circuit_open", `supplier="${flappy.address}"`)).toBe(1);
    expect(
      metricSum(text, "decai_gateway_relay_failures_total", `supplier="${flappy.address}"`),
    ).toBeGreaterThanOrEqual(3);
    // While open it gets nothing; at most one probe once the cool-down ends (which fails and reopens it).
    const callsWhileOpen = flappy.backend.knobs.calls;
    await load(9);
    expect(flappy.backend.knobs.calls - callsWhileOpen).toBeLessThanOrEqual(1);

    // Healthy again: after the cool-down (5 s) probes go through, the breaker closes, traffic comes back.
    flappy.backend.knobs.mode = "ok";
    await sleep(5_500);
    const recovered = await load(12);
    // Two probes on probation succeeded (that closes the breaker); how much more it gets is the scorer's call.
    expect(share(recovered, 1)).toBeGreaterThanOrEqual(2);
    expect(
      metricSum(await metrics(), "decai_gateway_supplier_circuit_open", `supplier="${flappy.address}"`),
    ).toBe(0);

    // Flapping: its backend alternates between cut connections and normal answers every 150 ms; clients never
    // see it (retries on the others), which the test's error count checks.
    let flapping = true;
    const flap = (async () => {
      for (let down = true; flapping; down = !down) {
        flappy.backend.knobs.mode = down ? "reset" : "ok";
        await sleep(150);
      }
    })();
    await load(15);
    flapping = false;
    await flap;
    expect(
      metricSum(await metrics(), "decai_gateway_relay_failures_total", `supplier="${flappy.address}"`),
    ).toBeGreaterThan(3);
  });

  afterAll(async () => {
    if (!net) return;
    try {
      const mined = net.mined();
      recordScenario({
        id: "06-slow-and-flapping",
        scenario: "A slow supplier (10× latency) and a flapping one",
        requests: tally.requests,
        errors: tally.errors,
        relaysLost: Math.abs(tally.ok - mined),
        fundsLost: 0,
        notes:
          "relays lost = successes not mined by the supplier that served them; no settlement in this scenario",
      });
      expect(tally.errors).toBe(0);
      expect(mined).toBe(tally.ok);
    } finally {
      await gateway?.stop();
      store?.close();
      await net.stop();
    }
  });
});
