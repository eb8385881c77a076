// A small real Decai network for fault and hostile-input tests: anvil with the contracts, one service
// ("tiny-llama"), N suppliers each a real RelayMiner (`runRelayMiner`: chain indexer, meter, trees on disk, the
// claim/proof/settle lifecycle) in front of a controllable mock backend, a staked gateway and an application that
// delegated to it. Everything on loopback; every log line is captured for the key-leak checks.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DecaiParams, saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import {
  connectDecaiNetwork,
  createGatewayMetrics,
  Gateway,
  type GatewayOptions,
  type GatewayStore,
  createLogger as gatewayLogger,
} from "@decai/gateway";
import {
  createLogger,
  loadConfig,
  type OpenStore,
  type RequestTimeouts,
  type RunningRelayMiner,
  runRelayMiner,
} from "@decai/relayminer";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { type ControlledBackend, startControlledBackend } from "./hostileBackends.js";

/** One supplier: its key, RelayMiner, backend and captured log lines. */
export type NetSupplier = {
  key: Hex;
  address: Address;
  url: string;
  port: number;
  dataDir: string;
  backend: ControlledBackend;
  running: RunningRelayMiner;
  logs: string[];
};

/** Options of {@link startFaultNet}. */
export type FaultNetOptions = {
  /** Suppliers staked and running. Default 3. */
  suppliers?: number;
  /** Protocol parameters (default: sessions of 40 blocks, every staked supplier drawn, every relay mined). */
  params?: Partial<DecaiParams>;
  /** The application's escrow, payment-token base units. Default 100 tokens. */
  escrow?: bigint;
  /** Backend of supplier `i`. Default: the controllable mock (8 tokens per answer). */
  backend?: (i: number) => Promise<ControlledBackend>;
  /** Extra RelayMiner flags (e.g. ["--max-body-bytes", "4096"]). */
  minerArgs?: string[];
  /** Extra flags of supplier `i`'s RelayMiner only. */
  minerArgsOf?: (i: number) => string[];
  /** How supplier `i`'s RelayMiner opens its tree logs (a failing disk); default the real `LogStore`. */
  openStore?: (i: number) => OpenStore | undefined;
  /** The RelayMiners' request timeouts (default 10 s for headers, 30 s for a whole request). */
  minerTimeouts?: Partial<RequestTimeouts>;
};

/** An unused loopback port (any free one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * An unused loopback port below Linux's ephemeral range (32768+), for a server that restarts on the same port: a
 * port from the ephemeral range may meanwhile be taken by the clients' own outgoing connections.
 */
export async function freeStablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise((r) => server.close(r));
      return port;
    }
  }
}

/**
 * Starts the network described above; the current session's seed is recorded and every RelayMiner is synced.
 *
 * @example
 * const net = await startFaultNet({ suppliers: 3 });
 * const gateway = await net.startGateway(SqliteStore.open(":memory:"));
 * await net.stop();
 */
