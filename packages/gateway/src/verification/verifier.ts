// The verification layer of a gateway: decides which answers to check (sampling, warm-up, budget), runs the checks
// in the background, folds verdicts into reputations that routing reads, and keeps evidence of every failure.
import { fromServiceId } from "@decai/core";
import type { Evidence as ReceiptEvidence } from "@decai/sdk";
import type { Hex } from "viem";
import { type Logger, silentLogger } from "../log.js";
import type { Upstream } from "../upstream/types.js";
import { artifactVerdicts } from "./artifactVerdicts.js";
import { captureExchanges } from "./capture.js";
import {
  resolveVerificationConfig,
  type VerificationConfig,
  type VerificationConfigInput,
} from "./config.js";
import { CostLedger } from "./costLedger.js";
import { receiptResult } from "./evidence.js";
import { prefillCheck } from "./prefill.js";
import { reexecute } from "./reexecution.js";
import type { Reference } from "./reference.js";
import { confirmReplay, ReplayDetector } from "./replay.js";
import { type SupplierReport, supplierReports, type VerificationStats } from "./report.js";
import { Reputation } from "./reputation.js";
import { CheckScheduler } from "./scheduler.js";
import { type EvidenceQuery, MemoryVerificationStore, type VerificationStore } from "./store.js";
import { TrafficModel } from "./traffic.js";
import type { ChallengeTransport } from "./transport.js";
import type { CheckKind, CheckResult, EvidenceRecord, Exchange, ReputationState } from "./types.js";
import { auditUsage } from "./usageAudit.js";
import { Verdicts, type VerificationEvents, type VerificationMetrics } from "./verdicts.js";
import { watcherRound } from "./watchers.js";

/** Options of {@link Verifier.create}. */
export type VerifierOptions = {
  config?: VerificationConfigInput;
  /** The trusted reference model per service name (usage audits, prefill re-checks, expected answers). */
  references?: Record<string, Reference> | ((service: string) => Reference | undefined);
  /**
   * Sends watcher challenges and re-executions; without one those checks are off. A function is asked at each
   * use (for a client built after the verifier, e.g. inside a test world).
   */
  transport?: ChallengeTransport | (() => ChallengeTransport | undefined);
  /** Default: in memory. */
  store?: VerificationStore;
  /** Uniform [0, 1) for sampling and challenges. Default Math.random. */
  random?: () => number;
  /** Unix ms. Default Date.now. */
  now?: () => number;
  /** Pauses between watcher challenges. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The weights digest a service committed to on-chain (artifact commitment). Default: the `weightsDigest` the
   * wrapped upstream lists for it (the network's catalog reads it from the ServiceRegistry).
   */
  serviceDigest?: (service: string) => string | undefined | Promise<string | undefined>;
  log?: Logger;
};

/** How often the suppliers' declarations of a service are read again (they change at session boundaries). */
const artifactIntervalMs = 60_000;

/** Waits `ms`, or less if `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

const usageTokens = (x: Exchange) => (x.usage ? x.usage.inputTokens + x.usage.outputTokens : 0);

/**
 * Verification for a gateway. Give it to `Gateway.start({ verification })`: every answer the gateway serves is
 * observed (never delayed), checked in the background, and each supplier's reputation feeds routing through
 * `weightFor` (the SDK client's `weight` option). Deterministic under test: inject `random`, `now`, `sleep`.
 *
 * @example
 * const verifier = await Verifier.create({ references: { "tiny-llama": reference }, transport: decaiTransport(client),
 *   store: await openVerificationStore(store), config: { prefill: { rate: 0.1 } } });
 * verifier.on("state", (t) => console.log(`${t.supplier} ${t.from} → ${t.to}`));
 * const gateway = await Gateway.start({ store, upstream, verification: verifier });
 */
