import type { Agent } from "node:http";
import { type PrivateKey, type RelayDomain, toServiceId } from "@decai/core";
import type { Address, Hex, PublicClient } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import {
  AllSuppliersFailedError,
  DecaiError,
  NoSessionError,
  RelayError,
  RelayStreamError,
} from "../errors.js";
import type { SortBy } from "../qos/supplierScorer.js";
import { SupplierScorer } from "../qos/supplierScorer.js";
import type { Evidence } from "../relay/evidence.js";
import type { UsagePolicy } from "../relay/receipt.js";
import { requestInfo } from "../relay/usage.js";
import { createSessionChain, type SessionContracts } from "../session/sessionChain.js";
import { SessionDirectory, type SessionSupplier } from "../session/sessionDirectory.js";
import { attemptRelay, type ClientRelayResult } from "./attempt.js";
import { createResources, type Resources } from "./resources.js";
import { SpentShares } from "./spentShares.js";

export type { ClientRelayResult } from "./attempt.js";

/** Options of {@link DecaiClient}. */
export type DecaiClientOptions = {
  /** Signs every relay: the application's own key, or a gateway's key for applications that delegate to it. */
  signerKey: PrivateKey;
  /** The application relays are for, unless a call names one. Default: the signer's address (sovereign). */
  application?: Address;
  /** `{ chainId, verifyingContract: deployment.contracts.relayMining }`. */
  domain: RelayDomain;
  sessions: SessionDirectory;
  /** Shared QoS state; pass the same scorer to every client of a gateway. Default: a fresh one. */
  scorer?: SupplierScorer;
  /** Default "latency". */
  sort?: SortBy;
  /** Suppliers tried per request, hedges included. Default 3. */
  maxAttempts?: number;
  /** Non-streamed requests: ask a second supplier after `delayMs` without an answer; the first answer wins. */
  hedge?: { delayMs: number };
  /** Longest wait for a supplier's response headers, ms. Default 60_000. */
  timeoutMs?: number;
  /**
   * How long a request waits out a session rollover before failing, ms: a new session whose seed is not recorded
   * yet, or RelayMiners that have not seen the session the chain is in (all of them lag alike, so trying another
   * supplier does not help; a moment later they have caught up). Default 5_000; 0: fail at once.
   */
  rolloverWaitMs?: number;
  /** max_tokens set on chat and text completions that do not set one (it bounds the signed cost). Default 1024. */
  defaultMaxTokens?: number;
  usagePolicy?: UsagePolicy;
  /** Called with every invalid receipt (also kept in `evidence`). */
  onEvidence?: (evidence: Evidence) => void;
  /** Called for every supplier tried: the first pick, a retry after a failure, or a hedge. For metrics. */
  onAttempt?: (event: { kind: "first" | "retry" | "hedge"; supplier: Address; serviceId: Hex }) => void;
  /**
   * A routing weight per supplier and service, from outside QoS (e.g. a gateway's verification reputation): 0
   * sends it no traffic, a value in (0, 1) sends it less, 1 (default) changes nothing. Ignored for a relay that
   * names its `supplier`.
   */
  weight?: (supplier: Address, serviceId: Hex) => number;
  /** Called for every failed attempt, with the failure kind (`unreachable`, `status`, `invalid_receipt`, ...). */
  onFailure?: (event: { kind: string; supplier: Address; serviceId: Hex; retryable: boolean }) => void;
  agent?: Agent;
};

/** One relay through the client: where it goes and what it carries. */
export type RelayParameters = {
  /** The request body: bytes and strings go out unchanged, objects as JSON. */
  body: string | Uint8Array | Record<string, unknown>;
  /** Default "/v1/chat/completions". */
  path?: string;
  /** The service: a name ("tiny-llama") or a bytes32 id. Default: the body's `model`. */
  service?: string | Hex;
  /** Default: the client's application. */
  application?: Address;
  /** Signed output bound. Default: the body's max_tokens, else 0. */
  maxTokens?: number;
  sort?: SortBy;
  /** Overrides the client's hedging for this request (`false`: none). */
  hedge?: { delayMs: number } | false;
  /** Only this supplier of the session (e.g. a verification challenge): no other is tried, weights are ignored. */
  supplier?: Address;
  /** Suppliers not to use for this request (e.g. the one whose answer is being re-executed). */
  exclude?: readonly Address[];
  signal?: AbortSignal;
};

