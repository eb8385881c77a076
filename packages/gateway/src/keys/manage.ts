import { GatewayError } from "../errors.js";
import type { GatewayStore } from "../store/types.js";
import { generateApiKey, hashApiKey } from "./apiKey.js";
import { type ApiKeyRecord, type KeyLimits, type KeySpend, parseKeyLimits } from "./types.js";

/** A created key: the secret `key` (shown once) and its stored record. */
export type CreatedKey = { key: string; record: ApiKeyRecord };

/**
 * Creates an API key: generates it, stores only its hash with the limits, and returns the key once.
 *
 * @example
 * const { key, record } = await createKey(store, { name: "acme", limits: { costBudget: "10000", period: "day" } });
 * console.log(`give this to acme, it is not stored: ${key}`);
 */
export async function createKey(
  store: GatewayStore,
  input: { name?: unknown; limits?: unknown },
  options: { secret?: string; now?: number } = {},
): Promise<CreatedKey> {
  const name = input.name ?? "";
  if (typeof name !== "string" || name.length > 200) {
    throw new GatewayError("invalid_value", "name must be a string of at most 200 characters.", {
      param: "name",
    });
  }
  const limits: KeyLimits = parseKeyLimits(input.limits);
  const { key, id, prefix } = generateApiKey();
  const record: ApiKeyRecord = {
    id,
    name,
    prefix,
    hash: hashApiKey(key, options.secret),
    limits,
    createdAt: options.now ?? Date.now(),
    revokedAt: null,
  };
  await store.insertKey(record);
  return { key, record };
}

/**
 * The JSON form of a key's spend (amounts as decimal strings).
 *
 * @example
 * spendToJson(await store.spend(id, Date.now()));
 */
export function spendToJson(spend: KeySpend): Record<string, unknown> {
  return {
    periodStart: new Date(spend.periodStart).toISOString(),
    costSpent: spend.costSpent.toString(),
    costReserved: spend.costReserved.toString(),
    tokensSpent: spend.tokensSpent,
    tokensReserved: spend.tokensReserved,
  };
}
