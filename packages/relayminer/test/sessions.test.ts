import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSessionSuppliers } from "@decai/chain";
import { relayHash, verifyRelay } from "@decai/core";
import { type Hex, parseEther } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escrowCap, type ServedRelay } from "../src/index.js";
import { errorOf, leafRelay, startWorld, type World } from "./helpers/world.js";

const perToken = { cuMode: 1, cuPerRelay: 0n, cuPerInputToken: 1n, cuPerOutputToken: 2n };

describe("RelayMiner meters, mines and follows sessions", () => {
  let world: World;
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), "decai-relayminer-"));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    world = await startWorld();
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("answers 429 once the application's share for this supplier is spent", async () => {
    // escrow 100 / (1 supplier per session × 2 pending sessions) = 50 tokens; at 50/300 per compute unit → 300 CUs.
    const miner = await world.startMiner({
      cap: escrowCap(world.indexer.state, {
        pendingSessions: 2n,
        paymentPerComputeUnit: parseEther("50") / 300n,
      }),
    });
    const body = { messages: [{ role: "user", content: "Quota?" }], max_tokens: 64 };
    const worstCase = BigInt(JSON.stringify(body).length) + 64n * 2n; // every body byte as an input token
    const actual = 7n + 5n * 2n; // the mock's usage
    let served = 0n;
    let res: Response;
    for (;;) {
      res = await world.post(miner, world.relay({ body }));
      if (res.status !== 200) break;
      served++;
      await res.arrayBuffer();
    }
    expect(res.status).toBe(429);
    expect(await errorOf(res)).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    // Served while the worst case still fitted under the cap; each relay then settled to its actual weight.
    expect(served * actual + worstCase).toBeGreaterThan(300n);
    expect((served - 1n) * actual + worstCase).toBeLessThanOrEqual(300n);
    const usage = miner.meter.usage(world.app, world.service, world.indexer.state.currentSession);
    expect(usage).toEqual({ used: served * actual, reserved: 0n });
    // A cheaper relay still fits in what is left.
    const cheap = world.relay({
      maxTokens: 1,
      body: { messages: [{ role: "user", content: "ok" }], max_tokens: 1 },
    });
    expect((await world.post(miner, cheap)).status).toBe(200);
  });

  it("mines only relays below the difficulty target", async () => {
    const target = 2n ** 255n;
    const served: ServedRelay[] = [];
    const miner = await world.startMiner({ target: () => target, onRelay: (s) => served.push(s) });
    for (let i = 0; i < 24; i++) expect((await world.post(miner, world.relay())).status).toBe(200);
    expect(served).toHaveLength(24);
    for (const s of served) expect(s.mined).toBe(BigInt(relayHash(s.relay, world.domain)) < target);
    const mined = served.filter((s) => s.mined);
    const session = world.indexer.state.currentSession;
    const { tree } = await miner.trees.get(
      { application: world.app, serviceId: world.service, session },
      perToken,
    );
    expect(tree.size).toBe(mined.length);
    expect(tree.claimRoot().rootSum).toBe(mined.reduce((sum, s) => sum + s.weight, 0n));
    // Each mined relay is a leaf, stored as its canonical encoding, and verifies.
    for (const s of mined) {
      const leaf = leafRelay(tree, relayHash(s.relay, world.domain));
      expect(leaf).toEqual(s.relay);
      expect(verifyRelay(leaf, world.domain).supplier).toBe(miner.supplier);
    }
    // About half qualify (all or none of 24 would happen once in 2^23 runs).
    expect(mined.length).toBeGreaterThan(0);
    expect(mined.length).toBeLessThan(served.length);
    const metrics = await (await fetch(`${miner.url}/metrics`)).text();
    expect(metrics).toContain(`\ndecai_relays_mined_total{service="tiny-llama"} ${mined.length}\n`);
  });

  it("refuses a mined relay again after a restart (replay log + tree on disk)", async () => {
    const dataDir = tmp();
    const first = await world.startMiner({ dataDir });
    const r = world.relay();
    expect((await world.post(first, r)).status).toBe(200);
    await first.stop();
    const second = await world.startMiner({ dataDir });
    const res = await world.post(second, r);
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("relay_replayed");
    // The tree was re-opened from its log with the relay in it.
    const session = world.indexer.state.currentSession;
    const { tree } = await second.trees.get(
      { application: world.app, serviceId: world.service, session },
      perToken,
    );
    expect(tree.size).toBe(1);
    expect((await world.post(second, world.relay())).status).toBe(200);
  });

  it("serves the previous session within the grace period, then refuses it as expired", async () => {
    const { indexer, net } = world;
    const s = indexer.state.currentSession;
    const minerOf = async (key: Hex) => world.startMiner({ supplierKey: key, graceBlocks: 3 });
    const drawnInS = world.drawnKey(world.app, s);
    const previous = await minerOf(drawnInS);
    const forS = () => world.relay({ session: s, supplier: privateKeyToAddress(drawnInS) });
    expect((await world.post(previous, forS())).status).toBe(200);

    await net.actions.nextSession(); // first block of s + 1; its seed is not recorded yet
    await indexer.sync();
    expect(indexer.state.currentSession).toBe(s + 1n);
    const a = await minerOf(world.suppliers.A);
    const notReady = await world.post(a, world.relay({ supplier: a.supplier }));
    expect(notReady.status).toBe(503);
    expect((await errorOf(notReady)).code).toBe("session_not_ready");
    // One block into s + 1, within a 3-block grace: relays for s are still served.
    expect((await world.post(previous, forS())).status).toBe(200);

    await net.testClient.mine({ blocks: 3 });
    await indexer.sync();
    const expired = await world.post(previous, forS());
    expect(expired.status).toBe(400);
    expect(await errorOf(expired)).toMatchObject({ code: "session_expired" });
    expect((await errorOf(await world.post(previous, forS()))).message).toMatch(`session ${s + 1n}`);

    await net.actions.recordSeed(net.keys[0] as Hex);
    await indexer.sync();
    const current = await world.startMiner({ supplierKey: world.drawnKey() });
    expect((await world.post(current, world.relay())).status).toBe(200);
  });

  it("refreshes its chain cache once when a relay names a session whose seed it has not seen yet", async () => {
    const { indexer, net } = world;
    await net.actions.nextSession();
    await indexer.sync();
    // The seed lands on-chain, but the cache has not polled since: the application may know before we do.
    await net.actions.recordSeed(net.keys[0] as Hex);
    // Which supplier the new session drew, read from the chain directly (the shared cache must stay stale).
    const session = indexer.state.currentSession;
    const [drawn] = await getSessionSuppliers(net.publicClient, {
      contracts: net.contracts,
      application: world.app,
      serviceId: world.service,
      session,
    });
    const key = drawn === privateKeyToAddress(world.suppliers.A) ? world.suppliers.A : world.suppliers.B;
    const stale = await world.startMiner({ supplierKey: key });
    const lagging = await world.post(stale, world.relay({ session, supplier: privateKeyToAddress(key) }));
    expect((await errorOf(lagging)).code).toBe("session_not_ready");
    let refreshed = 0;
    const fresh = await world.startMiner({
      supplierKey: key,
      refreshChain: async () => {
        refreshed++;
        await indexer.sync();
      },
    });
    expect(
      (await world.post(fresh, world.relay({ session, supplier: privateKeyToAddress(key) }))).status,
    ).toBe(200);
    expect(refreshed).toBe(1);
    // Once the cache knows the session, nothing is refreshed on the relay path.
    expect(
      (await world.post(fresh, world.relay({ session, supplier: privateKeyToAddress(key) }))).status,
    ).toBe(200);
    expect(refreshed).toBe(1);
  });
});