type Attempt = { candidate: SessionSupplier; controller: AbortController; settled: boolean };
/** How long a request may still wait out a rollover, and its next pause. */
type RolloverWait = { until: number; delayMs: number };

/** Refusals that mean the supplier's view of the session and ours differ: a rollover in progress. */
const rolloverCodes = new Set([
  "session_not_ready",
  "session_not_started",
  "session_expired",
  "supplier_not_in_session",
]);
type Outcome = { attempt: Attempt } & (
  | { ok: true; result: ClientRelayResult }
  | { ok: false; error: unknown }
);

const evidenceKept = 1000;

/**
 * An application's (or a gateway's) client of the network: finds the session's suppliers, picks one by QoS,
 * signs the relay, checks the receipt, and retries on another supplier on connection errors, timeouts, 5xx,
 * 429 and invalid receipts, as long as nothing was handed to the caller yet (for streams: until the first
 * event). Across a session rollover (new seed not recorded yet, RelayMiners behind the chain) it falls back on
 * the previous session while that is in its grace period, else waits briefly and asks again, so callers see no
 * error. Non-streamed requests may be hedged. Every outcome feeds the scorer; every invalid receipt is kept as
 * evidence. Streams are committed once their first event arrives: a later cut throws `RelayStreamError`, which
 * a gateway turns into a clean SSE error event (`streamErrorEvent`).
 *
 * @example
 * const client = DecaiClient.fromDeployment({ client: publicClient, deployment, signerKey: appKey });
 * const completion = await client.chat.completions.create({
 *   model: "tiny-llama", messages: [{ role: "user", content: "Hello" }], max_tokens: 32,
 * });
 * console.log(completion.choices[0]?.message.content, completion.decai.receipt.valid);
 */
export class DecaiClient {
  readonly application: Address;
  readonly signer: Address;
  readonly scorer: SupplierScorer;
  readonly sessions: SessionDirectory;
  /** The most recent invalid receipts (up to 1000), oldest first. */
  readonly evidence: Evidence[] = [];
  readonly chat: Resources["chat"];
  readonly completions: Resources["completions"];
  readonly embeddings: Resources["embeddings"];
  readonly #options: DecaiClientOptions;
  readonly #spent = new SpentShares();

  constructor(options: DecaiClientOptions) {
    this.#options = options;
    this.signer = privateKeyToAddress(
      typeof options.signerKey === "string"
        ? options.signerKey
        : `0x${Buffer.from(options.signerKey).toString("hex")}`,
    );
    this.application = options.application ?? this.signer;
    this.scorer = options.scorer ?? new SupplierScorer();
    this.sessions = options.sessions;
    const resources = createResources(this, options.defaultMaxTokens ?? 1024);
    this.chat = resources.chat;
    this.completions = resources.completions;
    this.embeddings = resources.embeddings;
  }

  /**
   * A client reading sessions straight from the contracts of a deployment.
   *
   * @example
   * const client = DecaiClient.fromDeployment({ client: publicClient, deployment: loadDeployment(path), signerKey });
   */
  static fromDeployment(
    args: Omit<DecaiClientOptions, "domain" | "sessions"> & {
      client: PublicClient;
      deployment: { chainId: number; contracts: SessionContracts };
      headTtlMs?: number;
    },
  ): DecaiClient {
    const { client, deployment, headTtlMs, ...options } = args;
    const sessions = new SessionDirectory({
      chain: createSessionChain(client, deployment.contracts),
      ...(headTtlMs !== undefined ? { headTtlMs } : {}),
    });
    const domain = { chainId: deployment.chainId, verifyingContract: deployment.contracts.relayMining };
    return new DecaiClient({ ...options, sessions, domain });
  }

