/** What a refused relay means for the next attempt. */
export type RefusalClass = {
  /** Another supplier (or session) may serve the same request. */
  retryable: boolean;
  /** The refusal reflects on the supplier's health (counts against its score and circuit breaker). */
  supplierFault: boolean;
};

// Refusals about this supplier or session only: another candidate may well succeed.
const retryableCodes: Record<string, boolean> = {
  insufficient_quota: false, // the relay meter: this supplier's share of the app's escrow is spent
  supplier_not_in_session: false, // our view of the session is stale
  service_not_staked: false,
  session_expired: false,
  session_not_started: false,
  session_not_ready: false,
  relay_replayed: false,
  supplier_paused: false, // draining (its GPU is needed elsewhere): not a fault, skip it until retry-after
  wrong_supplier: true, // the endpoint on chain does not lead to this supplier
  model_not_found: true, // staked for the service but not serving it
};

/**
 * Classifies a RelayMiner's HTTP refusal: 5xx and 429 are retryable on another supplier, and so are refusals
 * that concern only this supplier or session (not in session, session expired, wrong endpoint); other 4xx
 * (bad body, bad signature, no delegation, no escrow) would fail everywhere and go back to the caller.
 *
 * @example
 * classifyRefusal(429, "insufficient_quota"); // { retryable: true, supplierFault: false }
 * classifyRefusal(400, "invalid_json");      // { retryable: false, supplierFault: false }
 */
export function classifyRefusal(status: number, code: string | undefined): RefusalClass {
  if (code !== undefined && code in retryableCodes) {
    return { retryable: true, supplierFault: retryableCodes[code] as boolean };
  }
  if (status >= 500) return { retryable: true, supplierFault: true };
  if (status === 429) return { retryable: true, supplierFault: false };
  return { retryable: false, supplierFault: false };
}

/** The `error.code` (or `error.type`) of an OpenAI-style error body, if it is one. @internal */
export function errorCode(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } } | null)?.error;
    if (typeof error?.code === "string") return error.code;
    if (typeof error?.type === "string") return error.type;
  } catch {}
  return undefined;
}
