import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { relayMiningAbi, saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import {
  type BackendServer,
  createBackendServer,
  createEmbeddedBackend,
  type EmbeddedBackend,
} from "@decai/llm";
import { createLogger, loadConfig, type RunningRelayMiner, runRelayMiner } from "@decai/relayminer";
import OpenAI from "openai";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDecaiNetwork, createKey, Gateway, SqliteStore } from "../src/index.js";

/** A free TCP port on loopback (suppliers must publish their endpoint on-chain before they listen). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A reverse proxy that adds `delay.ms` before forwarding: one supplier's slow backend. */
async function delayProxy(target: string, delay: { ms: number }): Promise<{ url: string; server: Server }> {
  const base = new URL(target);
  const server = createServer((req, res) => {
    setTimeout(() => {
      const upstream = httpRequest(
        { host: base.hostname, port: base.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    }, delay.ms);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// The gateway on the real network: three RelayMiners in front of llama.cpp (the generated tiny model), the SDK
// routing for the gateway, the official openai client in front. One supplier dies, one slows down, a key's budget
// is hammered by 50 parallel requests, and the gateway's usage log is checked against what suppliers claimed.
describe("gateway over the Decai network", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  let llm: EmbeddedBackend;
  let llmServer: BackendServer;
  let slow: { url: string; server: Server };
  const delay = { ms: 0 };
  const miners: RunningRelayMiner[] = [];
  let gateway: Gateway;
  let store: SqliteStore;
  const dir = mkdtempSync(join(tmpdir(), "decai-gw-net-"));
  const service = toServiceId("decai-tiny");
  const key = (i: number) => net.keys[i] as Hex;
  const suppliers = [2, 3, 4];
  const addressOf = (i: number) => privateKeyToAddress(key(i)).toLowerCase();
  let session = 0n;

  beforeAll(async () => {
    net = await startNetwork({
      blocksPerSession: 400, // no rollover during the test
      suppliersPerSession: 3,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 20,
      proofWindowBlocks: 20,
    });
    llm = await createEmbeddedBackend({ modelsDir: join(dir, "models"), parallel: 2 });
    llmServer = await createBackendServer(llm);
    slow = await delayProxy(new URL(llmServer.url).origin, delay);
    await net.actions.registerService(key(1), service, "decai-tiny");
    const ports = await Promise.all(suppliers.map(() => freePort()));
    for (const [i, s] of suppliers.entries()) {
      await net.actions.stakeSupplier(key(s), [{ id: service, endpoint: `http://127.0.0.1:${ports[i]}` }]);
    }
    await net.actions.stakeGateway(key(5));
    await net.actions.stakeApplication(key(6), [service], 10n ** 24n);
    await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
    session = await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    saveDeployment(join(dir, "deployment.json"), net.deployment);
    for (const [i, s] of suppliers.entries()) {
      const home = join(dir, `supplier-${s}`);
      writeFileSync(join(dir, `supplier-${s}.key`), key(s));
      writeFileSync(
        join(dir, `supplier-${s}.json`),
        JSON.stringify({
          port: ports[i],
          host: "127.0.0.1",
          rpcUrl: net.anvil.rpcUrl,
          deployment: "deployment.json",
          supplierKeyFile: `supplier-${s}.key`,
          dataDir: home,
          pollIntervalMs: 50,
          // Supplier 3's backend sits behind the delay proxy.
          services: [{ name: "decai-tiny", backend: s === 3 ? slow.url : new URL(llmServer.url).origin }],
        }),
      );
      const config = loadConfig({ argv: ["--config", join(dir, `supplier-${s}.json`)], env: {} });
      miners.push(await runRelayMiner(config, { logger: createLogger({ level: "error", write: () => {} }) }));
    }
    const { upstream, pricing } = connectDecaiNetwork({
      client: net.publicClient,
      deployment: net.deployment,
      gatewayKey: key(5),
      application: privateKeyToAddress(key(6)),
    });
    store = SqliteStore.open(join(dir, "gateway.sqlite"));
    gateway = await Gateway.start({
      store,
      upstream,
      pricing,
      logger: createLogger({ level: "error", write: () => {} }) as never,
    });
  }, 240_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const m of miners) await m.stop().catch(() => {});
    slow?.server.close();
    await llmServer?.close();
    await llm?.close();
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const openai = async (limits: Record<string, unknown> = {}) => {
    const { key: apiKey } = await createKey(store, { name: "test", limits });
    return new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  };
  const ask = (client: OpenAI, i: number) =>
    client.chat.completions.create({
      model: "decai-tiny",
      messages: [{ role: "user", content: `question ${i}` }],
      max_tokens: 8,
      temperature: 0,
    });

  it("keeps answering when a supplier dies, and routes away from a slow one", async () => {
    const client = await openai();
    // The catalog comes from the chain: the service's Source, weights digest, live suppliers and network price
    // (fixture service: 1 compute unit per input token, 2 per output token, times paymentPerComputeUnit).
    const models = await client.models.list();
    const tiny = models.data.find((m) => m.id === "decai-tiny") as unknown as Record<
      string,
      Record<string, unknown>
    >;
    expect(tiny.decai).toMatchObject({
      source: privateKeyToAddress(key(1)),
      weights_digest: `0x${"11".repeat(32)}`,
      suppliers: 3,
    });
    const ppcu = net.deployment.params.paymentPerComputeUnit;
    expect(tiny.pricing).toMatchObject({ prompt: String(ppcu), completion: String(2n * ppcu), request: "0" });

    for (let i = 0; i < 9; i++) expect((await ask(client, i)).choices[0]?.message).toBeDefined();
    // Supplier 2 dies: no client-visible error, the SDK retries on another supplier before answering.
    await miners[0]?.stop();
    for (let i = 10; i < 22; i++) expect((await ask(client, i)).object).toBe("chat.completion");
    const afterKill = (await store.usage({ limit: 12 })).map((u) => u.supplier?.toLowerCase());
    expect(afterKill).not.toContain(addressOf(2));
    expect(afterKill.every((s) => s === addressOf(3) || s === addressOf(4))).toBe(true);

    // Supplier 3 slows down by 400 ms per request: once the scorer notices, traffic shifts to supplier 4.
    delay.ms = 400;
    for (let i = 30; i < 40; i++) await ask(client, i);
    for (let i = 40; i < 60; i++) await ask(client, i);
    const recent = (await store.usage({ limit: 20 })).map((u) => u.supplier?.toLowerCase());
    const slowShare = recent.filter((s) => s === addressOf(3)).length;
    expect(slowShare).toBeLessThanOrEqual(5); // of 20; the scorer still explores a little
    expect(recent.filter((s) => s === addressOf(4)).length).toBeGreaterThanOrEqual(15);
    delay.ms = 0;
  }, 240_000);

  it("holds a token budget under 50 parallel requests", async () => {
    const budget = 300;
    const client = await openai({ tokenBudget: budget });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ask(client, 100 + i)));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.filter(
      (r) => r.status === "rejected" && (r.reason as { status?: number }).status === 429,
    ).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok + refused).toBe(50);
    const keyId = (await store.listKeys()).find((k) => k.limits.tokenBudget === budget)?.id as string;
    const spent = (await store.usage({ keyId })).reduce((sum, u) => sum + u.inputTokens + u.outputTokens, 0);
    expect(spent).toBeLessThanOrEqual(budget);
  }, 240_000);

  it("logs the same usage that the suppliers claim on-chain", async () => {
    // Every relay is reward-applicable at the initial difficulty, so each claim's sum is exactly the compute units
    // (1 per input token + 2 per output token) of what that supplier served, as the gateway logged it.
    const logged = new Map<string, bigint>();
    for (const u of await store.usage({ limit: 10_000 })) {
      if (u.outcome !== "ok" || !u.supplier) continue;
      const s = u.supplier.toLowerCase();
      logged.set(s, (logged.get(s) ?? 0n) + BigInt(u.inputTokens) + 2n * BigInt(u.outputTokens));
    }
    // Supplier 2 was stopped before its claim window: only 3 and 4 claim.
    const [claimOpen] = await net.publicClient.readContract({
      address: net.contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "claimWindow",
      args: [session],
    });
    const claimKeys = new Map<number, Hex>();
    for (const s of [3, 4]) {
      claimKeys.set(
        s,
        await net.publicClient.readContract({
          address: net.contracts.relayMining,
          abi: relayMiningAbi,
          functionName: "claimKey",
          args: [privateKeyToAddress(key(s)), privateKeyToAddress(key(6)), service, session],
        }),
      );
    }
    const claimOf = (s: number) =>
      net.publicClient.readContract({
        address: net.contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "getClaim",
        args: [claimKeys.get(s) as Hex],
      });
    const now = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    if (claimOpen > now) await net.testClient.mine({ blocks: Number(claimOpen - now) });
    for (let i = 0; i < 200; i++) {
      const claims = await Promise.all([claimOf(3), claimOf(4)]);
      if (claims.every((c) => c.status >= 1)) break;
      await net.testClient.mine({ blocks: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of [3, 4]) {
      const claim = await claimOf(s);
      expect(claim.status, `supplier ${s} claimed`).toBeGreaterThanOrEqual(1);
      expect(claim.rootSum, `supplier ${s}`).toBe(logged.get(addressOf(s)) ?? 0n);
    }
  }, 240_000);
});