  /**
   * Sends one request through the network, with supplier choice, retries, hedging and receipt checks. Resolves
   * with a complete answer whose receipt verified, or a stream whose first event arrived. Throws
   * `AllSuppliersFailedError` when no supplier could serve it, a non-retryable `RelayError` when the request
   * itself was refused (its `status` and `body` fit an OpenAI client), `NoSessionError` when no session is
   * servable.
   *
   * @example
   * const answer = await client.relay({ body: { model: "tiny-llama", messages, max_tokens: 16, stream: true } });
   * if (answer.stream) for await (const event of answer) res.write(event.bytes);
   * else res.end(answer.body);
   */
  async relay(params: RelayParameters): Promise<ClientRelayResult> {
    const body =
      typeof params.body === "string" || params.body instanceof Uint8Array
        ? Buffer.from(params.body)
        : Buffer.from(JSON.stringify(params.body));
    const info = requestInfo(body);
    const serviceId = this.#serviceId(params, body);
    const application = params.application ?? this.application;
    const rollover: RolloverWait = {
      until: Date.now() + (this.#options.rolloverWaitMs ?? 5_000),
      delayMs: 100,
    };
    let candidates = await this.#candidates(application, serviceId, rollover, params.signal);
    let lagging = false;
    const hedge = params.hedge === undefined ? this.#options.hedge : params.hedge || undefined;
    const maxAttempts = this.#options.maxAttempts ?? 3;
    const excluded = new Set<string>((params.exclude ?? []).map((a) => a.toLowerCase()));
    const errors: RelayError[] = [];
    const inflight = new Set<Attempt>();
    let launched = 0;
    let hedged = false;
    let wake: () => void = () => {};
    const outcomes: (Outcome | "hedge")[] = [];
    const notify = (o: Outcome | "hedge") => {
      outcomes.push(o);
      wake();
    };

    const launch = (kind: "first" | "retry" | "hedge"): boolean => {
      if (launched >= maxAttempts) return false;
      const pinned = params.supplier?.toLowerCase();
      const eligible = pinned ? candidates.filter((c) => c.supplier.toLowerCase() === pinned) : candidates;
      const candidate = this.#pick(
        eligible,
        excluded,
        application,
        serviceId,
        params.sort,
        info.stream,
        !pinned,
      );
      if (!candidate) return false;
      launched++;
      this.#options.onAttempt?.({ kind, supplier: candidate.supplier, serviceId });
      excluded.add(candidate.supplier.toLowerCase());
      const attempt: Attempt = { candidate, controller: new AbortController(), settled: false };
      inflight.add(attempt);
      const signal = params.signal
        ? AbortSignal.any([params.signal, attempt.controller.signal])
        : attempt.controller.signal;
      const o = this.#options;
      attemptRelay(
        {
          supplier: candidate.supplier,
          endpoint: candidate.endpoint,
          path: params.path ?? "/v1/chat/completions",
          body,
          signerKey: o.signerKey,
          application,
          serviceId,
          session: candidate.session,
          ...(params.maxTokens !== undefined ? { maxTokens: params.maxTokens } : {}),
          domain: o.domain,
          signal,
          ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
          ...(o.usagePolicy ? { usagePolicy: o.usagePolicy } : {}),
          ...(o.agent ? { agent: o.agent } : {}),
        },
        (evidence) => this.#record(evidence),
      ).then(
        (result) => notify({ attempt, ok: true, result }),
        (error) => notify({ attempt, ok: false, error }),
      );
      return true;
    };
    const cancelOthers = (winner: Attempt | undefined) => {
      for (const a of inflight) {
        if (a === winner || a.settled) continue;
        a.settled = true;
        a.controller.abort();
        this.scorer.cancel(a.candidate.supplier);
      }
      inflight.clear();
    };

    if (!launch("first")) throw new AllSuppliersFailedError([], "No eligible supplier in the session");
    let timer: NodeJS.Timeout | undefined;
    if (hedge && !info.stream) timer = setTimeout(() => notify("hedge"), hedge.delayMs);
    try {
      for (;;) {
        if (outcomes.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        const next = outcomes.shift() as Outcome | "hedge";
        if (next === "hedge") {
          if (!hedged && inflight.size > 0) hedged = launch("hedge");
          continue;
        }
        const { attempt } = next;
        if (attempt.settled) {
          // A cancelled loser, already accounted for; an answer it got anyway is dropped.
          if (next.ok && next.result.stream) next.result.cancel();
          continue;
        }
        attempt.settled = true;
        inflight.delete(attempt);
        if (next.ok) {
          cancelOthers(attempt);
          return this.#succeeded(attempt.candidate, next.result);
        }
        if (params.signal?.aborted) {
          cancelOthers(undefined);
          this.scorer.cancel(attempt.candidate.supplier);
          throw params.signal.reason ?? next.error;
        }
        const error = this.#failed(attempt.candidate, application, serviceId, next.error, excluded);
        this.#options.onFailure?.({
          kind: error.kind,
          supplier: attempt.candidate.supplier,
          serviceId,
          retryable: error.retryable,
        });
        errors.push(error);
        if (!error.retryable) {
          cancelOthers(undefined);
          throw error;
        }
        if (rolloverCodes.has(error.code ?? "")) {
          launched--; // refused before any work, for our view of the session: not one of the attempts
          lagging = true;
        }
        if (inflight.size === 0 && !launch("retry")) {
          const failed = () =>
            new AllSuppliersFailedError(errors, `All ${errors.length} supplier attempt(s) failed`);
          // Every candidate refused our session view: wait for the suppliers (or the chain) to catch up.
          if (!lagging || !(await this.#waitOutRollover(rollover, params.signal))) throw failed();
          candidates = await this.#candidates(application, serviceId, rollover, params.signal);
          for (const key of [...excluded]) if (key.includes("|")) excluded.delete(key); // session-scoped
          lagging = false;
          if (!launch("retry")) throw failed();
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The session's suppliers; a session whose seed is about to be recorded is waited for (`rolloverWaitMs`). */
  async #candidates(
    application: Address,
    serviceId: Hex,
    rollover: RolloverWait,
    signal: AbortSignal | undefined,
  ): Promise<SessionSupplier[]> {
    for (;;) {
      try {
        return await this.sessions.suppliers(application, serviceId);
      } catch (error) {
        const pending = error instanceof NoSessionError && error.pending;
        if (!pending || !(await this.#waitOutRollover(rollover, signal))) throw error;
      }
    }
  }

  /** Pauses before asking the chain again (100 ms, doubling up to 1 s); false when the wait is used up. */
  async #waitOutRollover(rollover: RolloverWait, signal: AbortSignal | undefined): Promise<boolean> {
    if (Date.now() + rollover.delayMs > rollover.until) return false;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
      };
      const abort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, rollover.delayMs);
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
    });
    rollover.delayMs = Math.min(rollover.delayMs * 2, 1_000);
    this.sessions.refresh();
    return true;
  }

  #serviceId(params: RelayParameters, body: Buffer): Hex {
    const service = params.service ?? modelOf(body);
    if (!service) {
      throw new DecaiError(
        'No service to send the request to: set the body\'s "model" to a service name, or pass `service`.',
      );
    }
    return service.startsWith("0x") ? (service as Hex) : toServiceId(service);
  }

