// Service tiers as batch jobs see them: `tiny-llama:batch` (cheaper suppliers for work that can wait) first, then the
// idle capacity of `tiny-llama`'s interactive suppliers.
import { GatewayError } from "../errors.js";
import type { Aliases, Catalog, CatalogEntry } from "../routing.js";
import type { UpstreamModel } from "../upstream/types.js";

/** The suffix of a batch tier's model id (OpenRouter-style variant: `tiny-llama:batch`). */
export const batchSuffix = ":batch";

/**
 * A model's tier: its `tier` field, else `batch` for ids ending in `:batch`.
 *
 * @example
 * tierOf({ id: "tiny-llama:batch", suppliers: 2 }); // "batch"
 */
export function tierOf(model: UpstreamModel): "interactive" | "batch" {
  return model.tier ?? (model.id.endsWith(batchSuffix) ? "batch" : "interactive");
}

/**
 * The interactive model a model belongs to: itself, or the model its batch tier is of.
 *
 * @example
 * baseModelOf({ id: "tiny-llama:batch", suppliers: 2 }); // "tiny-llama"
 */
export function baseModelOf(model: UpstreamModel): string {
  if (tierOf(model) !== "batch") return model.id;
  return (
    model.batchOf ?? (model.id.endsWith(batchSuffix) ? model.id.slice(0, -batchSuffix.length) : model.id)
  );
}

/** A batch line's model, resolved: the tiers to try in order. */
export type BatchRoute = { requested: string; candidates: CatalogEntry[] };

/**
 * The models a batch line asking for `requested` may run on, best first: the batch tier of each requested model
 * (after aliases), then the interactive model itself. A key allowed `tiny-llama` may use `tiny-llama:batch`; a key
 * allowed only `tiny-llama:batch` gets only the batch tier. Models without suppliers right now stay in (a batch
 * waits for them). Throws 404 `model_not_found` / 403 `model_not_allowed`.
 *
 * @example
 * batchRoute({ catalog, requested: "tiny-llama", allowed: null, aliases: {} }).candidates.map((c) => c.model.id);
 * // ["tiny-llama:batch", "tiny-llama"]
 */
export function batchRoute(input: {
  catalog: Catalog;
  requested: string;
  allowed: readonly string[] | null;
  aliases: Aliases;
}): BatchRoute {
  const { catalog, requested, allowed } = input;
  const tiers: { entry: CatalogEntry; names: string[] }[] = [];
  const add = (entry: CatalogEntry | undefined, names: string[]) => {
    if (entry && !tiers.some((t) => t.entry === entry)) tiers.push({ entry, names });
  };
  for (const name of input.aliases[requested] ?? [requested]) {
    const named = catalog.get(name);
    const base = named ? baseModelOf(named.model) : name;
    const batch = [...catalog.values()].find(
      (e) => tierOf(e.model) === "batch" && baseModelOf(e.model) === base,
    );
    add(batch, [requested, name, base, batch?.model.id ?? ""]);
    if (!named || tierOf(named.model) !== "batch") add(catalog.get(base), [requested, name, base]);
  }
  if (tiers.length === 0) {
    throw new GatewayError(
      "model_not_found",
      `The model \`${requested}\` does not exist or is not served by this gateway: GET /v1/models lists the models you can use.`,
      { param: "model" },
    );
  }
  const candidates = tiers
    .filter((t) => !allowed || t.names.some((n) => allowed.includes(n)) || allowed.includes(t.entry.model.id))
    .map((t) => t.entry);
  if (candidates.length === 0) {
    throw new GatewayError(
      "model_not_allowed",
      `This API key may not use \`${requested}\`: it is limited to ${allowed?.join(", ")}.`,
      { param: "model" },
    );
  }
  // Batch tiers first, keeping the requested order within each tier.
  candidates.sort((a, b) => Number(tierOf(b.model) === "batch") - Number(tierOf(a.model) === "batch"));
  return { requested, candidates };
}
