import type { IncomingMessage, ServerResponse } from "node:http";
import { baseModelOf, tierOf } from "../batch/models.js";
import { GatewayError } from "../errors.js";
import { sendJson } from "../http/body.js";
import type { ApiKeyRecord } from "../keys/types.js";
import type { Aliases, Catalog, CatalogEntry } from "../routing.js";

/**
 * One model in OpenAI's shape, plus what Decai knows of it: `pricing` (payment-token base units after the
 * gateway margin, decimal strings) and `decai` (service id, source, weights digest, current suppliers, and the
 * tier: `interactive`, or `batch` for `<model>:batch`, the cheaper tier of `batch_of`).
 *
 * @example
 * modelObject(catalog.get("tiny-llama"));
 * // { id: "tiny-llama", object: "model", created: 0, owned_by: "0xSource…", pricing: {…}, decai: {…} }
 */
export function modelObject(entry: CatalogEntry): Record<string, unknown> {
  const { model, price } = entry;
  return {
    id: model.id,
    object: "model",
    created: model.created ?? 0,
    owned_by: model.source ?? "decai",
    pricing: {
      prompt: price.perInputToken.toString(),
      completion: price.perOutputToken.toString(),
      request: price.perRequest.toString(),
      unit: "payment-token base units",
    },
    decai: {
      service_id: model.serviceId ?? null,
      source: model.source ?? null,
      weights_digest: model.weightsDigest ?? null,
      suppliers: model.suppliers,
      // `batch`: the cheaper, latency-tolerant tier of `batch_of` (same weights), what batch jobs use first.
      tier: tierOf(model),
      batch_of: tierOf(model) === "batch" ? baseModelOf(model) : null,
    },
  };
}

const usable = (entry: CatalogEntry, key: ApiKeyRecord, aliases: Aliases) => {
  const allowed = key.limits.models;
  if (!allowed) return true;
  return allowed.includes(entry.model.id) || allowed.some((a) => aliases[a]?.includes(entry.model.id));
};

/**
 * `GET /v1/models` (the models that have suppliers now and that the key may use) and `GET /v1/models/{id}`.
 *
 * @example
 * await handleModels(req, res, path, key, await catalog(), aliases);
 */
export function handleModels(
  _req: IncomingMessage,
  res: ServerResponse,
  path: string,
  key: ApiKeyRecord,
  catalog: Catalog,
  aliases: Aliases,
  headers: Record<string, string>,
): void {
  const live = [...catalog.values()].filter((e) => e.model.suppliers > 0 && usable(e, key, aliases));
  if (path === "/v1/models") {
    sendJson(res, 200, { object: "list", data: live.map(modelObject) }, headers);
    return;
  }
  const id = decodeURIComponent(path.slice("/v1/models/".length));
  const entry = live.find((e) => e.model.id === id);
  if (!entry) {
    throw new GatewayError(
      "model_not_found",
      `The model \`${id}\` does not exist or has no supplier right now: GET /v1/models lists the models you can use.`,
      { param: "model" },
    );
  }
  sendJson(res, 200, modelObject(entry), headers);
}