  /** The best candidate of the newest session that still has one. */
  #pick(
    candidates: readonly SessionSupplier[],
    excluded: ReadonlySet<string>,
    application: Address,
    serviceId: Hex,
    sort: SortBy | undefined,
    stream: boolean,
    weighted = true,
  ): SessionSupplier | undefined {
    const sessions = [...new Set(candidates.map((c) => c.session))];
    for (const session of sessions) {
      if (excluded.has(`session|${session}`)) continue;
      const spent = this.#spent.of(application, serviceId, session);
      const tier = candidates.filter((c) => {
        const key = c.supplier.toLowerCase();
        return (
          c.session === session &&
          !excluded.has(key) &&
          !excluded.has(`${key}|${session}`) &&
          !spent?.has(key)
        );
      });
      const weight = weighted ? this.#options.weight : undefined;
      const chosen = this.scorer.pick(tier, {
        sort: sort ?? this.#options.sort ?? "latency",
        stream,
        ...(weight ? { weight: (c: { supplier: string }) => weight(c.supplier as Address, serviceId) } : {}),
      });
      if (chosen) return chosen;
    }
    return undefined;
  }

  /** Books the winning attempt: at once for a complete answer, when it ends for a stream. */
  #succeeded(candidate: SessionSupplier, result: ClientRelayResult): ClientRelayResult {
    if (!result.stream) {
      this.scorer.success(candidate.supplier, {
        latencyMs: result.timing.latencyMs ?? result.timing.headersMs,
        outputTokens: result.receipt.usage?.outputTokens ?? 0,
      });
      return result;
    }
    const stream = result;
    stream.receipt.then(
      (receipt) => {
        if (receipt.valid) {
          this.scorer.success(candidate.supplier, {
            latencyMs: stream.timing.latencyMs ?? stream.timing.headersMs,
            ...(stream.timing.ttftMs !== undefined ? { ttftMs: stream.timing.ttftMs } : {}),
            outputTokens: receipt.usage?.outputTokens ?? 0,
          });
        } else {
          this.#record(receipt.evidence);
          this.scorer.failure(candidate.supplier, "invalid_receipt");
        }
      },
      (error) => {
        if (error instanceof RelayStreamError && error.cancelled) this.scorer.cancel(candidate.supplier);
        else this.scorer.failure(candidate.supplier, "stream_broken");
      },
    );
    return stream;
  }

  #record(evidence: readonly Evidence[]): void {
    for (const e of evidence) {
      this.evidence.push(e);
      this.#options.onEvidence?.(e);
    }
    if (this.evidence.length > evidenceKept) this.evidence.splice(0, this.evidence.length - evidenceKept);
  }

  /** Books a failed attempt with the scorer and decides what the next attempt must avoid. */
  #failed(
    candidate: SessionSupplier,
    application: Address,
    serviceId: Hex,
    error: unknown,
    excluded: Set<string>,
  ): RelayError {
    const supplier = candidate.supplier;
    if (!(error instanceof RelayError)) {
      this.scorer.failure(supplier, "connection");
      return new RelayError("connection", `Relay to supplier ${supplier} failed: ${String(error)}`, {
        supplier,
        retryable: true,
        supplierFault: true,
        cause: error,
      });
    }
    if (error.kind === "invalid_receipt") this.scorer.failure(supplier, "invalid_receipt");
    else if (error.kind === "connection" || error.kind === "timeout")
      this.scorer.failure(supplier, error.kind);
    else if (error.supplierFault) this.scorer.failure(supplier, "server_error");
    else this.scorer.skip(supplier);

    const code = error.code ?? "";
    // A draining supplier says so at once: route around it until it says it may be back.
    if (code === "supplier_paused") this.scorer.pause(supplier, error.retryAfterMs ?? 30_000);
    if (code === "insufficient_quota" || error.status === 429) {
      this.#spent.add(application, serviceId, candidate.session, supplier);
    }
    if (code.startsWith("session_") || code === "supplier_not_in_session") {
      // Our view of the session and the supplier's differ (a rollover in progress): the same supplier may
      // still serve the other session, and the head is worth re-reading. A session the supplier calls not
      // started, expired or not ready is skipped altogether for this request: the other one is tried next.
      excluded.delete(supplier.toLowerCase());
      excluded.add(`${supplier.toLowerCase()}|${candidate.session}`);
      if (code.startsWith("session_")) excluded.add(`session|${candidate.session}`);
      this.sessions.refresh();
    }
    return error;
  }
}

function modelOf(body: Buffer): string | undefined {
  try {
    const model = (JSON.parse(body.toString("utf8")) as { model?: unknown } | null)?.model;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}
