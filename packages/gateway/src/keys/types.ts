import { GatewayError } from "../errors.js";

/** How often a key's budgets start again from zero (UTC boundaries); `none` = a lifetime budget. */
export type BudgetPeriod = "day" | "month" | "none";

/** What one API key may do. `null` means "no limit" (or, for `models`, "every model"). */
export type KeyLimits = {
  /** Most payment-token base units (after the gateway margin) spent per period. */
  costBudget: bigint | null;
  /** Most tokens (input + output) per period. */
  tokenBudget: number | null;
  /** The period both budgets reset on. */
  period: BudgetPeriod;
  /** Requests per minute (sliding 60 s window). */
  rpm: number | null;
  /** Tokens (input + output) per minute (sliding 60 s window). */
  tpm: number | null;
  /** Models (service names or aliases) this key may use; `null` = every model. */
  models: string[] | null;
};

/** A stored API key: its hash and limits, never the key itself. */
export type ApiKeyRecord = {
  /** Public id, e.g. `key_3f9a0c1d2e4b5a69`: what admin calls and usage logs name. */
  id: string;
  name: string;
  /** The key's first characters (`dk_AbC1`), to recognise it in a list. */
  prefix: string;
  /** HMAC-SHA256 (or SHA-256 without a server secret) of the key, hex. */
  hash: string;
  limits: KeyLimits;
  /** Unix ms. */
  createdAt: number;
  /** Unix ms, or `null` while the key works. */
  revokedAt: number | null;
};

/** A key's spend in its current period. */
export type KeySpend = {
  /** Unix ms of the period's start (0 for `none`). */
  periodStart: number;
  costSpent: bigint;
  costReserved: bigint;
  tokensSpent: number;
  tokensReserved: number;
};

/** Limits as an admin sends them: every field optional, numbers or decimal strings. */
export type KeyLimitsInput = {
  costBudget?: bigint | number | string | null;
  tokenBudget?: number | string | null;
  period?: BudgetPeriod;
  rpm?: number | string | null;
  tpm?: number | string | null;
  models?: string[] | null;
};

/** No limits at all. */
export const unlimited: KeyLimits = {
  costBudget: null,
  tokenBudget: null,
  period: "none",
  rpm: null,
  tpm: null,
  models: null,
};

const periods: readonly BudgetPeriod[] = ["day", "month", "none"];

const invalid = (param: string, message: string) =>
  new GatewayError("invalid_value", message, { param: `limits.${param}` });

function positiveInteger(value: unknown, param: string): number | null {
  if (value === undefined || value === null) return null;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(param, `limits.${param} must be a non-negative integer (or null for no limit).`);
  }
  return n;
}

function amount(value: unknown, param: string): bigint | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return BigInt(value.trim());
  throw invalid(
    param,
    `limits.${param} must be a non-negative integer of payment-token base units, as a decimal string for large values.`,
  );
}

/**
 * Validates limits sent by an admin (JSON numbers or decimal strings), on top of `base` (the defaults, or the
 * key's current limits for an update). Throws `GatewayError("invalid_value")` naming the bad field.
 *
 * @example
 * parseKeyLimits({ costBudget: "1000000000000000000", period: "day", rpm: 60, models: ["tiny-llama"] });
 */
export function parseKeyLimits(input: unknown, base: KeyLimits = unlimited): KeyLimits {
  if (input === undefined || input === null) return base;
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new GatewayError("invalid_type", "limits must be an object.", { param: "limits" });
  }
  const known = new Set(["costBudget", "tokenBudget", "period", "rpm", "tpm", "models"]);
  for (const k of Object.keys(input)) {
    if (!known.has(k)) {
      throw new GatewayError("unsupported_parameter", `Unknown limit "${k}": use ${[...known].join(", ")}.`, {
        param: `limits.${k}`,
      });
    }
  }
  const l = input as Record<string, unknown>;
  const has = (k: string) => Object.hasOwn(l, k);
  let period = base.period;
  if (has("period")) {
    if (!periods.includes(l.period as BudgetPeriod)) {
      throw invalid("period", `limits.period must be one of ${periods.join(", ")}.`);
    }
    period = l.period as BudgetPeriod;
  }
  let models = base.models;
  if (has("models")) {
    if (l.models === null) models = null;
    else if (
      Array.isArray(l.models) &&
      l.models.length > 0 &&
      l.models.every((m) => typeof m === "string" && m.length > 0)
    ) {
      models = [...new Set(l.models as string[])];
    } else throw invalid("models", "limits.models must be a non-empty list of model names, or null for all.");
  }
  return {
    costBudget: has("costBudget") ? amount(l.costBudget, "costBudget") : base.costBudget,
    tokenBudget: has("tokenBudget") ? positiveInteger(l.tokenBudget, "tokenBudget") : base.tokenBudget,
    period,
    rpm: has("rpm") ? positiveInteger(l.rpm, "rpm") : base.rpm,
    tpm: has("tpm") ? positiveInteger(l.tpm, "tpm") : base.tpm,
    models,
  };
}

/**
 * The JSON form of limits (budgets as decimal strings, since payment-token amounts overflow JSON numbers).
 *
 * @example
 * JSON.stringify(limitsToJson(record.limits));
 */
export function limitsToJson(limits: KeyLimits): Record<string, unknown> {
  return { ...limits, costBudget: limits.costBudget === null ? null : limits.costBudget.toString() };
}

/**
 * The public view of a key record, for admin answers and the CLI: everything but the hash.
 *
 * @example
 * res.end(JSON.stringify(keyToJson(record)));
 */
export function keyToJson(record: ApiKeyRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    limits: limitsToJson(record.limits),
    createdAt: new Date(record.createdAt).toISOString(),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
  };
}
