// Requests- and tokens-per-minute over a sliding 60 s window. Each admitted request leaves an event (its time and
// reserved tokens, corrected to the real count when it settles) in the store; like budgets, the check runs under
// the store's lock so parallel requests, on one gateway or many, see each other's events.
import { GatewayError } from "./errors.js";
import type { KeyLimits } from "./keys/types.js";

/** Length of the sliding window, ms. */
export const rateWindowMs = 60_000;

/** One admitted request as the window sees it. */
export type RateEvent = { at: number; tokens: number };

/**
 * When the oldest events must have left the window for `fits(remaining)` to hold: the first moment a retry can
 * succeed. `events` sorted oldest first.
 */
function retryAfter(events: readonly RateEvent[], now: number, fits: (dropped: number) => boolean): number {
  for (let dropped = 1; dropped <= events.length; dropped++) {
    if (fits(dropped)) {
      const leaves = (events[dropped - 1] as RateEvent).at + rateWindowMs;
      return Math.max(1, Math.ceil((leaves - now) / 1000));
    }
  }
  return Math.ceil(rateWindowMs / 1000);
}

/**
 * Checks the key's RPM and TPM limits for one more request that reserves `tokens`, given the events in the
 * window (any order; older ones are ignored). Returns the refusal (429 `rate_limit_exceeded` with `retry-after`
 * = when enough of the window has expired) or `undefined` to go ahead.
 *
 * @example
 * const refusal = checkRate(key.limits, eventsOfLastMinute, 300, Date.now());
 * if (refusal) throw refusal;
 */
export function checkRate(
  limits: Pick<KeyLimits, "rpm" | "tpm">,
  events: readonly RateEvent[],
  tokens: number,
  now: number,
): GatewayError | undefined {
  if (limits.rpm === null && limits.tpm === null) return undefined;
  const live = events.filter((e) => e.at > now - rateWindowMs).sort((a, b) => a.at - b.at);
  const { rpm, tpm } = limits;
  if (rpm !== null && live.length + 1 > rpm) {
    if (rpm === 0) {
      return new GatewayError(
        "rate_limit_exceeded",
        "This API key may not send requests (its RPM limit is 0).",
        {
          retryable: false,
        },
      );
    }
    const after = retryAfter(live, now, (dropped) => live.length - dropped + 1 <= rpm);
    return new GatewayError(
      "rate_limit_exceeded",
      `Rate limit reached: this API key may send ${rpm} requests per minute. Retry in ${after} s.`,
      { retryAfterSeconds: after },
    );
  }
  if (tpm !== null) {
    if (tokens > tpm) {
      return new GatewayError(
        "rate_limit_exceeded",
        `This request may use up to ${tokens} tokens, more than this API key's limit of ${tpm} tokens per minute: lower max_tokens or shorten the prompt.`,
        { retryable: false },
      );
    }
    let used = 0;
    for (const e of live) used += e.tokens;
    if (used + tokens > tpm) {
      const prefix: number[] = [0];
      for (const e of live) prefix.push((prefix[prefix.length - 1] as number) + e.tokens);
      const after = retryAfter(live, now, (dropped) => used - (prefix[dropped] as number) + tokens <= tpm);
      return new GatewayError(
        "rate_limit_exceeded",
        `Rate limit reached: this API key may use ${tpm} tokens per minute (${used} used in the last minute, this request may use ${tokens}). Retry in ${after} s.`,
        { retryAfterSeconds: after },
      );
    }
  }
  return undefined;
}
