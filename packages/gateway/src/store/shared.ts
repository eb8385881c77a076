// What both stores share: the admission decision they run under their lock, and the stored form of limits.
import { checkBudget, type ReserveAmount } from "../budget.js";
import { GatewayError } from "../errors.js";
import type { ApiKeyRecord, KeyLimits, KeySpend } from "../keys/types.js";
import { limitsToJson, parseKeyLimits } from "../keys/types.js";
import { checkRate, type RateEvent } from "../ratelimit.js";
import type { Endpoint, UsageRecord } from "../usage.js";

/**
 * The admission decision for one request, given the key as re-read under the lock, its spend in the current
 * period and its rate window. Throws the refusal; rate limits are checked first (they clear soonest).
 *
 * @example
 * admit(key, spend, events, { cost: 500n, tokens: 300 }, now); // throws GatewayError or returns
 */
export function admit(
  key: ApiKeyRecord | undefined,
  spend: KeySpend,
  events: readonly RateEvent[],
  amount: ReserveAmount,
  now: number,
): void {
  if (!key)
    throw new GatewayError("invalid_api_key", "This API key does not exist (it may have been deleted).");
  if (key.revokedAt !== null) {
    throw new GatewayError(
      "api_key_revoked",
      "This API key was revoked: ask the gateway's operator for a new one.",
    );
  }
  const refusal =
    checkRate(key.limits, events, amount.tokens, now) ?? checkBudget(key.limits, spend, amount, now);
  if (refusal) throw refusal;
}

/**
 * Whether admission needs the key's rate events: only keys with an RPM or TPM limit record and read them, so a
 * key without one costs no rows per request (at 1,000 req/s a minute's window is 60,000 rows to read each time).
 * A limit set later counts the requests admitted from then on.
 */
export const keepsRateEvents = (key: ApiKeyRecord | undefined): boolean =>
  key !== undefined && (key.limits.rpm !== null || key.limits.tpm !== null);

/** Limits as stored (JSON text / jsonb). */
export const limitsToStored = (limits: KeyLimits): string => JSON.stringify(limitsToJson(limits));

/** Limits back from their stored form. */
export function limitsFromStored(stored: unknown): KeyLimits {
  return parseKeyLimits(typeof stored === "string" ? JSON.parse(stored) : stored);
}

/** A key row as both stores select it. */
export type KeyRow = {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  limits: unknown;
  created_at: number | string;
  revoked_at: number | string | null;
};

/** A key record from its row (PostgreSQL returns BIGINT columns as strings). */
export function keyFromRow(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    limits: limitsFromStored(row.limits),
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** A usage row as both stores select it. */
export type UsageRow = {
  id: string;
  key_id: string;
  endpoint: string;
  requested_model: string;
  model: string | null;
  supplier: string | null;
  stream: number | boolean;
  input_tokens: number | string;
  output_tokens: number | string;
  ttft_ms: number | null;
  latency_ms: number;
  overhead_ms: number;
  cost: string;
  outcome: string;
  status: number;
  created_at: number | string;
};

/** The columns of the usage table, in insert order. */
export const usageColumns = [
  "id",
  "key_id",
  "endpoint",
  "requested_model",
  "model",
  "supplier",
  "stream",
  "input_tokens",
  "output_tokens",
  "ttft_ms",
  "latency_ms",
  "overhead_ms",
  "cost",
  "outcome",
  "status",
  "created_at",
] as const;

/** A usage record from its row. */
export function usageFromRow(row: UsageRow): UsageRecord {
  return {
    id: row.id,
    keyId: row.key_id,
    endpoint: row.endpoint as Endpoint,
    requestedModel: row.requested_model,
    model: row.model,
    supplier: row.supplier,
    stream: row.stream === true || row.stream === 1,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    ttftMs: row.ttft_ms === null ? null : Number(row.ttft_ms),
    latencyMs: Number(row.latency_ms),
    overheadMs: Number(row.overhead_ms),
    cost: BigInt(row.cost),
    outcome: row.outcome,
    status: Number(row.status),
    createdAt: Number(row.created_at),
  };
}

/** The values of `usageColumns` for a record (`stream` as the store's boolean). */
export function usageValues<B>(u: UsageRecord, bool: (b: boolean) => B): unknown[] {
  return [
    u.id,
    u.keyId,
    u.endpoint,
    u.requestedModel,
    u.model,
    u.supplier,
    bool(u.stream),
    u.inputTokens,
    u.outputTokens,
    u.ttftMs,
    u.latencyMs,
    u.overheadMs,
    u.cost.toString(),
    u.outcome,
    u.status,
    u.createdAt,
  ];
}
