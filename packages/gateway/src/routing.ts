// Which models a request may be served by, in order: the requested models (then the `models` fallbacks) with
// aliases expanded, narrowed to what the key allows, what exists, what fits `max_price` and what has suppliers.
import { GatewayError } from "./errors.js";
import { costOf, type ModelPrice, type TokenUsage, withinMaxPrice } from "./pricing.js";
import type { RoutingPreferences, UpstreamModel } from "./upstream/types.js";

/** A sellable model: what the upstream says of it and its price to clients (margin included). */
export type CatalogEntry = { model: UpstreamModel; price: ModelPrice };

/** Sellable models by id. */
export type Catalog = ReadonlyMap<string, CatalogEntry>;

/** Aliases: a name clients may send, standing for a list of models tried in order. */
export type Aliases = Readonly<Record<string, readonly string[]>>;

/** Inputs of {@link resolveCandidates}. */
export type RouteInput = {
  /** The client's `model` then `models`, in order. */
  requested: readonly string[];
  aliases: Aliases;
  /** The key's allowed models (names or aliases), `null` for all. */
  allowed: readonly string[] | null;
  catalog: Catalog;
  preferences: RoutingPreferences;
  /** This request's likely usage, to compare prices when sorting by price. */
  estimate: TokenUsage;
};

/**
 * The models to try, best first. Throws the refusal that explains why none is left: 404 `model_not_found` (none
 * exists), 403 `model_not_allowed` (the key may use none of them), 404 `no_model_within_max_price`, 503
 * `no_suppliers_available` (they exist, but nobody serves them right now).
 *
 * @example
 * resolveCandidates({ requested: ["fast"], aliases: { fast: ["tiny-llama", "llama-8b"] }, allowed: null,
 *   catalog, preferences: { sort: "price" }, estimate: { inputTokens: 100, outputTokens: 256 } });
 */
export function resolveCandidates(input: RouteInput): CatalogEntry[] {
  const { catalog, allowed, preferences } = input;
  const wanted = input.requested;
  // Each concrete model with the names (itself and its alias) that the key's allow-list may mention.
  const expanded: { id: string; via: string }[] = [];
  for (const name of wanted) {
    for (const id of input.aliases[name] ?? [name]) {
      if (!expanded.some((e) => e.id === id)) expanded.push({ id, via: name });
    }
  }
  const known = expanded.filter((e) => catalog.has(e.id));
  if (known.length === 0) {
    const names = wanted.map((n) => `\`${n}\``).join(", ");
    throw new GatewayError(
      "model_not_found",
      `The model ${names} does not exist or is not served by this gateway: GET /v1/models lists the models you can use.`,
      { param: "model" },
    );
  }
  const permitted = allowed ? known.filter((e) => allowed.includes(e.id) || allowed.includes(e.via)) : known;
  if (permitted.length === 0) {
    throw new GatewayError(
      "model_not_allowed",
      `This API key may not use ${known.map((e) => `\`${e.id}\``).join(", ")}: it is limited to ${allowed?.join(", ")}.`,
      { param: "model" },
    );
  }
  let entries = permitted.map((e) => catalog.get(e.id) as CatalogEntry);
  entries = entries.filter((e) => withinMaxPrice(e.price, preferences.maxPrice));
  if (entries.length === 0) {
    throw new GatewayError(
      "no_model_within_max_price",
      `No requested model is offered within provider.max_price: GET /v1/models shows each model's pricing.`,
      { param: "provider.max_price" },
    );
  }
  if (preferences.sort === "price") {
    // Array.prototype.sort is stable: equal prices keep the client's order.
    entries.sort((a, b) => {
      const d = costOf(a.price, input.estimate) - costOf(b.price, input.estimate);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
  }
  if (preferences.allowFallbacks === false) entries = entries.slice(0, 1);
  const served = entries.filter((e) => e.model.suppliers > 0);
  if (served.length === 0) {
    throw new GatewayError(
      "no_suppliers_available",
      `No supplier is serving ${entries.map((e) => `\`${e.model.id}\``).join(", ")} right now: retry in a moment, or add fallbacks with 'models'.`,
      { retryAfterSeconds: 5 },
    );
  }
  return served;
}