export async function startFaultNet(options: FaultNetOptions = {}) {
  const n = options.suppliers ?? 3;
  const chain = await startNetwork(
    {
      blocksPerSession: 40,
      suppliersPerSession: Math.min(n, 3),
      claimWindowOpenOffsetBlocks: 2,
      claimWindowBlocks: 10,
      proofWindowBlocks: 10,
      ...options.params,
    },
    12 + n,
  );
  const dir = mkdtempSync(join(tmpdir(), "decai-faults-"));
  const deploymentFile = join(dir, "deployment.json");
  saveDeployment(deploymentFile, chain.deployment);
  const key = (i: number) => chain.keys[i] as Hex;
  const service = toServiceId("tiny-llama");
  await chain.actions.registerService(key(1), service);
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freeStablePort(); // RelayMiners may be restarted on it
    ports.push(port);
    await chain.actions.stakeSupplier(key(2 + i), [{ id: service, endpoint: `http://127.0.0.1:${port}` }]);
  }
  const gatewayKey = key(2 + n);
  const appKey = key(3 + n);
  const app = privateKeyToAddress(appKey);
  await chain.actions.stakeGateway(gatewayKey);
  await chain.actions.stakeApplication(appKey, [service], options.escrow ?? 100n * 10n ** 18n);
  await chain.actions.delegate(appKey, privateKeyToAddress(gatewayKey));
  await chain.actions.nextSession();
  await chain.actions.recordSeed(key(0));

  const suppliers: NetSupplier[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  const startSupplier = async (i: number, backend: ControlledBackend): Promise<NetSupplier> => {
    const logs: string[] = [];
    const dataDir = join(dir, `supplier-${i + 1}`);
    const config = loadConfig({
      argv: [
        "--port",
        String(ports[i]),
        "--rpc-url",
        chain.anvil.rpcUrl,
        "--deployment",
        deploymentFile,
        "--service",
        `tiny-llama=${backend.url}`,
        "--data-dir",
        dataDir,
        "--poll-interval-ms",
        "100",
        ...(options.minerArgs ?? []),
        ...(options.minerArgsOf?.(i) ?? []),
      ],
      env: { DECAI_SUPPLIER_KEY: key(2 + i) },
    });
    const openStore = options.openStore?.(i);
    const running = await runRelayMiner(config, {
      logger: createLogger({ level: "debug", write: (line) => logs.push(line) }),
      ...(openStore ? { openStore } : {}),
      ...(options.minerTimeouts ? { timeouts: options.minerTimeouts } : {}),
    });
    return {
      key: key(2 + i),
      address: privateKeyToAddress(key(2 + i)),
      url: running.miner.url,
      port: ports[i] as number,
      dataDir,
      backend,
      running,
      logs,
    };
  };
  try {
    for (let i = 0; i < n; i++) {
      const backend = await (options.backend ?? (() => startControlledBackend()))(i);
      stops.push(() => backend.stop());
      const supplier = await startSupplier(i, backend);
      suppliers.push(supplier);
    }
  } catch (error) {
    for (const s of suppliers) await s.running.stop().catch(() => {});
    for (const stop of stops) await stop().catch(() => {});
    await chain.anvil.stop();
    throw error;
  }

  const gatewayLogs: string[] = [];
  let minedBeforeRestarts = 0;
  const gateways: Gateway[] = [];
  return {
    chain,
    dir,
    deploymentFile,
    service,
    suppliers,
    gatewayKey,
    gateway: privateKeyToAddress(gatewayKey),
    appKey,
    app,
    /** Log lines of the gateways started with {@link startGateway}. */
    gatewayLogs,
    key,
    /**
     * Starts a real gateway on `store` selling this network (its key signs for the application), with an admin
     * token. The store is the caller's to close.
     */
    async startGateway(store: GatewayStore, extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
      const metrics = createGatewayMetrics();
      const { upstream, pricing } = connectDecaiNetwork({
        client: chain.publicClient as never,
        deployment: chain.deployment,
        gatewayKey,
        application: app,
        metrics: metrics.registry,
      });
      const gateway = await Gateway.start({
        store,
        upstream,
        pricing,
        metrics,
        adminToken: "admin-secret-for-tests-0123456789",
        logger: gatewayLogger({ level: "debug", write: (line) => gatewayLogs.push(line) }),
        ...extra,
      });
      gateways.push(gateway);
      return gateway;
    },
    /** Restarts supplier `i`'s RelayMiner on the same port, key, backend and data directory. */
    async restartSupplier(i: number): Promise<NetSupplier> {
      const old = suppliers[i] as NetSupplier;
      minedBeforeRestarts += metricSum(
        old.running.miner.metrics.registry.render(),
        "decai_relays_mined_total",
      );
      await old.running.stop();
      const fresh = await startSupplier(i, old.backend);
      fresh.logs.unshift(...old.logs);
      suppliers[i] = fresh;
      return fresh;
    },
    /** Relays that went into session trees, over every supplier and restart (`decai_relays_mined_total`). */
    mined(): number {
      return (
        minedBeforeRestarts +
        suppliers.reduce(
          (sum, s) => sum + metricSum(s.running.miner.metrics.registry.render(), "decai_relays_mined_total"),
          0,
        )
      );
    },
    /** Every RelayMiner's refusals with `reason`. */
    rejected(reason: string): number {
      return suppliers.reduce(
        (sum, s) =>
          sum +
          metricSum(
            s.running.miner.metrics.registry.render(),
            "decai_relays_rejected_total",
            `reason="${reason}"`,
          ),
        0,
      );
    },
    /** Brings every RelayMiner's chain cache up to date. */
    async sync(): Promise<void> {
      await Promise.all(suppliers.map((s) => s.running.indexer.sync()));
    },
    async stop(): Promise<void> {
      for (const g of gateways.splice(0)) await g.stop().catch(() => {});
      for (const s of suppliers) await s.running.stop().catch(() => {});
      for (const stop of stops) await stop().catch(() => {});
      await chain.anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FaultNet = Awaited<ReturnType<typeof startFaultNet>>;

/** Sum of a Prometheus metric's samples in `text` whose labels contain `labels` (all when omitted). */
export function metricSum(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** A chat completion request body for "tiny-llama". */
export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "tiny-llama",
    messages: [{ role: "user", content: "Say something." }],
    max_tokens: 8,
    ...extra,
  };
}

/** POSTs `body` to the gateway's chat completions with `apiKey`; the status, headers and parsed JSON (or text). */
export async function postChat(
  gatewayUrl: string,
  apiKey: string,
  body: Record<string, unknown> = chatBody(),
): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, json, text };
}
