import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  answerClientErrors,
  defaultRequestTimeouts,
  type RequestTimeouts,
  timeoutServerOptions,
} from "@decai/http";
import { InteractiveLoad } from "./batch/interactive.js";
import { type BatchOptions, BatchService, batchesUnavailable } from "./batch/service.js";
import { GatewayError, sendError, toGatewayError } from "./errors.js";
import { sendJson } from "./http/body.js";
import { applyCors, type CorsOrigins } from "./http/cors.js";
import { authenticate } from "./keys/authenticate.js";
import { type Logger, silentLogger } from "./log.js";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics.js";
import { freePrice, type PriceFn, withMargin } from "./pricing.js";
import { handleAdmin } from "./routes/admin.js";
import { chatCompletions } from "./routes/chat.js";
import { completions } from "./routes/completions.js";
import { embeddings } from "./routes/embeddings.js";
import { handleInference, type InferenceContext } from "./routes/inference.js";
import { handleModels } from "./routes/models.js";
import type { EndpointSpec } from "./routes/params.js";
import { handleVerification, verificationPaths } from "./routes/verification.js";
import type { Aliases, Catalog, CatalogEntry } from "./routing.js";
import type { GatewayStore } from "./store/types.js";
import type { Upstream } from "./upstream/types.js";
import type { Verifier } from "./verification/verifier.js";

/** Options of {@link Gateway.start}. */
export type GatewayOptions = {
  /** Keys, budgets, rate windows, usage log: `SqliteStore` (one instance) or `PostgresStore` (several). */
  store: GatewayStore;
  /** Where completions come from. */
  upstream: Upstream;
  /** Network price of a model (payment-token base units), e.g. from `priceFromComputeUnits`. Default: free. */
  pricing?: PriceFn;
  /** The gateway's margin on top of the network price, in basis points (2_000 = +20%). Default 0. */
  marginBps?: number;
  /** Names that stand for a list of models tried in order, e.g. `{ fast: ["tiny-llama", "llama-8b"] }`. */
  aliases?: Aliases;
  /** Bearer token of the admin API; without one the admin API is off. */
  adminToken?: string;
  /** Server secret API keys are HMAC-ed with; changing it invalidates every key. Default: plain SHA-256. */
  keySecret?: string;
  /** Largest request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Origins whose browser pages may call the public API (`/v1/*`): `"*"` (default), a list, or `false` for none. */
  cors?: CorsOrigins | false;
  /** Longest time to receive a request's headers, and the whole request, ms. Default 10 s and 30 s. */
  timeouts?: Partial<RequestTimeouts>;
  /** `max_tokens` given to requests without one, when the key has budgets or a TPM limit. Default 1024. */
  defaultMaxTokens?: number;
  /** How long the upstream's model list is reused. Default 5 s. */
  modelsCacheMs?: number;
  /** Reservations older than this (left by a crashed gateway) are released. Default 15 min. */
  reservationTtlMs?: number;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  logger?: Logger;
  metrics?: GatewayMetrics;
  /** Wall clock, Unix ms (tests move it). Default `Date.now`. */
  now?: () => number;
  /** Extra fields for `/health`. */
  health?: () => Record<string, unknown>;
  /**
   * Inference verification: every answer served is observed (never delayed) and checked in the background;
   * reputations and evidence are published at `/v1/decai/suppliers` and `/v1/decai/evidence`. The gateway does
   * not stop it: its owner does.
   */
  verification?: Verifier;
  /** The batch tier (`/v1/files`, `/v1/batches`): scheduling knobs, or `false` to turn it off. */
  batch?: BatchOptions | false;
};

const endpoints = new Map<string, EndpointSpec>(
  [chatCompletions, completions, embeddings].map((spec) => [spec.path, spec]),
);

