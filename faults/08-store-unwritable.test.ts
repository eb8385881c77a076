// Scenario 8: a RelayMiner whose store cannot be written (disk full, a broken data directory) refuses new relays
// with a clean 503 + retry-after instead of serving relays it could not meter; clients are served by the other
// suppliers meanwhile, and it serves again once the store takes writes. Every relay answered with 200 is in its
// supplier's session tree.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKey, type Gateway, SqliteStore } from "@decai/gateway";
import type { OpenStore } from "@decai/relayminer";
import { LogStore, type SmstStore } from "@decai/smst";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, type FaultNet, metricSum, postChat, startFaultNet } from "./lib/hostileNet.js";
import { currentSession, postRelay, signRelay } from "./lib/hostileRelays.js";
import { recordScenario } from "./lib/report.js";

/** A disk that can fill up: tree logs opened through it fail every write (and every new file) while `full`. */
const disk = { full: false, failedWrites: 0 };
const enospc = () =>
  Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28 });
const fillableDisk: OpenStore = async (path, options) => {
  if (disk.full && !existsSync(path)) throw enospc();
  const store = await LogStore.open(path, options);
  const failing = <T>(write: () => Promise<T>) => {
    if (!disk.full) return write();
    disk.failedWrites++;
    return Promise.reject(enospc());
  };
  const wrapped: SmstStore = {
    replay: () => store.replay(),
    put: (key, value, weight) => failing(() => store.put(key, value, weight)),
    delete: (key) => failing(() => store.delete(key)),
    flush: () => store.flush(),
    close: () => store.close(),
  };
  return wrapped;
};

describe("scenario 8: disk full or unwritable store on a RelayMiner", () => {
  let net: FaultNet;
  let store: SqliteStore;
  let gateway: Gateway;
  let apiKey: string;
  /** 200 answers per supplier address (lower case): each must be a relay in that supplier's tree. */
  const served = new Map<string, number>();
  const tally = { requests: 0, errors: 0, refused: 0 };

  const serve = (supplier: string | null | undefined) => {
    const k = (supplier ?? "?").toLowerCase();
    served.set(k, (served.get(k) ?? 0) + 1);
  };
  const mined = (i: number) =>
    metricSum(net.suppliers[i]?.running.miner.metrics.registry.render() ?? "", "decai_relays_mined_total");

  /** Direct relay to supplier `i`; expects `status` (503 refusals must be clean, with retry-after). */
  async function direct(i: number, status: 200 | 503, stream = false) {
    const supplier = net.suppliers[i] as FaultNet["suppliers"][number];
    tally.requests++;
    const res = await postRelay(supplier.url, signRelay(net, { supplier: supplier.address, stream }));
    if (res.status === 200) serve(supplier.address);
    if (status === 503) {
      expect(res.status).toBe(503);
      expect(res.code).toBe("store_unavailable");
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(res.text).not.toContain("data:"); // not a byte of an answer
      tally.refused++;
    } else {
      expect(res.status, res.text).toBe(200);
    }
  }

  /** Load through the gateway: every request must succeed (served elsewhere when a supplier refuses). */
  async function load(n: number, avoid?: number) {
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        tally.requests++;
        const res = await postChat(gateway.url, apiKey, chatBody(i % 2 ? { stream: true } : {}));
        if (res.status !== 200 || (i % 2 === 1 && !res.text.includes("data: [DONE]"))) tally.errors++;
        else serve(res.headers.get("x-decai-supplier"));
        return res.headers.get("x-decai-supplier")?.toLowerCase();
      }),
    );
    if (avoid !== undefined) expect(results).not.toContain(net.suppliers[avoid]?.address.toLowerCase());
  }

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 3, openStore: (i) => (i === 0 ? fillableDisk : undefined) });
    store = SqliteStore.open(":memory:");
    apiKey = (await createKey(store, { name: "disk" })).key;
    gateway = await net.startGateway(store);
  }, 120_000);

  it("refuses with 503 while its disk is full, serves again once it has room", async () => {
    await direct(0, 200);
    await load(6);
    const backend = net.suppliers[0]?.backend.knobs as { calls: number };

    disk.full = true;
    await direct(0, 503); // the backend answered, the tree write failed: not served
    expect(disk.failedWrites).toBe(1);
    const calls = backend.calls;
    await direct(0, 503, true); // refused up front: the backend is not even asked
    await direct(0, 503);
    expect(backend.calls).toBe(calls);
    const health = await fetch(`${net.suppliers[0]?.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: "store_unwritable",
      store: expect.stringMatching(/ENOSPC/),
    });
    expect(net.suppliers[0]?.running.miner.metrics.registry.render()).toMatch(/^decai_store_writable 0$/m);
    await load(12, 0); // nothing reaches the client from the full supplier

    disk.full = false;
    await new Promise((r) => setTimeout(r, 1_100)); // the next relay after retryMs probes the store
    await direct(0, 200);
    await direct(0, 200, true);
    expect(net.suppliers[0]?.running.miner.metrics.registry.render()).toMatch(/^decai_store_writable 1$/m);
  });

  it("a tree directory replaced by a file, a replay log replaced by a directory: 503 until repaired", async () => {
    await net.chain.actions.nextSession();
    await net.chain.actions.recordSeed(net.key(0));
    await net.sync();
    const session = String(currentSession(net));
    const [, one, two] = net.suppliers as [
      unknown,
      FaultNet["suppliers"][number],
      FaultNet["suppliers"][number],
    ];
    const treesDir = join(one.dataDir, "trees", session);
    const replayLog = join(two.dataDir, "replay", `${session}.log`);
    mkdirSync(join(one.dataDir, "trees"), { recursive: true });
    writeFileSync(treesDir, "not a directory");
    mkdirSync(replayLog, { recursive: true });

    await direct(1, 503);
    await direct(2, 503);
    await direct(2, 503, true);
    // A gateway that has not seen supplier 0 fail (this one's breaker keeps it on probation for a while).
    await gateway.stop();
    gateway = await net.startGateway(store);
    await load(8);
    for (const path of [treesDir, replayLog]) rmSync(path, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 1_100));
    await direct(1, 200);
    await direct(2, 200, true);
  });

  afterAll(async () => {
    if (!net) return;
    try {
      // Never served unmetered: each supplier's 200s are exactly the relays in its trees (every relay is mined).
      let relaysLost = 0;
      net.suppliers.forEach((s, i) => {
        relaysLost += Math.abs((served.get(s.address.toLowerCase()) ?? 0) - mined(i));
      });
      recordScenario({
        id: "08-store-unwritable",
        scenario: "Disk full or unwritable store on a RelayMiner",
        requests: tally.requests,
        errors: tally.errors,
        relaysLost,
        fundsLost: 0,
        notes: `${tally.refused} relays refused with 503 + retry-after, none served unmetered`,
      });
      expect(tally.errors).toBe(0);
      expect(relaysLost).toBe(0);
    } finally {
      await gateway?.stop();
      store?.close();
      await net.stop();
    }
  });
});