export class Verifier {
  readonly config: VerificationConfig;
  readonly reputation: Reputation;
  readonly store: VerificationStore;
  readonly traffic: TrafficModel;
  readonly #options: VerifierOptions;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #ledger: CostLedger;
  readonly #verdicts: Verdicts;
  readonly #work: CheckScheduler;
  readonly #replay: ReplayDetector;
  readonly #seen = new Map<string, number>();
  readonly #supplierCount = new Map<string, number>();
  /** Per service: when its declarations are next read. Per supplier and service: the statements last judged. */
  readonly #artifactDue = new Map<string, number>();
  readonly #declared = new Map<string, string>();
  #upstream: Upstream | undefined;
  readonly #closing = new AbortController();

  private constructor(options: VerifierOptions) {
    this.#options = options;
    this.config = resolveVerificationConfig(options.config);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    const log = options.log ?? silentLogger;
    this.store = options.store ?? new MemoryVerificationStore();
    this.reputation = new Reputation(this.config.reputation, this.#now);
    this.traffic = new TrafficModel({ window: this.config.watchers.window });
    this.#ledger = new CostLedger({
      maxFraction: this.config.maxCostFraction,
      burstTokens: this.config.burstTokens,
    });
    this.#verdicts = new Verdicts({
      reputation: this.reputation,
      store: this.store,
      ledger: this.#ledger,
      log,
    });
    this.#replay = new ReplayDetector(this.config.replay);
    this.#work = new CheckScheduler({
      ledger: this.#ledger,
      queue: this.config.queue,
      skip: (check) => this.#verdicts.skip(check),
      log,
    });
  }

  /** A verifier with the reputations its store kept (exclusions survive a restart). */
  static async create(options: VerifierOptions = {}): Promise<Verifier> {
    const verifier = new Verifier(options);
    verifier.reputation.restore(await verifier.store.reputations());
    return verifier;
  }

  /** Reports into the gateway's metrics (`Gateway.start` calls this). */
  useMetrics(metrics: VerificationMetrics): void {
    this.#verdicts.useMetrics(metrics);
  }

  /** Listens to verdicts (`check`), state changes (`state`) and stored evidence (`evidence`); returns an unsubscribe. */
  on<E extends keyof VerificationEvents>(event: E, listener: (e: VerificationEvents[E]) => void): () => void {
    return this.#verdicts.on(event, listener);
  }

  /** `upstream`, reporting every answer it serves to `observe`. */
  wrap(upstream: Upstream): Upstream {
    this.#upstream = upstream;
    return captureExchanges(upstream, (exchange) => this.observe(exchange), this.#now);
  }

  /** The routing weight of a supplier for a service: 1 good, `probationWeight` on probation, 0 excluded. */
  weight(supplier: string, service: string): number {
    return this.reputation.weight(supplier, service);
  }

  /** `weight` keyed by the on-chain service id: pass it as the SDK client's `weight` option. */
  weightFor = (supplier: string, serviceId: Hex): number => {
    try {
      return this.weight(supplier, fromServiceId(serviceId));
    } catch {
      return 1; // not a readable service name: never verified
    }
  };

  state(supplier: string, service: string): ReputationState {
    return this.reputation.state(supplier, service);
  }

  /**
   * Takes one complete exchange: user answers grow the budget, shape watcher challenges and are sampled for the
   * costly checks; every answer gets the free ones (usage audit, replay). Returns at once; the work is queued.
   */
  observe(exchange: Exchange): void {
    if (!this.config.enabled || this.#closing.signal.aborted) return;
    if (!this.#work.free(() => this.#free(exchange))) this.#verdicts.skip("usage");
    if (exchange.origin !== "user") return;
    const due = this.#artifactDue.get(exchange.service) ?? 0;
    if (this.#now() >= due) {
      this.#artifactDue.set(exchange.service, this.#now() + artifactIntervalMs);
      this.#work.free(async () => void (await this.checkArtifacts(exchange.service)));
    }
    const tokens = usageTokens(exchange);
    this.#verdicts.stats.served.exchanges++;
    this.#verdicts.stats.served.tokens += tokens;
    this.#ledger.served(tokens);
    this.traffic.record(exchange.service, exchange.endpoint, exchange.request, exchange.at);
    const key = `${exchange.supplier}|${exchange.service}`;
    const seen = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, seen);
    // Always three draws per answer, so a seeded run makes the same choices whatever is configured.
    const [p, r, w] = [this.#random(), this.#random(), this.#random()];
    const c = this.config;
    const state = this.state(exchange.supplier, exchange.service);
    const prefillRate =
      seen <= c.prefill.warmup ? 1 : state === "good" ? c.prefill.rate : c.prefill.probationRate;
    const reference = this.#reference(exchange.service);
    if (reference && p < prefillRate) {
      this.#work.budgeted("prefill", tokens, async () => {
        const result = await prefillCheck(exchange, reference, c.prefill, this.#now);
        if (result) await this.#verdicts.conclude(result);
        return result !== undefined;
      });
    }
    const transport = this.#transport();
    if (transport && r < c.reexecution.rate) {
      // One more request, then two prefills or a reference answer to settle it.
      this.#work.budgeted(
        "reexecution",
        tokens * 3,
        async () => (await this.#reexecute(exchange)).length > 0,
      );
    }
    if (transport && w < c.watchers.rate) {
      const estimate = tokens * ((this.#supplierCount.get(exchange.service) ?? 3) + 1);
      this.#work.round(exchange.service, estimate, async () => {
        return (await this.runWatchers(exchange.service)).results.length > 0;
      });
    }
  }

  /** Folds in an invalid receipt the SDK caught: pass it as the SDK client's `onEvidence` option. */
  receipt = (evidence: ReceiptEvidence): void => {
    let service: string;
    try {
      service = fromServiceId(evidence.serviceId);
    } catch {
      service = evidence.serviceId;
    }
    this.report(receiptResult(evidence, service));
  };

  /** Folds in a verdict of a check that runs elsewhere (e.g. the artifact commitment check, kind `artifact`). */
  report(result: CheckResult): void {
    this.#work.free(() => this.#verdicts.conclude(result));
  }

  /** Runs the given checks on an exchange now, ignoring sampling and budget (tests, investigations, benches). */
  async verify(exchange: Exchange, checks: readonly CheckKind[]): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const reference = this.#reference(exchange.service);
    if (checks.includes("usage") && reference) {
      const r = auditUsage(exchange, reference, this.config.usage, this.#now());
      if (r) out.push(r);
    }
    if (checks.includes("prefill") && reference) {
      const r = await prefillCheck(exchange, reference, this.config.prefill, this.#now);
      if (r) out.push(r);
    }
    for (const r of out) await this.#verdicts.conclude(r);
    if (checks.includes("reexecution")) out.push(...(await this.#reexecute(exchange)));
    return out;
  }

  /** One watcher round for the service now (ignoring the budget); its verdicts are concluded and returned. */
  async runWatchers(service: string): Promise<{ results: CheckResult[]; cost: number }> {
    const transport = this.#transport();
    if (!transport) return { results: [], cost: 0 };
    const round = await watcherRound(service, {
      transport,
      reference: this.#reference(service),
      traffic: this.traffic,
      config: this.config.watchers,
      random: this.#random,
      sleep: this.#options.sleep ?? ((ms) => pause(ms, this.#closing.signal)),
      now: this.#now,
      signal: this.#closing.signal,
      onExchange: (x) => this.observe(x),
    });
    if (round.suppliers) this.#supplierCount.set(service, round.suppliers);
    for (const r of round.results) await this.#verdicts.conclude(r);
    // Each verdict booked its supplier's request; the rest is the reference's answer (or an inconclusive round).
    this.#verdicts.book("watcher", round.cost - round.results.reduce((sum, r) => sum + r.cost, 0));
    return { results: round.results, cost: round.cost };
  }

  /**
   * Artifact commitment now: reads each current supplier's on-chain declaration (through the transport) and the
   * service's committed digest, and concludes an `artifact` verdict for every statement not judged before (a
   * declaration that names another file fails at once). Runs by itself on a service's first answer and then at
   * most once a minute; free (chain reads only).
   */
  async checkArtifacts(service: string): Promise<CheckResult[]> {
    const transport = this.#transport();
    if (!transport?.declarations) return [];
    const read = await Promise.all([this.#serviceDigest(service), transport.declarations(service)]).catch(
      (error: unknown) => void this.#options.log?.warn("artifact check failed", { service, error }),
    );
    if (!read) return [];
    const [serviceDigest, declared] = read;
    const fresh = declared.filter((d) => {
      const key = `${d.supplier.toLowerCase()}|${service}`;
      const statement = `${d.weightsDigest ?? ""}|${serviceDigest ?? ""}`.toLowerCase();
      if (this.#declared.get(key) === statement) return false;
      this.#declared.set(key, statement);
      return true;
    });
    const results = artifactVerdicts(service, serviceDigest, fresh, this.#now());
    for (const r of results) await this.#verdicts.conclude(r);
    return results;
  }

  /** Resolves once every queued check has finished. */
  idle(): Promise<void> {
    return this.#work.idle();
  }

  /** Takes no more work, ends watcher rounds at their next challenge, and waits for what is running. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#work.idle();
  }

  stats(): VerificationStats {
    const { served, checks } = this.#verdicts.stats;
    return {
      served: { ...served },
      checks: structuredClone(checks),
      cost: this.#ledger.stats(),
      queue: this.#work.stats(),
    };
  }

  /** Every supplier's standing per service, with check and evidence counts: the public report. */
  async suppliers(): Promise<SupplierReport[]> {
    return supplierReports(this.reputation.records(), await this.store.evidenceCounts());
  }

  /** Stored evidence, newest first. */
  evidence(query: EvidenceQuery = {}): Promise<EvidenceRecord[]> {
    return this.store.evidence(query);
  }

  async #serviceDigest(service: string): Promise<string | undefined> {
    if (this.#options.serviceDigest) return this.#options.serviceDigest(service);
    const models = (await this.#upstream?.models()) ?? [];
    return models.find((m) => m.id === service)?.weightsDigest;
  }

  #transport(): ChallengeTransport | undefined {
    const t = this.#options.transport;
    return typeof t === "function" ? t() : t;
  }

  #reference(service: string): Reference | undefined {
    const refs = this.#options.references;
    return typeof refs === "function" ? refs(service) : refs?.[service];
  }

  async #free(exchange: Exchange): Promise<void> {
    const reference = this.#reference(exchange.service);
    if (this.config.usage.enabled && reference) {
      const result = auditUsage(exchange, reference, this.config.usage, this.#now());
      if (result) await this.#verdicts.conclude(result);
    }
    if (this.config.replay.enabled) {
      const result = this.#replay.check(exchange, this.#now());
      if (result?.details.confirm) this.#confirmReplay(result, reference);
      else if (result) await this.#verdicts.conclude(result);
    }
  }

  /** Settles a greedy repeat with the reference (see `confirmReplay`), within the budget. */
  #confirmReplay(suspect: CheckResult, reference: Reference | undefined): void {
    const exchange = suspect.exchange as Exchange;
    if (!reference) {
      this.#verdicts.skip("replay");
      return;
    }
    this.#work.budgeted("replay", usageTokens(exchange), async () => {
      await this.#verdicts.conclude(
        await confirmReplay(suspect, reference, this.config.watchers.minAgreement),
      );
      return true;
    });
  }

  async #reexecute(exchange: Exchange): Promise<CheckResult[]> {
    const transport = this.#transport();
    if (!transport) return [];
    const { results, cost } = await reexecute(exchange, {
      transport,
      reference: this.#reference(exchange.service),
      config: this.config.reexecution,
      prefill: this.config.prefill,
      now: this.#now,
      onExchange: (x) => this.observe(x),
    });
    for (const r of results) await this.#verdicts.conclude(r);
    this.#verdicts.book("reexecution", cost - results.reduce((sum, r) => sum + r.cost, 0));
    return results;
  }
}
