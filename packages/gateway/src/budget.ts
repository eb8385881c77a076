// Budget periods and the budget half of admission. Pure functions: each store calls them under its lock (a SQLite
// write transaction, a PostgreSQL row lock on the key), so the decision and the reservation are one atomic step.
import { GatewayError } from "./errors.js";
import type { BudgetPeriod, KeyLimits, KeySpend } from "./keys/types.js";

/** What one request holds back from a key's budgets until it settles: its worst case. */
export type ReserveAmount = {
  /** Payment-token base units (after margin) at `max_tokens`. */
  cost: bigint;
  /** Input bound + `max_tokens`. */
  tokens: number;
};

/**
 * Start of the period that contains `now` (Unix ms, UTC): midnight for `day`, the 1st for `month`, 0 for `none`.
 *
 * @example
 * periodStart("day", Date.UTC(2026, 10, 25, 16, 30)); // Date.UTC(2026, 10, 25)
 */
export function periodStart(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  if (period === "day") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return 0;
}

/**
 * End (exclusive) of the period that contains `now`, or `null` for `none` (a lifetime budget never resets).
 *
 * @example
 * periodEnd("month", Date.UTC(2026, 11, 31, 23)); // Date.UTC(2027, 0, 1)
 */
export function periodEnd(period: BudgetPeriod, now: number): number | null {
  const d = new Date(now);
  if (period === "day") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  if (period === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return null;
}

/** An empty spend row for a period. */
export const emptySpend = (start: number): KeySpend => ({
  periodStart: start,
  costSpent: 0n,
  costReserved: 0n,
  tokensSpent: 0,
  tokensReserved: 0,
});

type Dimension = { what: string; limit: bigint; spent: bigint; reserved: bigint; want: bigint; unit: string };

/**
 * Checks that reserving `reserve` keeps the key within its cost and token budgets counting what is already spent
 * and what in-flight requests hold. Returns the refusal (429 `budget_exceeded`) or `undefined` to go ahead.
 * `retry-after` is 1 s when only in-flight reservations are in the way (they settle soon, usually for less),
 * otherwise the time to the next period; a budget that can never fit the request is marked not retryable.
 *
 * @example
 * const refusal = checkBudget(key.limits, spend, { cost: 500n, tokens: 300 }, Date.now());
 * if (refusal) throw refusal;
 */
export function checkBudget(
  limits: KeyLimits,
  spend: KeySpend,
  reserve: ReserveAmount,
  now: number,
): GatewayError | undefined {
  const dims: Dimension[] = [];
  if (limits.costBudget !== null) {
    dims.push({
      what: "cost budget",
      limit: limits.costBudget,
      spent: spend.costSpent,
      reserved: spend.costReserved,
      want: reserve.cost,
      unit: "payment-token base units",
    });
  }
  if (limits.tokenBudget !== null) {
    dims.push({
      what: "token budget",
      limit: BigInt(limits.tokenBudget),
      spent: BigInt(spend.tokensSpent),
      reserved: BigInt(spend.tokensReserved),
      want: BigInt(reserve.tokens),
      unit: "tokens",
    });
  }
  for (const d of dims) {
    if (d.spent + d.reserved + d.want <= d.limit) continue;
    const per = limits.period === "none" ? "" : ` per ${limits.period}`;
    if (d.want > d.limit) {
      return new GatewayError(
        "budget_exceeded",
        `This request may use up to ${d.want} ${d.unit}, more than this API key's whole ${d.what} of ${d.limit}${per}: lower max_tokens or shorten the prompt.`,
        { retryable: false },
      );
    }
    if (d.spent + d.want <= d.limit) {
      return new GatewayError(
        "budget_exceeded",
        `This API key's ${d.what} is held by requests in flight (${d.spent} spent, ${d.reserved} reserved of ${d.limit} ${d.unit}${per}): retry in a moment.`,
        { retryAfterSeconds: 1 },
      );
    }
    const end = periodEnd(limits.period, now);
    if (end === null) {
      return new GatewayError(
        "budget_exceeded",
        `This API key's ${d.what} is spent (${d.spent} of ${d.limit} ${d.unit}): ask the gateway's operator to raise it.`,
        { retryable: false },
      );
    }
    return new GatewayError(
      "budget_exceeded",
      `This API key's ${d.what} is spent (${d.spent} of ${d.limit} ${d.unit}${per}); it resets at ${new Date(end).toISOString()}.`,
      // Automatic retries (the OpenAI SDKs retry 429s) cannot help before the reset.
      { retryAfterSeconds: Math.ceil((end - now) / 1000), retryable: false },
    );
  }
  return undefined;
}
