import type { Address, Hex } from "viem";
import { RelayError, RelayStreamError } from "../errors.js";
import type { SortBy, SupplierScorer } from "../qos/supplierScorer.js";
import type { Evidence } from "../relay/evidence.js";
import type { SessionDirectory, SessionSupplier } from "../session/sessionDirectory.js";
import type { ClientRelayResult } from "./attempt.js";
import type { DecaiClientOptions } from "./clientOptions.js";
import type { SpentShares } from "./spentShares.js";

/**
 * What a client's relays share: its options, default application, QoS state, sessions and spent shares, and
 * where evidence goes.
 * @internal
 */
export type ClientContext = {
  options: DecaiClientOptions;
  /** The application relays are for, unless a call names one. */
  application: Address;
  scorer: SupplierScorer;
  sessions: SessionDirectory;
  spent: SpentShares;
  /** Keeps invalid receipts as evidence. */
  record: (evidence: readonly Evidence[]) => void;
};

/**
 * The best candidate of the newest session that still has one.
 * @internal
 *
 * @example
 * const candidate = pickSupplier(context, candidates, excluded, application, serviceId, "latency", false);
 */
export function pickSupplier(
  context: ClientContext,
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
    const spent = context.spent.of(application, serviceId, session);
    const tier = candidates.filter((c) => {
      const key = c.supplier.toLowerCase();
      return (
        c.session === session && !excluded.has(key) && !excluded.has(`${key}|${session}`) && !spent?.has(key)
      );
    });
    const weight = weighted ? context.options.weight : undefined;
    const chosen = context.scorer.pick(tier, {
      sort: sort ?? context.options.sort ?? "latency",
      stream,
      ...(weight ? { weight: (c: { supplier: string }) => weight(c.supplier as Address, serviceId) } : {}),
    });
    if (chosen) return chosen;
  }
  return undefined;
}

/**
 * Books the winning attempt: at once for a complete answer, when it ends for a stream.
 * @internal
 *
 * @example
 * return bookSuccess(context, attempt.candidate, result);
 */
export function bookSuccess(
  context: ClientContext,
  candidate: SessionSupplier,
  result: ClientRelayResult,
): ClientRelayResult {
  const { scorer } = context;
  if (!result.stream) {
    scorer.success(candidate.supplier, {
      latencyMs: result.timing.latencyMs ?? result.timing.headersMs,
      outputTokens: result.receipt.usage?.outputTokens ?? 0,
    });
    return result;
  }
  const stream = result;
  stream.receipt.then(
    (receipt) => {
      if (receipt.valid) {
        scorer.success(candidate.supplier, {
          latencyMs: stream.timing.latencyMs ?? stream.timing.headersMs,
          ...(stream.timing.ttftMs !== undefined ? { ttftMs: stream.timing.ttftMs } : {}),
          outputTokens: receipt.usage?.outputTokens ?? 0,
        });
      } else {
        context.record(receipt.evidence);
        scorer.failure(candidate.supplier, "invalid_receipt");
      }
    },
    (error) => {
      if (error instanceof RelayStreamError && error.cancelled) scorer.cancel(candidate.supplier);
      else scorer.failure(candidate.supplier, "stream_broken");
    },
  );
  return stream;
}

/**
 * Books a failed attempt with the scorer and decides what the next attempt must avoid.
 * @internal
 *
 * @example
 * const error = bookFailure(context, attempt.candidate, application, serviceId, cause, excluded);
 * if (!error.retryable) throw error;
 */
export function bookFailure(
  context: ClientContext,
  candidate: SessionSupplier,
  application: Address,
  serviceId: Hex,
  error: unknown,
  excluded: Set<string>,
): RelayError {
  const { scorer } = context;
  const supplier = candidate.supplier;
  if (!(error instanceof RelayError)) {
    scorer.failure(supplier, "connection");
    return new RelayError("connection", `Relay to supplier ${supplier} failed: ${String(error)}`, {
      supplier,
      retryable: true,
      supplierFault: true,
      cause: error,
    });
  }
  if (error.kind === "invalid_receipt") scorer.failure(supplier, "invalid_receipt");
  else if (error.kind === "connection" || error.kind === "timeout") scorer.failure(supplier, error.kind);
  else if (error.supplierFault) scorer.failure(supplier, "server_error");
  else scorer.skip(supplier);

  const code = error.code ?? "";
  // A draining supplier says so at once: route around it until it says it may be back.
  if (code === "supplier_paused") scorer.pause(supplier, error.retryAfterMs ?? 30_000);
  if (code === "insufficient_quota" || error.status === 429) {
    context.spent.add(application, serviceId, candidate.session, supplier);
  }
  if (code.startsWith("session_") || code === "supplier_not_in_session") {
    // Our view of the session and the supplier's differ (a rollover in progress): the same supplier may
    // still serve the other session, and the head is worth re-reading. A session the supplier calls not
    // started, expired or not ready is skipped altogether for this request: the other one is tried next.
    excluded.delete(supplier.toLowerCase());
    excluded.add(`${supplier.toLowerCase()}|${candidate.session}`);
    if (code.startsWith("session_")) excluded.add(`session|${candidate.session}`);
    context.sessions.refresh();
  }
  return error;
}
