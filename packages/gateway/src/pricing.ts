// Prices in payment-token base units. The network prices a relay in compute units (per relay, or per input and
// output token) times `paymentPerComputeUnit`; the gateway resells at that price plus its margin.
import { ComputeUnitMode, type ServiceComputeUnits } from "@decai/core";

/** What one request to a model costs, in payment-token base units. */
export type ModelPrice = { perRequest: bigint; perInputToken: bigint; perOutputToken: bigint };

/** The price of a model before margin, or `undefined` when the model cannot be priced (not sold). */
export type PriceFn = (model: string) => ModelPrice | undefined;

/** Token counts of one request. */
export type TokenUsage = { inputTokens: number; outputTokens: number };

/** A free model. */
export const freePrice: ModelPrice = { perRequest: 0n, perInputToken: 0n, perOutputToken: 0n };

/**
 * The network's price of a service: its compute units times `paymentPerComputeUnit` (`connectDecaiNetwork` reads
 * both from the chain: the `ServiceRegistry` record and `RelayMining.paymentPerComputeUnit`).
 *
 * @example
 * priceFromComputeUnits({ cuMode: 1, cuPerRelay: 0n, cuPerInputToken: 1n, cuPerOutputToken: 3n }, 10n);
 * // { perRequest: 0n, perInputToken: 10n, perOutputToken: 30n }
 */
export function priceFromComputeUnits(
  service: ServiceComputeUnits,
  paymentPerComputeUnit: bigint,
): ModelPrice {
  if (service.cuMode === ComputeUnitMode.PerRelay) {
    return { perRequest: service.cuPerRelay * paymentPerComputeUnit, perInputToken: 0n, perOutputToken: 0n };
  }
  return {
    perRequest: 0n,
    perInputToken: service.cuPerInputToken * paymentPerComputeUnit,
    perOutputToken: service.cuPerOutputToken * paymentPerComputeUnit,
  };
}

const bpsOf = (value: bigint, marginBps: number) =>
  // Rounds up, so the margin never makes the gateway sell below cost.
  (value * BigInt(10_000 + marginBps) + 9_999n) / 10_000n;

/**
 * The price with the gateway's margin (basis points: 2_000 = +20%) added, rounded up.
 *
 * @example
 * withMargin({ perRequest: 0n, perInputToken: 10n, perOutputToken: 30n }, 2_000);
 * // { perRequest: 0n, perInputToken: 12n, perOutputToken: 36n }
 */
export function withMargin(price: ModelPrice, marginBps: number): ModelPrice {
  if (!Number.isSafeInteger(marginBps) || marginBps < 0) {
    throw new RangeError(`marginBps must be a non-negative integer (basis points), got ${marginBps}`);
  }
  if (marginBps === 0) return price;
  return {
    perRequest: bpsOf(price.perRequest, marginBps),
    perInputToken: bpsOf(price.perInputToken, marginBps),
    perOutputToken: bpsOf(price.perOutputToken, marginBps),
  };
}

/**
 * What `usage` costs at `price`.
 *
 * @example
 * costOf({ perRequest: 1n, perInputToken: 2n, perOutputToken: 3n }, { inputTokens: 10, outputTokens: 5 }); // 36n
 */
export function costOf(price: ModelPrice, usage: TokenUsage): bigint {
  return (
    price.perRequest +
    BigInt(usage.inputTokens) * price.perInputToken +
    BigInt(usage.outputTokens) * price.perOutputToken
  );
}

/**
 * Whether `price` is within a client's `max_price` (per-token prices and the per-request price; missing bounds
 * do not constrain).
 *
 * @example
 * withinMaxPrice(price, { completion: 40n }); // price.perOutputToken <= 40n
 */
export function withinMaxPrice(
  price: ModelPrice,
  max: { prompt?: bigint; completion?: bigint; request?: bigint } | undefined,
): boolean {
  if (!max) return true;
  if (max.prompt !== undefined && price.perInputToken > max.prompt) return false;
  if (max.completion !== undefined && price.perOutputToken > max.completion) return false;
  if (max.request !== undefined && price.perRequest > max.request) return false;
  return true;
}
