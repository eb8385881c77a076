// Runs every batch to its end, across restarts: claims lines, sends each where the scheduler finds room, records
// each result with its charge in one transaction, and finishes batches (completed, cancelled, expired).
import { randomBytes } from "node:crypto";
import type { ApiKeyRecord } from "../keys/types.js";
import type { Logger } from "../log.js";
import type { MetricsRegistry } from "../metrics.js";
import type { Aliases, Catalog } from "../routing.js";
import type { Upstream } from "../upstream/types.js";
import type { UsageRecord } from "../usage.js";
import { type Execution, executeLine } from "./execute.js";
import { lineRequestId } from "./jsonl.js";
import { batchRoute } from "./models.js";
import type { BatchScheduler } from "./scheduler.js";
import type { BatchStore } from "./store.js";
import type { BatchRecord, FileRecord, LineRecord } from "./types.js";

/** Options of {@link BatchRunner}. */
export type BatchRunnerOptions = {
  store: BatchStore;
  /** The upstream without interactive accounting (batch lines are not interactive load). */
  upstream: Upstream;
  catalog: () => Promise<Catalog>;
  aliases: Aliases;
  scheduler: BatchScheduler;
  key: (id: string) => Promise<ApiKeyRecord | undefined>;
  log: Logger;
  metrics?: MetricsRegistry;
  /** How often to look for work when nothing woke the runner, ms. Default 250. */
  pollMs?: number;
  /**
   * Claims older than this are another gateway's that stopped; they are run again. Default 10 min. A SQLite store
   * serves one gateway, so its claims are all requeued at start.
   */
  leaseMs?: number;
  /** Tries of a line whose upstream keeps breaking (5xx, garbage) before it fails. Default 5. */
  maxAttempts?: number;
  now?: () => number;
};

type Flight = { line: LineRecord; abort: AbortController; done: Promise<void> };

/**
 * The batch worker of a gateway. Started with the gateway, it first requeues the claims a previous run left
 * without a result (a crash or restart mid-batch), so every line runs until one result is recorded, and none is
 * recorded twice (`completeLine` checks the claim). Lines are claimed only when the scheduler has room for them.
 *
 * @example
 * const runner = new BatchRunner({ store, upstream, catalog, aliases: {}, scheduler, key: (id) => keys.key(id), log });
 * await runner.start();
 * runner.wake(); // a batch was created
 * await runner.stop();
 */
export class BatchRunner {
  readonly #o: BatchRunnerOptions;
  readonly #flights = new Map<string, Flight>();
  readonly #now: () => number;
  readonly #lines;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #requeuedAt = 0;
  #lastError: string | undefined;

  constructor(options: BatchRunnerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lines = options.metrics?.counter(
      "decai_gateway_batch_lines_total",
      "Batch lines finished, by outcome.",
      ["model", "outcome"],
    );
    options.metrics?.gauge(
      "decai_gateway_batch_lines_in_flight",
      "Batch lines being served.",
      [],
      () => this.#flights.size,
    );
  }

  /** Requeues stale claims, then starts working. */
  async start(): Promise<void> {
    const { store } = this.#o;
    // One gateway per SQLite file: every claim there is a previous run's. PostgreSQL is shared: only expired leases.
    const before = store.kind === "sqlite" ? this.#now() + 1 : this.#now() - (this.#o.leaseMs ?? 600_000);
    const requeued = await store.requeueClaims(before);
    this.#requeuedAt = this.#now();
    if (requeued) this.#o.log.info("batch lines claimed before a restart are run again", { requeued });
    this.#stopped = false;
    this.wake();
  }

