import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DecaiParams, saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import type { MockBackendOptions } from "@decai/llm";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { startTrackedBackend, type TrackedBackend } from "./backend.js";
import { startTcpProxy, type TcpProxy } from "./proxy.js";
import { SupplierProcess } from "./supplier.js";

/** The model every fault scenario serves. */
export const MODEL = "tiny-llama";

/** Options of {@link startFaultNetwork}. */
export type FaultNetworkOptions = {
  /** Suppliers of the service, each a RelayMiner process in front of its own mock backend. Default 3. */
  suppliers?: number;
  /** Protocol parameters (sessions, windows, proofs); see `DecaiParams`. */
  params?: Partial<DecaiParams>;
  /** The mock backend of every supplier (latency, tokens/s, completion length), or of supplier `i` (from 0). */
  backend?: Omit<MockBackendOptions, "modelId"> | ((i: number) => Omit<MockBackendOptions, "modelId">);
  /** Extra RelayMiner config (e.g. `pollIntervalMs`, `logLevel`); see the RelayMiner's `loadConfig`. */
  miner?: Record<string, unknown>;
  /** Put a cuttable TCP proxy in front of anvil: RelayMiners (and `rpcUrl` users) reach the chain through it. */
  rpcProxy?: boolean;
};

/** One supplier: its key, its RelayMiner process and its backend. */
export type FaultSupplier = {
  key: Hex;
  address: Address;
  process: SupplierProcess;
  backend: TrackedBackend;
  /** Its data directory (trees, replay logs, claim records). */
  dataDir: string;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * A devnet for fault scenarios, loopback only: anvil with the contracts (blocks come only when the test mines
 * them, with a ticker or the claim driver, like a chain with a block time: transactions wait for the next), a
 * Source's service "tiny-llama" (1 compute unit per input token, 2 per output token), N staked suppliers each
 * running a real RelayMiner process (`main.ts`, own data directory, fixed port) in front of a mock backend, a
 * staked gateway and an application that escrows 10^6 tokens and delegates to it. The first session after the
 * stakes is started and seeded; every RelayMiner listens before this resolves.
 *
 * @example
 * const world = await startFaultNetwork({ suppliers: 3, params: { blocksPerSession: 200 } });
 * await world.suppliers[0].process.kill("SIGKILL");
 * await world.stop();
 */
export async function startFaultNetwork(options: FaultNetworkOptions = {}) {
  const count = options.suppliers ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "decai-faults-"));
  const net = await startNetwork(options.params, 12 + count);
  const key = (i: number) => net.keys[i] as Hex;
  const serviceId = toServiceId(MODEL);
  const stops: (() => Promise<unknown>)[] = [async () => net.anvil.stop()];
  try {
    const proxy: TcpProxy | undefined = options.rpcProxy ? await startTcpProxy(net.anvil.port) : undefined;
    if (proxy) stops.push(() => proxy.stop());
    const rpcUrl = proxy?.url ?? net.anvil.rpcUrl;
    await net.actions.registerService(key(1), serviceId, MODEL);
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      await net.actions.stakeSupplier(key(2 + i), [{ id: serviceId, endpoint: `http://127.0.0.1:${port}` }]);
    }
    const gatewayKey = key(2 + count);
    const appKey = key(3 + count);
    await net.actions.stakeGateway(gatewayKey);
    await net.actions.stakeApplication(appKey, [serviceId], 10n ** 24n);
    await net.actions.delegate(appKey, privateKeyToAddress(gatewayKey));
    const session = await net.actions.nextSession(); // stakes and delegation count from here
    await net.actions.recordSeed(key(0));
    const deploymentFile = join(dir, "deployment.json");
    saveDeployment(deploymentFile, net.deployment);
    // From here on a transaction is not a block: claims, proofs and seeds wait for the chain's next block.
    await net.testClient.setAutomine(false);

    const suppliers: FaultSupplier[] = [];
    for (let i = 0; i < count; i++) {
      const mock = typeof options.backend === "function" ? options.backend(i) : options.backend;
      const backend = await startTrackedBackend({ ...mock, modelId: MODEL });
      stops.push(() => backend.stop());
      const home = join(dir, `supplier-${i + 1}`);
      mkdirSync(home, { recursive: true });
      const miner = new SupplierProcess({
        name: `supplier-${i + 1}`,
        key: key(2 + i),
        port: ports[i] as number,
        dir: home,
        config: {
          host: "127.0.0.1",
          rpcUrl,
          deployment: deploymentFile,
          dataDir: "data",
          pollIntervalMs: 100,
          services: [{ name: MODEL, backend: backend.url }],
          ...options.miner,
        },
      });
      stops.push(() => miner.kill("SIGKILL"));
      suppliers.push({
        key: key(2 + i),
        address: miner.address,
        process: miner,
        backend,
        dataDir: join(home, "data"),
      });
    }
    await Promise.all(suppliers.map((s) => s.process.start()));

    return {
      net,
      dir,
      serviceId,
      /** The session every supplier, stake and delegation is live in when the network is handed over. */
      session,
      suppliers,
      gatewayKey,
      gateway: privateKeyToAddress(gatewayKey),
      appKey,
      app: privateKeyToAddress(appKey),
      /** The chain RPC the RelayMiners use: the proxy when there is one. */
      rpcUrl,
      proxy,
      deploymentFile,
      /** The supplier with this address. */
      supplier(address: string): FaultSupplier {
        const found = suppliers.find((s) => s.address.toLowerCase() === address.toLowerCase());
        if (!found) throw new Error(`${address} is not a supplier of this network`);
        return found;
      },
      /** Kills every process, stops anvil and deletes the directory (kept when `DECAI_FAULTS_KEEP` is set). */
      async stop() {
        for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
        if (!process.env.DECAI_FAULTS_KEEP) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A running fault network. */
export type FaultNetwork = Awaited<ReturnType<typeof startFaultNetwork>>;
