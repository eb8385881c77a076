import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { type RelayDomain, toServiceId } from "@decai/core";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { benchModel } from "./backend.js";
import { type Child, freePort, waitForHttp } from "./processes.js";
import { spawnEntry } from "./runtime.js";

/** Escrow of the bench application: huge, so the relay meter never answers 429 during a run. */
export const benchEscrow = 10n ** 30n;

/**
 * A local Decai network for benchmarks: anvil with the contracts, one service ("bench-mock"), one staked
 * supplier, a staked gateway and an application with a huge escrow that delegates to it, in a session of a
 * million blocks (nothing mines blocks during a run, so no session rollover happens mid-run).
 */
export type BenchNetwork = Awaited<ReturnType<typeof startBenchNetwork>>;

/**
 * Starts the network and records the session's seed, so a RelayMiner can serve at once.
 *
 * @example
 * const net = await startBenchNetwork();
 * const miner = await startRelayMinerProcess(net, backend.origin);
 */
export async function startBenchNetwork() {
  // Short sessions to reach the first one quickly, then a million blocks per session from the next one on.
  const net = await startNetwork({ blocksPerSession: 10, suppliersPerSession: 1 }, 10);
  const key = (i: number) => net.keys[i] as Hex;
  const serviceId = toServiceId(benchModel);
  // The supplier's on-chain endpoint is where clients that pick suppliers from the session (the SDK, a
  // gateway) send relays: every RelayMiner of the run listens on this port.
  const minerPort = await freePort();
  const keys = { source: key(1), supplier: key(2), gateway: key(3), application: key(4) };
  try {
    await net.actions.registerService(keys.source, serviceId, benchModel);
    await net.actions.stakeSupplier(keys.supplier, [
      { id: serviceId, endpoint: `http://127.0.0.1:${minerPort}` },
    ]);
    await net.actions.stakeGateway(keys.gateway);
    await net.actions.stakeApplication(keys.application, [serviceId], benchEscrow);
    await net.actions.delegate(keys.application, privateKeyToAddress(keys.gateway));
    await net.actions.setBlocksPerSession(1_000_000);
    await net.actions.nextSession(); // stakes and the new session length take effect here
    await net.actions.recordSeed(key(0));
  } catch (error) {
    await net.anvil.stop();
    throw error;
  }
  const session = await net.actions.currentSession();
  const domain: RelayDomain = { chainId: net.anvil.chainId, verifyingContract: net.contracts.relayMining };
  const dir = mkdtempSync(join(tmpdir(), "decai-bench-"));
  const deploymentPath = join(dir, "deployment.json");
  saveDeployment(deploymentPath, net.deployment);
  return {
    ...net,
    keys,
    serviceId,
    session,
    domain,
    minerPort,
    application: privateKeyToAddress(keys.application) as Address,
    supplier: privateKeyToAddress(keys.supplier) as Address,
    gateway: privateKeyToAddress(keys.gateway) as Address,
    /** Scratch directory of this run (deployment file, RelayMiner data); removed by `stop`. */
    dir,
    deploymentPath,
    async stop() {
      await net.anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A RelayMiner process, started as a supplier runs it (`packages/relayminer/src/main.ts --config`). */
export type RelayMinerProcess = { url: string; child: Child; dataDir: string; stop(): Promise<void> };

/**
 * Starts the real RelayMiner entry point on the bench network in front of `backendOrigin`: chain indexer,
 * signatures, meter, mining into crash-safe session trees (`fsync: "always"` unless told), claim lifecycle. It
 * listens on the supplier's on-chain endpoint (`net.minerPort`), so one runs at a time. `nodeArgs` go to Node, e.g. `["--cpu-prof", "--cpu-prof-dir=..."]` (the profile is written on SIGTERM).
 *
 * @example
 * const miner = await startRelayMinerProcess(net, backend.origin);
 * await fetch(`${miner.url}/v1/chat/completions`, { method: "POST", headers, body });
 */
export async function startRelayMinerProcess(
  net: BenchNetwork,
  backendOrigin: string,
  options: {
    nodeArgs?: string[];
    fsync?: "always" | "batch";
    name?: string;
    /** Where its data directory goes; default the run's scratch directory. `/dev/shm` makes fsync free. */
    dataRoot?: string;
    /** Default the supplier's on-chain endpoint port; another one for a second miner reached directly. */
    port?: number;
  } = {},
): Promise<RelayMinerProcess> {
  const port = options.port ?? net.minerPort;
  const dataDir = mkdtempSync(join(options.dataRoot ?? net.dir, "decai-relayminer-"));
  const config = join(dataDir, "relayminer.json");
  writeFileSync(
    config,
    JSON.stringify({
      host: "127.0.0.1",
      port,
      rpcUrl: net.anvil.rpcUrl,
      deployment: net.deploymentPath,
      dataDir: join(dataDir, "data"),
      pollIntervalMs: 1000,
      fsync: options.fsync ?? "always",
      logLevel: "info",
      services: [{ name: benchModel, backend: backendOrigin }],
    }),
  );
  const child = await spawnEntry(
    options.name ?? "relayminer",
    "packages/relayminer/src/main.ts",
    ["--config", config],
    {
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      env: { DECAI_SUPPLIER_KEY: net.keys.supplier },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, child);
  return {
    url,
    child,
    dataDir,
    async stop() {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
