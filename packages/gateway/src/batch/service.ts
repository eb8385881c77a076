// The batch tier of a gateway, assembled: the store on the gateway's database, the scheduler that watches
// interactive load, the runner, and the Files + Batch routes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { authenticate } from "../keys/authenticate.js";
import type { Logger } from "../log.js";
import type { MetricsRegistry } from "../metrics.js";
import { handleBatches } from "../routes/batches.js";
import { handleFiles } from "../routes/files.js";
import type { Aliases, Catalog } from "../routing.js";
import type { GatewayStore } from "../store/types.js";
import type { Upstream } from "../upstream/types.js";
import type { BatchApiContext } from "./api.js";
import type { InteractiveLoad } from "./interactive.js";
import { BatchRunner } from "./runner.js";
import { BatchScheduler } from "./scheduler.js";
import { type BatchStore, batchStoreFor } from "./store.js";

/** Tuning of the batch tier (`GatewayOptions.batch`). */
export type BatchOptions = {
  /** Batch lines in flight per supplier of a batch-tier model. Default 2. */
  perSupplier?: number;
  /** Batch lines per supplier of an interactive model, minus interactive requests in flight. Default 1; 0: never. */
  idlePerSupplier?: number;
  /** Largest input file, bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /** How long a batch may run (`completion_window` 24h), ms. Default 24 h. */
  completionWindowMs?: number;
  /** See `BatchRunnerOptions`. */
  pollMs?: number;
  leaseMs?: number;
  maxAttempts?: number;
};

/**
 * The gateway's batch tier. `open` returns `undefined` for a store without batch tables (the API then answers 501).
 *
 * @example
 * const batches = await BatchService.open({ store, upstream, interactive, catalog, aliases, log, defaultMaxTokens: 1024 });
 * if (batches && (await batches.handle(req, res, url, path))) return;
 */
export class BatchService {
  readonly store: BatchStore;
  readonly runner: BatchRunner;
  readonly scheduler: BatchScheduler;
  readonly #ctx: BatchApiContext;
  readonly #keys: GatewayStore;
  readonly #keySecret: string | undefined;

  private constructor(
    store: BatchStore,
    runner: BatchRunner,
    scheduler: BatchScheduler,
    ctx: BatchApiContext,
  ) {
    this.store = store;
    this.runner = runner;
    this.scheduler = scheduler;
    this.#ctx = ctx;
    this.#keys = ctx.keys;
    this.#keySecret = ctx.keySecret;
  }

  static async open(input: {
    store: GatewayStore;
    upstream: Upstream;
    interactive: InteractiveLoad;
    catalog: () => Promise<Catalog>;
    aliases: Aliases;
    keySecret: string | undefined;
    defaultMaxTokens: number;
    log: Logger;
    metrics?: MetricsRegistry;
    now?: () => number;
    options?: BatchOptions;
  }): Promise<BatchService | undefined> {
    const store = await batchStoreFor(input.store);
    if (!store) return undefined;
    const o = input.options ?? {};
    const now = input.now ?? Date.now;
    const scheduler = new BatchScheduler({
      interactive: input.interactive,
      ...(o.perSupplier !== undefined ? { perSupplier: o.perSupplier } : {}),
      ...(o.idlePerSupplier !== undefined ? { idlePerSupplier: o.idlePerSupplier } : {}),
    });
    const runner = new BatchRunner({
      store,
      upstream: input.upstream,
      catalog: input.catalog,
      aliases: input.aliases,
      scheduler,
      key: (id) => input.store.key(id),
      log: input.log.child?.({ component: "batch" }) ?? input.log,
      ...(input.metrics ? { metrics: input.metrics } : {}),
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
      ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
      now,
    });
    const ctx: BatchApiContext = {
      store,
      keys: input.store,
      keySecret: input.keySecret,
      catalog: input.catalog,
      aliases: input.aliases,
      defaultMaxTokens: input.defaultMaxTokens,
      maxFileBytes: o.maxFileBytes ?? 100 << 20,
      completionWindowMs: o.completionWindowMs ?? 24 * 3_600_000,
      now,
      wake: () => runner.wake(),
    };
    await runner.start();
    return new BatchService(store, runner, scheduler, ctx);
  }

  /** Serves `path` if it belongs to the Files or Batch API; resolves `false` otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
    const files = path === "/v1/files" || path.startsWith("/v1/files/");
    const batches = path === "/v1/batches" || path.startsWith("/v1/batches/");
    if (!files && !batches) return false;
    const key = await authenticate(req, this.#keys, this.#keySecret);
    if (files) await handleFiles(req, res, url, path, key, this.#ctx);
    else await handleBatches(req, res, url, path, key, this.#ctx);
    return true;
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }
}

/** The answer for a store without batch tables. */
export const batchesUnavailable = () =>
  new GatewayError(
    "not_implemented",
    "This gateway's store keeps no batch jobs: run it on SQLite or PostgreSQL to use /v1/files and /v1/batches.",
  );
