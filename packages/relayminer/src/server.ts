import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  fromServiceId,
  type RelayDomain,
  relayDomainSeparator,
  type SupplierInfo,
  supplierInfoPath,
} from "@decai/core";
import {
  answerClientErrors,
  defaultRequestTimeouts,
  type RequestTimeouts,
  timeoutServerOptions,
} from "@decai/http";
import type { FsyncPolicy } from "@decai/smst";
import { type Address, type Hex, hexToBytes, maxUint256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { AdminApi } from "./admin.js";
import { DrainGate, type PauseReason } from "./drain.js";
import { RelayRejection, sendRejection } from "./errors.js";
import { type Logger, silentLogger } from "./log.js";
import { type MeterCap, RelayMeter } from "./meter.js";
import { createRelayMinerMetrics, MetricsRegistry, type RelayMinerMetrics } from "./metrics.js";
import type { OpenStore } from "./mining/sessionTree.js";
import { StoreHealth } from "./mining/storeHealth.js";
import { SessionTrees, type TargetFn } from "./mining/trees.js";
import { type Backend, type BackendClient, createBackendClient } from "./proxy.js";
import { handleRelay, type RelayHandlerDeps, type ServedRelay } from "./relay.js";
import { ReplayGuard } from "./replay.js";
import type { ChainView } from "./validate.js";

/**
 * One service this RelayMiner serves, and where its model runs. `weightsDigest` is the sha256 of the model file the
 * backend loaded (e.g. `EmbeddedBackend.weightsDigest()`): reported on every response in the `Decai-Weights-Digest`
 * header and at `GET /decai/info`, for gateways to compare with the service's and the declared digest.
 */
export type ServedService = { id: Hex; backend: Backend; weightsDigest?: Hex };

/** Options of {@link RelayMiner.start}. */
export type RelayMinerOptions = {
  /** The supplier's key: signs relay responses. Never logged. */
  supplierKey: Hex;
  /** Chain lookups, kept fresh by a `ChainIndexer` (`indexer.state`). */
  chain: ChainView;
  /** Brings `chain` up to date at once (`indexer.sync`), for relays that name a session it has not seen start. */
  refreshChain?: () => Promise<unknown>;
  /** EIP-712 domain of relays: the chain id and the RelayMining contract. */
  domain: RelayDomain;
  services: readonly ServedService[];
  /** Most compute units per (application, service, session); see `escrowCap`. */
  cap: MeterCap;
  /** Difficulty target per (service, session) (`RelayMining.targetAt`). Default: every relay is mined. */
  target?: TargetFn;
  /** Where session trees and replay logs live; omit to keep them in memory (tests). */
  dataDir?: string;
  fsync?: FsyncPolicy;
  /** How session-tree logs are opened (default `LogStore.open`): a seam for other stores and for fault tests. */
  openStore?: OpenStore;
  /** Least time between two probes of a store that failed a write, ms; relays get 503 meanwhile. Default 1000. */
  storeRetryMs?: number;
  /** Longest time to receive a request's headers, and the whole request, ms. Default 10 s and 30 s. */
  timeouts?: Partial<RequestTimeouts>;
  /** Blocks after a session ends during which its relays are still served. Default 2. */
  graceBlocks?: number;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Request paths served as relays. Default: OpenAI's chat completions, completions and embeddings. */
  paths?: readonly string[];
  /** How long the backend may take to send response headers. Default 120 s. */
  backendTimeoutMs?: number;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  logger?: Logger;
  metrics?: MetricsRegistry;
  /** Extra fields for `/health` (e.g. the indexer's sync state); a `status` other than "ok" answers 503. */
  health?: () => Record<string, unknown>;
  /** Called for every served relay, after it is mined. */
  onRelay?: (served: ServedRelay) => void;
  /** The `retry-after` (seconds) of relays refused while paused. Default 30. */
  pauseRetryAfterSeconds?: number;
};

/** The default relay paths. */
export const defaultRelayPaths = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] as const;

const serviceName = (id: Hex) => {
  try {
    return fromServiceId(id);
  } catch {
    return id;
  }
};

/**
 * The supplier's HTTP server: accepts relays (OpenAI-compatible body + `Decai-Relay-Request` header), validates
 * them against the cached chain state, meters, proxies to the service's backend (streaming passes through chunk
 * by chunk), signs the response, mines the relay, and serves `/metrics` and `/health`.
 *
 * @example
 * const miner = await RelayMiner.start({
 *   supplierKey, chain: indexer.state, domain: { chainId: 31337, verifyingContract: relayMining },
 *   services: [{ id: toServiceId("tiny-llama"), backend: { url: "http://127.0.0.1:8080" } }],
 *   cap: escrowCap(indexer.state, { pendingSessions: 3n, paymentPerComputeUnit: 1n }), port: 8545,
 * });
 * console.log(miner.url);
 * await miner.stop();
 */
