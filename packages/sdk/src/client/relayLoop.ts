import { toServiceId } from "@decai/core";
import type { Hex } from "viem";
import { AllSuppliersFailedError, DecaiError, type RelayError } from "../errors.js";
import { requestInfo } from "../relay/usage.js";
import type { SessionSupplier } from "../session/sessionDirectory.js";
import { attemptRelay, type ClientRelayResult } from "./attempt.js";
import type { RelayParameters } from "./clientOptions.js";
import { rolloverCodes, rolloverWait, sessionCandidates, waitOutRollover } from "./rollover.js";
import { bookFailure, bookSuccess, type ClientContext, pickSupplier } from "./routing.js";

type Attempt = { candidate: SessionSupplier; controller: AbortController; settled: boolean };
type Outcome = { attempt: Attempt } & (
  | { ok: true; result: ClientRelayResult }
  | { ok: false; error: unknown }
);

/**
 * The attempt loop behind `DecaiClient.relay`: launches the first attempt, a hedge after its delay, a retry
 * after each retryable failure, and waits out a rollover when every candidate refused our view of the session.
 * @internal
 *
 * @example
 * const answer = await relayWithRetries(context, { body: { model: "tiny-llama", messages, max_tokens: 16 } });
 */
export async function relayWithRetries(
  context: ClientContext,
  params: RelayParameters,
): Promise<ClientRelayResult> {
  const options = context.options;
  const body =
    typeof params.body === "string" || params.body instanceof Uint8Array
      ? Buffer.from(params.body)
      : Buffer.from(JSON.stringify(params.body));
  const info = requestInfo(body);
  const serviceId = serviceIdOf(params, body);
  const application = params.application ?? context.application;
  const rollover = rolloverWait(options.rolloverWaitMs ?? 5_000);
  let candidates = await sessionCandidates(context.sessions, application, serviceId, rollover, params.signal);
  let lagging = false;
  const hedge = params.hedge === undefined ? options.hedge : params.hedge || undefined;
  const maxAttempts = options.maxAttempts ?? 3;
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
    const candidate = pickSupplier(
      context,
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
    options.onAttempt?.({ kind, supplier: candidate.supplier, serviceId });
    excluded.add(candidate.supplier.toLowerCase());
    const attempt: Attempt = { candidate, controller: new AbortController(), settled: false };
    inflight.add(attempt);
    const signal = params.signal
      ? AbortSignal.any([params.signal, attempt.controller.signal])
      : attempt.controller.signal;
    const o = options;
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
      (evidence) => context.record(evidence),
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
      context.scorer.cancel(a.candidate.supplier);
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
        return bookSuccess(context, attempt.candidate, next.result);
      }
      if (params.signal?.aborted) {
        cancelOthers(undefined);
        context.scorer.cancel(attempt.candidate.supplier);
        throw params.signal.reason ?? next.error;
      }
      const error = bookFailure(context, attempt.candidate, application, serviceId, next.error, excluded);
      options.onFailure?.({
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
        if (!lagging || !(await waitOutRollover(context.sessions, rollover, params.signal))) throw failed();
        candidates = await sessionCandidates(
          context.sessions,
          application,
          serviceId,
          rollover,
          params.signal,
        );
        for (const key of [...excluded]) if (key.includes("|")) excluded.delete(key); // session-scoped
        lagging = false;
        if (!launch("retry")) throw failed();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function serviceIdOf(params: RelayParameters, body: Buffer): Hex {
  const service = params.service ?? modelOf(body);
  if (!service) {
    throw new DecaiError(
      'No service to send the request to: set the body\'s "model" to a service name, or pass `service`.',
    );
  }
  return service.startsWith("0x") ? (service as Hex) : toServiceId(service);
}

function modelOf(body: Buffer): string | undefined {
  try {
    const model = (JSON.parse(body.toString("utf8")) as { model?: unknown } | null)?.model;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}
