// The second "must show": one of three suppliers runs `decai supplier pause` while interactive requests
// pour in through a gateway. No request fails (the RelayMiner finishes what it holds and turns new relays away
// with 503 + retry-after; the SDK routes around it at once), the supplier is absent from the next session's draw,
// and the claims of the session it served are still settled, with no slash.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { relayMiningAbi, saveDeployment, sessionsAbi, stakingAbi, testTokenAbi } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { connectDecaiNetwork, createKey, Gateway, SqliteStore } from "@decai/gateway";
import { type BackendServer, createBackendServer, createMockBackend } from "@decai/llm";
import { createLogger, loadConfig, type RunningRelayMiner, runRelayMiner } from "@decai/relayminer";
import OpenAI from "openai";
import { type Hex, parseEther } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decai, testRuntime } from "./helpers.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const quiet = createLogger({ level: "error", write: () => {} });
const CLAIM_SETTLED = 3;

describe("pausing one of three suppliers under load", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-pause-e2e-"));
  let net: Awaited<ReturnType<typeof startNetwork>>;
  const backends: BackendServer[] = [];
  const miners: RunningRelayMiner[] = [];
  let gateway: Gateway;
  const service = toServiceId("decai-tiny");
  const key = (i: number) => net.keys[i] as Hex;
  const suppliers = [2, 3, 4];
  const paused = 3; // the supplier whose GPU is needed elsewhere

  beforeAll(async () => {
    net = await startNetwork({
      blocksPerSession: 60,
      suppliersPerSession: 3,
      claimWindowOpenOffsetBlocks: 1,
      // Windows long enough for a loaded machine's RelayMiners to claim and prove in while the test mines.
      claimWindowBlocks: 30,
      proofWindowBlocks: 30,
    });
    await net.actions.registerService(key(1), service, "decai-tiny");
    const ports = await Promise.all(suppliers.map(() => freePort()));
    for (const [i, s] of suppliers.entries()) {
      await net.actions.stakeSupplier(key(s), [{ id: service, endpoint: `http://127.0.0.1:${ports[i]}` }]);
    }
    await net.actions.stakeGateway(key(5));
    await net.actions.stakeApplication(key(6), [service], 10n ** 24n);
    await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
    await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    saveDeployment(join(dir, "deployment.json"), net.deployment);
    for (const [i, s] of suppliers.entries()) {
      // Answers take 40 ms, so relays are in flight when the pause lands.
      const server = await createBackendServer(createMockBackend({ modelId: "decai-tiny", latencyMs: 40 }));
      backends.push(server);
      writeFileSync(join(dir, `s${s}.key`), key(s));
      writeFileSync(
        join(dir, `s${s}.json`),
        JSON.stringify({
          port: ports[i],
          host: "127.0.0.1",
          rpcUrl: net.anvil.rpcUrl,
          deployment: "deployment.json",
          supplierKeyFile: `s${s}.key`,
          dataDir: join(dir, `s${s}`),
          pollIntervalMs: 50,
          services: [{ name: "decai-tiny", backend: new URL(server.url).origin }],
        }),
      );
      const config = loadConfig({ argv: ["--config", join(dir, `s${s}.json`)], env: {} });
      miners.push(await runRelayMiner(config, { logger: quiet }));
    }
    const { upstream, pricing } = connectDecaiNetwork({
      client: net.publicClient,
      deployment: net.deployment,
      gatewayKey: key(5),
      application: privateKeyToAddress(key(6)),
    });
    gateway = await Gateway.start({
      store: SqliteStore.open(":memory:"),
      upstream,
      pricing,
      logger: quiet as never,
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const m of miners) await m.stop().catch(() => {});
    for (const b of backends) await b.close().catch(() => {});
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails no request, leaves the next session, and settles its earlier claims", async () => {
    const { key: apiKey } = await createKey(gateway.store, { name: "load" });
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
    const session = await net.actions.currentSession();
    const servedBy: { supplier: string; startedAt: number }[] = [];
    const failures: string[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const startedAt = Date.now();
        try {
          const { response } = await openai.chat.completions
            .create({
              model: "decai-tiny",
              messages: [{ role: "user", content: `w${w} r${i}` }],
              max_tokens: 8,
            })
            .withResponse();
          servedBy.push({
            supplier: String(response.headers.get("x-decai-supplier")).toLowerCase(),
            startedAt,
          });
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const load = [0, 1, 2, 3].map(worker);
    const pausedAddress = privateKeyToAddress(key(paused)).toLowerCase();
    while (!servedBy.some((r) => r.supplier === pausedAddress)) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));

    // The operator pauses: the CLI drains the RelayMiner at its on-chain endpoint, then pauses on-chain.
    const pausing = await decai(testRuntime({ cwd: dir, env: { DECAI_PRIVATE_KEY: key(paused) } }), [
      "supplier",
      "pause",
      "--deployment",
      join(dir, "deployment.json"),
      "--rpc-url",
      net.anvil.rpcUrl,
      "--json",
    ]);
    expect(pausing.code, pausing.text).toBe(0);
    const pausedAt = Date.now();
    expect(pausing.json()).toMatchObject({
      pausedFromSession: String(session + 1n),
      relayminers: [{ ok: true, state: { paused: true, drained: true, inFlight: 0 } }],
    });
    const before = servedBy.length;
    while (servedBy.length < before + 60) await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(servedBy.filter((r) => r.startedAt > pausedAt && r.supplier === pausedAddress)).toEqual([]);
    const others = new Set(servedBy.filter((r) => r.startedAt > pausedAt).map((r) => r.supplier));
    expect(others.size).toBeGreaterThanOrEqual(1);
    const servedInSession = servedBy.filter((r) => r.supplier === pausedAddress).length;
    console.log(
      `[pause e2e] ${servedBy.length} interactive requests, 0 failed; the paused supplier served ${servedInSession} before the pause and none after`,
    );

    // The next session's draw leaves it out (the other two remain).
    const next = await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    const drawn = await net.publicClient.readContract({
      address: net.deployment.contracts.sessions,
      abi: sessionsAbi,
      functionName: "getSessionSuppliers",
      args: [privateKeyToAddress(key(6)), service, next],
    });
    expect(drawn.map((a) => a.toLowerCase()).sort()).toEqual(
      suppliers
        .filter((s) => s !== paused)
        .map((s) => privateKeyToAddress(key(s)).toLowerCase())
        .sort(),
    );

    // Its claim for the session it served is made, proven if asked, and settled by its RelayMiner: paid, not slashed.
    const read = (functionName: string, args: readonly unknown[]) =>
      net.publicClient.readContract({
        address: net.contracts.relayMining,
        abi: relayMiningAbi,
        functionName,
        args,
      } as never);
    const claimKey = (await read("claimKey", [
      privateKeyToAddress(key(paused)),
      privateKeyToAddress(key(6)),
      service,
      session,
    ])) as Hex;
    let claim = (await read("getClaim", [claimKey])) as { status: number; rootSum: bigint };
    for (let i = 0; i < 600 && claim.status !== CLAIM_SETTLED; i++) {
      await net.testClient.mine({ blocks: 1 });
      await new Promise((r) => setTimeout(r, 60));
      claim = (await read("getClaim", [claimKey])) as { status: number; rootSum: bigint };
    }
    expect(claim.status).toBe(CLAIM_SETTLED);
    expect(claim.rootSum).toBeGreaterThan(0n);
    const stake = await net.publicClient.readContract({
      address: net.contracts.staking,
      abi: stakingAbi,
      functionName: "supplierStake",
      args: [privateKeyToAddress(key(paused))],
    });
    expect(stake).toBe(parseEther("1000"));
    const earned = await net.publicClient.readContract({
      address: net.contracts.paymentToken,
      abi: testTokenAbi,
      functionName: "balanceOf",
      args: [privateKeyToAddress(key(paused))],
    });
    expect(earned).toBeGreaterThan(0n);
  }, 120_000);
});