/**
 * The gateway's HTTP server: the OpenAI-compatible API (`/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`, `/v1/models`) for API-key holders, the admin API (`/admin/keys`, `/admin/usage`), `/metrics`
 * and `/health`.
 *
 * @example
 * const gateway = await Gateway.start({
 *   store: SqliteStore.open(".decai/gateway.sqlite"),
 *   upstream: createHttpUpstream({ baseUrl: "http://127.0.0.1:8080/v1" }),
 *   adminToken: process.env.DECAI_GATEWAY_ADMIN_TOKEN,
 *   port: 8080,
 * });
 * const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "dk_…" });
 */
export class Gateway {
  readonly metrics: GatewayMetrics;
  readonly store: GatewayStore;
  #url = "";
  readonly #server: Server;
  readonly #options: GatewayOptions;
  readonly #log: Logger;
  readonly #context: InferenceContext;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #startedAt = Date.now();
  #catalog: { at: number; value: Catalog } | undefined;
  #loading: Promise<Catalog> | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Interactive load per model, which batch work yields to. */
  readonly interactive = new InteractiveLoad();
  /** The batch tier; undefined when off or the store keeps no batches. */
  batches: BatchService | undefined;

  private constructor(options: GatewayOptions) {
    this.#options = options;
    this.store = options.store;
    this.#log = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? createGatewayMetrics();
    withMargin(freePrice, options.marginBps ?? 0); // validates marginBps up front
    this.#context = {
      store: options.store,
      upstream: this.interactive.wrap(
        options.verification ? options.verification.wrap(options.upstream) : options.upstream,
      ),
      catalog: () => this.catalog(),
      aliases: options.aliases ?? {},
      keySecret: options.keySecret,
      maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
      defaultMaxTokens: options.defaultMaxTokens ?? 1024,
      metrics: this.metrics,
      log: this.#log,
      now: options.now ?? Date.now,
      track: (work) => this.#track(work),
    };
    const timeouts = { ...defaultRequestTimeouts, ...options.timeouts };
    this.#server = createServer(timeoutServerOptions(timeouts), (req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        // A path with a broken %-escape (decodeURIComponent) is the client's error, not the gateway's.
        const e =
          error instanceof URIError
            ? new GatewayError("invalid_value", "The request path has a malformed %-escape: encode it again.")
            : toGatewayError(error);
        if (e.code === "internal_error") this.#log.error("request failed", { path: req.url, error });
        sendError(res, e);
      });
    });
    answerClientErrors(this.#server);
    options.verification?.useMetrics(this.metrics);
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const gateway = new Gateway(options);
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      gateway.#server.once("error", reject);
      gateway.#server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = gateway.#server.address() as AddressInfo;
    gateway.#url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const ttl = options.reservationTtlMs ?? 15 * 60_000;
    gateway.#sweeper = setInterval(() => gateway.#sweep(ttl), Math.min(ttl, 60_000));
    gateway.#sweeper.unref();
    if (options.batch !== false) {
      gateway.batches = await BatchService.open({
        store: options.store,
        upstream: options.upstream,
        interactive: gateway.interactive,
        catalog: () => gateway.catalog(),
        aliases: gateway.#context.aliases,
        keySecret: options.keySecret,
        defaultMaxTokens: gateway.#context.defaultMaxTokens,
        log: gateway.#log,
        metrics: gateway.metrics.registry,
        now: gateway.#context.now,
        ...(options.batch ? { options: options.batch } : {}),
      });
    }
    gateway.#log.info("gateway listening", { url: gateway.#url, store: options.store.kind });
    return gateway;
  }

  /** Base URL, e.g. "http://127.0.0.1:41234"; OpenAI clients use `${url}/v1`. */
  get url(): string {
    return this.#url;
  }

  /**
   * The sellable models with their client prices (margin included), from the upstream, reused for
   * `modelsCacheMs`. When a refresh fails, the last list is kept; with no list yet, the error is thrown.
   */
  async catalog(): Promise<Catalog> {
    const now = Date.now();
    const cached = this.#catalog;
    if (cached && now - cached.at < (this.#options.modelsCacheMs ?? 5_000)) return cached.value;
    this.#loading ??= this.#loadCatalog().finally(() => {
      this.#loading = undefined;
    });
    try {
      return await this.#loading;
    } catch (error) {
      if (cached) {
        this.#log.warn("model list refresh failed, keeping the last one", { error });
        return cached.value;
      }
      throw error;
    }
  }

  /** Resolves once every settlement and usage write started so far has finished. */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** Stops accepting requests, cuts open connections and waits for pending settlements. The store stays open. */
  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.batches?.stop();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    await this.idle();
  }

  async #loadCatalog(): Promise<Catalog> {
    const models = await this.#options.upstream.models();
    const pricing = this.#options.pricing ?? (() => freePrice);
    const margin = this.#options.marginBps ?? 0;
    const catalog = new Map<string, CatalogEntry>();
    for (const model of models) {
      const price = pricing(model.id);
      // A model the gateway cannot price is not for sale.
      if (price) catalog.set(model.id, { model, price: withMargin(price, margin) });
    }
    this.#catalog = { at: Date.now(), value: catalog };
    return catalog;
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#log.error("background write failed", { error }));
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  #sweep(ttl: number): void {
    const now = this.#context.now();
    this.#track(
      this.store.releaseStale(now - ttl).then((released) => {
        if (released) this.#log.warn("released stale reservations", { released });
      }),
    );
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://gateway");
    } catch {
      throw new GatewayError(
        "invalid_value",
        "The request URL is malformed: send a path such as /v1/models.",
      );
    }
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const cors = this.#options.cors ?? "*";
    if (cors && (path === "/v1" || path.startsWith("/v1/")) && applyCors(req, res, cors)) return;
    const spec = endpoints.get(path);
    if (spec) {
      if (method !== "POST") throw new GatewayError("method_not_allowed", `Use POST for ${path}.`);
      await handleInference(req, res, spec, this.#context);
      return;
    }
    if (path === "/v1/models" || path.startsWith("/v1/models/")) {
      if (method !== "GET") throw new GatewayError("method_not_allowed", `Use GET for ${path}.`);
      const key = await authenticate(req, this.store, this.#options.keySecret);
      handleModels(req, res, path, key, await this.catalog(), this.#context.aliases, {});
      return;
    }
    if (
      path === "/v1/files" ||
      path.startsWith("/v1/files/") ||
      path === "/v1/batches" ||
      path.startsWith("/v1/batches/")
    ) {
      if (!this.batches) throw batchesUnavailable();
      await this.batches.handle(req, res, url, path);
      return;
    }
    if ((verificationPaths as readonly string[]).includes(path)) {
      await handleVerification(req, res, url, {
        verification: this.#options.verification,
        adminToken: this.#options.adminToken,
      });
      return;
    }
    if (path.startsWith("/admin/")) {
      await handleAdmin(req, res, url, {
        store: this.store,
        adminToken: this.#options.adminToken,
        keySecret: this.#options.keySecret,
        now: this.#context.now,
      });
      return;
    }
    if (method === "GET" && path === "/metrics") {
      const body = this.metrics.registry.render();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(body);
      return;
    }
    if (method === "GET" && path === "/health") {
      await this.#health(res);
      return;
    }
    throw new GatewayError(
      "unknown_url",
      `Unknown path ${path}: the API is /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models.`,
    );
  }

  async #health(res: ServerResponse): Promise<void> {
    let store = "ok";
    try {
      await this.store.ping();
    } catch (error) {
      store = `failing: ${(error as Error).message}`;
    }
    const cached = this.#catalog?.value;
    sendJson(res, store === "ok" ? 200 : 503, {
      status: store === "ok" ? "ok" : "degraded",
      store: { kind: this.store.kind, status: store },
      models: cached
        ? [...cached.values()].filter((e) => e.model.suppliers > 0).map((e) => e.model.id)
        : null,
      inFlight: this.metrics.inFlight.value,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      ...this.#options.health?.(),
    });
  }
}