export class RelayMiner {
  readonly supplier: Address;
  readonly trees: SessionTrees;
  readonly meter: RelayMeter;
  readonly metrics: RelayMinerMetrics;
  /** Whether trees and replay logs take writes; relays are refused with 503 while they do not. */
  readonly store: StoreHealth;
  /** Pause and drain: while paused, new relays get 503 `supplier_paused` and in-flight ones finish. */
  readonly drain: DrainGate;
  readonly #admin: AdminApi;
  #url = "";
  readonly #server: Server;
  readonly #replay: ReplayGuard;
  readonly #backends: BackendClient[];
  readonly #deps: RelayHandlerDeps;
  readonly #paths: ReadonlySet<string>;
  readonly #options: RelayMinerOptions;
  readonly #startedAt = Date.now();
  #session = -1n;

  private constructor(options: RelayMinerOptions) {
    this.#options = options;
    const supplierKey = hexToBytes(options.supplierKey);
    if (supplierKey.length !== 32) throw new TypeError("supplierKey must be a 32-byte hex private key");
    this.supplier = privateKeyToAddress(options.supplierKey);
    const domainSeparator = relayDomainSeparator(options.domain);
    const log = options.logger ?? silentLogger;
    this.metrics = createRelayMinerMetrics(options.metrics ?? new MetricsRegistry());
    this.meter = new RelayMeter(options.cap);
    this.drain = new DrainGate({ retryAfterSeconds: options.pauseRetryAfterSeconds ?? 30 });
    this.#admin = new AdminApi({
      supplier: this.supplier,
      gate: this.drain,
      ...(options.dataDir ? { pauseFile: join(options.dataDir, "paused.json") } : {}),
      onChange: (action, state) =>
        log.info(action === "pause" ? "paused by the operator" : "resumed", { ...state }),
    });
    this.#replay = new ReplayGuard(options.dataDir ? join(options.dataDir, "replay") : undefined);
    this.trees = new SessionTrees({
      domain: domainSeparator,
      target: options.target ?? (() => maxUint256),
      ...(options.dataDir ? { dir: join(options.dataDir, "trees") } : {}),
      ...(options.fsync ? { fsync: options.fsync } : {}),
      ...(options.openStore ? { openStore: options.openStore } : {}),
    });
    this.metrics.registry.gauge(
      "decai_session_tree_leaves",
      "Relays in the open session trees (mined, not yet claimed and closed).",
      [],
      () => this.trees.leaves(),
    );
    this.store = new StoreHealth(
      async () => {
        this.#replay.probe();
        await this.trees.probe();
      },
      { log, ...(options.storeRetryMs !== undefined ? { retryMs: options.storeRetryMs } : {}) },
    );
    this.metrics.registry.gauge(
      "decai_store_writable",
      "1 while session trees and replay logs take writes; 0 while relays are refused with 503.",
      [],
      () => (this.store.healthy ? 1 : 0),
    );
    const backends = new Map<string, { name: string; client: BackendClient; weightsDigest?: Hex }>();
    for (const s of options.services) {
      const client = createBackendClient(s.backend, { timeoutMs: options.backendTimeoutMs ?? 120_000 });
      const digest = s.weightsDigest ? { weightsDigest: s.weightsDigest.toLowerCase() as Hex } : {};
      backends.set(s.id.toLowerCase(), { name: serviceName(s.id), client, ...digest });
    }
    this.#backends = [...backends.values()].map((b) => b.client);
    this.#paths = new Set(options.paths ?? defaultRelayPaths);
    this.#deps = {
      validation: {
        chain: options.chain,
        supplier: this.supplier,
        domainSeparator,
        servedServices: new Set(backends.keys()),
        graceBlocks: BigInt(options.graceBlocks ?? 2),
      },
      backends,
      maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
      supplierKey,
      meter: this.meter,
      replay: this.#replay,
      trees: this.trees,
      store: this.store,
      ...(options.refreshChain ? { refreshChain: options.refreshChain } : {}),
      metrics: this.metrics,
      log,
      ...(options.onRelay ? { onRelay: options.onRelay } : {}),
    };
    const timeouts = { ...defaultRequestTimeouts, ...options.timeouts };
    this.#server = createServer(timeoutServerOptions(timeouts), (req, res) => this.#route(req, res));
    answerClientErrors(this.#server);
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: RelayMinerOptions): Promise<RelayMiner> {
    const miner = new RelayMiner(options);
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      miner.#server.once("error", reject);
      miner.#server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = miner.#server.address() as AddressInfo;
    miner.#url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    miner.#deps.log.info("relayminer listening", {
      url: miner.#url,
      supplier: miner.supplier,
      services: options.services.map((s) => serviceName(s.id)),
    });
    return miner;
  }

  /** Base URL, e.g. "http://127.0.0.1:41234". */
  get url(): string {
    return this.#url;
  }

  /** Stops accepting relays, cuts open connections and closes trees and logs. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    for (const b of this.#backends) b.close();
    this.#replay.close();
    await this.trees.closeAll();
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (this.#paths.has(path)) {
      if (req.method !== "POST") {
        this.#reject(res, "method_not_allowed", `Use POST for ${path}.`);
        return;
      }
      try {
        this.drain.admit(res);
      } catch (rejection) {
        this.metrics.rejected.inc({ reason: "supplier_paused" });
        sendRejection(res, rejection as RelayRejection);
        return;
      }
      this.#rollSession();
      void handleRelay(req, res, this.#deps);
      return;
    }
    if (path.startsWith("/admin/")) {
      this.#admin.handle(req, res, path).catch(() => res.destroy());
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      const body = this.metrics.registry.render();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(body);
      return;
    }
    if (req.method === "GET" && path === "/health") {
      this.#health(res);
      return;
    }
    if (req.method === "GET" && path === supplierInfoPath) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(this.info()));
      return;
    }
    this.#reject(res, "unknown_url", `Unknown path ${path}: relays go to ${[...this.#paths].join(", ")}.`);
  }

  /**
   * What `GET /decai/info` answers: the supplier and, per service, the digest of the model file its backend
   * loaded, the digest it declared on-chain and the service's registered digest (null where unknown).
   */
  info(): SupplierInfo {
    const chain = this.#options.chain;
    return {
      supplier: this.supplier,
      services: this.#options.services.map((s) => ({
        id: s.id,
        name: serviceName(s.id),
        weightsDigest: s.weightsDigest ? (s.weightsDigest.toLowerCase() as Hex) : null,
        declaredWeightsDigest: chain.supplierWeightsDigest?.(this.supplier, s.id) ?? null,
        serviceWeightsDigest: chain.service(s.id)?.weightsDigest ?? null,
      })),
    };
  }

  /**
   * Stops taking relays (503 `supplier_paused` + `retry-after`; the SDK routes elsewhere at once) and resolves once
   * those in flight have finished. Claims and proofs go on. `reason` "operator" is what the admin API holds.
   */
  pause(reason: PauseReason = "operator"): Promise<void> {
    return this.drain.pause(reason);
  }

  /** Releases `reason`'s pause; relays are taken again once no pause is held. */
  resume(reason: PauseReason = "operator"): void {
    this.drain.resume(reason);
  }

  #reject(res: ServerResponse, code: "method_not_allowed" | "unknown_url", message: string): void {
    this.metrics.rejected.inc({ reason: code });
    sendRejection(res, new RelayRejection(code, message));
  }

  /** On a new session, forgets meters and replay sets that can no longer be used (grace keeps one back). */
  #rollSession(): void {
    const current = this.#options.chain.currentSession;
    if (current === this.#session) return;
    this.#session = current;
    this.meter.forgetBefore(current - 1n);
    this.#replay.forgetBefore(current - 1n);
  }

  #health(res: ServerResponse): void {
    const chain = this.#options.chain;
    const report: Record<string, unknown> = {
      status: chain.blockNumber >= 0n ? "ok" : "starting",
      supplier: this.supplier,
      blockNumber: chain.blockNumber,
      session: chain.currentSession,
      services: this.#options.services.map((s) => ({
        id: s.id,
        name: serviceName(s.id),
        registered: chain.service(s.id) !== undefined,
        staked:
          chain.currentSession >= 0n && chain.isSupplierStaked(this.supplier, s.id, chain.currentSession),
      })),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      store: this.store.healthy ? "ok" : `failing: ${this.store.reason}`,
      drain: this.drain.state,
      ...this.#options.health?.(),
    };
    if (this.drain.paused && report.status === "ok") report.status = "paused";
    if (!this.store.healthy && report.status === "ok") report.status = "store_unwritable";
    const body = JSON.stringify(report, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    // Anything but "ok" (starting, a stale chain cache) takes this supplier out of a load balancer's rotation.
    res.writeHead(report.status === "ok" ? 200 : 503, { "content-type": "application/json" });
    res.end(body);
  }
}