  /** Looks for work now (a batch was created or cancelled). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#ticking = this.#tick()
      .then(
        () => {
          this.#lastError = undefined;
        },
        (error: unknown) => {
          // Once per distinct failure (an unreachable chain fails every tick until it is back).
          const message = (error as Error)?.message ?? String(error);
          if (message !== this.#lastError) this.#o.log.warn("batch runner tick failed", { error });
          this.#lastError = message;
        },
      )
      .finally(() => {
        this.#ticking = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          setImmediate(() => this.wake());
        } else {
          this.#timer = setTimeout(() => this.wake(), this.#o.pollMs ?? 250);
        }
      });
  }

  /** Lines in flight now. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * Stops claiming, aborts the lines in flight and gives their claims back (they run again later, here or on
   * another gateway); results already recorded stay.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    const flights = [...this.#flights.values()];
    for (const f of flights) f.abort.abort(new Error("the gateway is stopping"));
    await Promise.allSettled(flights.map((f) => f.done));
  }

  async #tick(): Promise<void> {
    const { store } = this.#o;
    const lease = this.#o.leaseMs ?? 600_000;
    if (store.kind === "postgres" && this.#now() - this.#requeuedAt >= Math.min(lease / 4, 60_000)) {
      // Another gateway sharing the database may have died holding claims.
      this.#requeuedAt = this.#now();
      const requeued = await store.requeueClaims(this.#now() - lease);
      if (requeued)
        this.#o.log.warn("batch lines of a gateway that stopped answering are run again", { requeued });
    }
    const batches = await store.activeBatches();
    if (batches.length === 0) return;
    const catalog = await this.#o.catalog();
    for (const batch of batches) {
      if (this.#stopped) return;
      await this.#advance(batch, catalog);
    }
  }

  async #advance(batch: BatchRecord, catalog: Catalog): Promise<void> {
    const { store } = this.#o;
    const now = this.#now();
    const local = [...this.#flights.values()].filter((f) => f.line.batchId === batch.id).length;
    const key = await this.#o.key(batch.keyId);
    if (batch.status === "in_progress" && (!key || key.revokedAt !== null)) {
      this.#o.log.warn("batch cancelled: its API key was revoked", { batch: batch.id });
      await store.cancel(batch.id, now);
      return;
    }
    const ending =
      batch.status === "cancelling" ? "cancelled" : now >= batch.expiresAt ? "expired" : undefined;
    if (ending || batch.completed + batch.failed >= batch.total) {
      if (local > 0 || (await store.claimedCount(batch.id)) > 0) return; // let the lines in flight finish
      const finished = await store.finish(batch.id, ending ?? "completed", outputFiles(batch, now), now);
      this.#o.log.info("batch finished", {
        batch: batch.id,
        status: finished?.status,
        completed: finished?.completed,
        failed: finished?.failed,
      });
      return;
    }
    if (!key) return;
    let route: ReturnType<typeof batchRoute>;
    try {
      route = batchRoute({
        catalog,
        requested: batch.model ?? "",
        allowed: key.limits.models,
        aliases: this.#o.aliases,
      });
    } catch {
      route = { requested: "", candidates: [] };
    }
    // Claim only what the scheduler can place now; a line of another model that finds no room goes back.
    const room = route.candidates.reduce((n, e) => n + this.#o.scheduler.capacity(e), 0);
    const claimed = await store.claimLines(batch.id, room, claimToken(), now);
    for (const line of claimed) {
      let slot: ReturnType<BatchScheduler["acquire"]>;
      try {
        const lineRoute =
          line.model === batch.model
            ? route
            : batchRoute({
                catalog,
                requested: line.model,
                allowed: key.limits.models,
                aliases: this.#o.aliases,
              });
        slot = this.#o.scheduler.acquire(lineRoute.candidates);
      } catch {
        slot = undefined;
      }
      if (!slot) {
        await store.releaseLine(line, now + 1000);
        continue;
      }
      this.#dispatch(batch, line, slot, key);
    }
  }

  #dispatch(
    batch: BatchRecord,
    line: LineRecord,
    slot: NonNullable<ReturnType<BatchScheduler["acquire"]>>,
    key: ApiKeyRecord,
  ): void {
    const abort = new AbortController();
    const id = `${line.batchId}/${line.index}`;
    const bounded = key.limits.costBudget !== null || key.limits.tokenBudget !== null;
    const run = async () => {
      let execution: Execution;
      try {
        execution = await executeLine({
          line,
          entry: slot.entry,
          endpoint: batch.endpoint,
          upstream: this.#o.upstream,
          keyId: batch.keyId,
          bounded,
          signal: abort.signal,
          now: this.#now,
        });
      } catch (error) {
        slot.done({ kind: "other" });
        if (!abort.signal.aborted) this.#o.log.warn("batch line failed", { line: id, error });
        await this.#o.store.releaseLine(line, this.#now()).catch(() => {});
        return;
      }
      await this.#settle(batch, line, slot, execution);
    };
    const done = run()
      .catch((error) => this.#o.log.error("batch line bookkeeping failed", { line: id, error }))
      .finally(() => {
        this.#flights.delete(id);
        this.wake();
      });
    this.#flights.set(id, { line, abort, done });
  }

  async #settle(
    batch: BatchRecord,
    line: LineRecord,
    slot: NonNullable<ReturnType<BatchScheduler["acquire"]>>,
    run: Execution,
  ) {
    const { store } = this.#o;
    const now = this.#now();
    if (run.kind === "retry") {
      slot.done({ kind: run.reason === "busy" ? "busy" : "other" });
      if (run.reason === "failed" && line.attempts >= (this.#o.maxAttempts ?? 5)) {
        const error = {
          code: "upstream_error",
          message: `The upstream failed ${line.attempts} times: ${run.message}`,
        };
        const recorded = await store.completeLine(
          line,
          { status: "failed", response: null, error, cost: 0n, inputTokens: 0, outputTokens: 0 },
          failedUsage(batch, line, slot.entry.model.id, now),
          now,
        );
        if (recorded) this.#lines?.inc({ model: slot.entry.model.id, outcome: "failed" });
        return;
      }
      // Latency-tolerant: a busy network is waited out (until the batch expires), with a growing pause.
      const backoff = Math.min(30_000, 250 * 2 ** Math.min(line.attempts, 7));
      await store.releaseLine(line, now + backoff);
      return;
    }
    slot.done(run.outcome.status === "done" ? { kind: "ok", latencyMs: run.latencyMs } : { kind: "other" });
    const recorded = await store.completeLine(line, run.outcome, run.usage, now);
    if (recorded) this.#lines?.inc({ model: slot.entry.model.id, outcome: run.outcome.status });
    else
      this.#o.log.warn("batch line result dropped: its claim was taken over", {
        line: `${line.batchId}/${line.index}`,
      });
  }
}

const claimToken = () => `claim_${randomBytes(8).toString("hex")}`;

/** The output and error file records of a finished batch (their content is rendered from its lines). */
function outputFiles(batch: BatchRecord, now: number): { output: FileRecord; error: FileRecord } {
  const suffix = batch.id.slice("batch_".length);
  const file = (kind: "output" | "error"): FileRecord => ({
    id: `file-${suffix}-${kind}`,
    keyId: batch.keyId,
    purpose: "batch_output",
    filename: `${batch.id}_${kind}.jsonl`,
    bytes: 0,
    createdAt: now,
    batchId: batch.id,
    kind,
  });
  return { output: file("output"), error: file("error") };
}

function failedUsage(batch: BatchRecord, line: LineRecord, model: string, now: number): UsageRecord {
  return {
    id: lineRequestId(line.batchId, line.index),
    keyId: batch.keyId,
    endpoint: batch.endpoint,
    requestedModel: line.model,
    model,
    supplier: null,
    stream: false,
    inputTokens: 0,
    outputTokens: 0,
    ttftMs: null,
    latencyMs: 0,
    overheadMs: 0,
    cost: 0n,
    outcome: "upstream_error",
    status: 502,
    createdAt: now,
  };
}
