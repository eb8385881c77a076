// Parameters shared by the inference endpoints, and the gateway-only ones: `models` (fallbacks, as OpenRouter),
// `provider` (routing preferences) and `route`.
import { GatewayError } from "../errors.js";
import { type Schema, validate } from "../http/schema.js";
import type { RoutingPreferences } from "../upstream/types.js";
import type { Endpoint } from "../usage.js";

/** What an endpoint adds to the shared handling. */
export type EndpointSpec = {
  endpoint: Endpoint;
  path: string;
  schema: Schema;
  /** Whether it generates tokens (so `max_tokens` bounds its cost). */
  generates: boolean;
  /** Checks the schema cannot express; returns the UTF-8 bytes of prompt text (for usage estimates). */
  inspect(body: Record<string, unknown>): number;
};

/** Parameters every inference endpoint takes. */
export const commonParams: Schema = {
  model: { type: "string" },
  models: { type: "array", items: "string", nonEmpty: true },
  provider: { type: "object" },
  route: { type: "string", oneOf: ["fallback"] },
  user: { type: "string" },
};

/** Parameters of the generating endpoints (chat and completions). */
export const generationParams: Schema = {
  ...commonParams,
  max_tokens: { type: "integer", min: 1 },
  temperature: { type: "number", min: 0, max: 2 },
  top_p: { type: "number", min: 0, max: 1 },
  n: { type: "integer", min: 1, max: 16 },
  stream: { type: "boolean" },
  stream_options: { type: "object" },
  stop: { type: ["string", "array"] },
  presence_penalty: { type: "number", min: -2, max: 2 },
  frequency_penalty: { type: "number", min: -2, max: 2 },
  logit_bias: { type: "object" },
  seed: { type: "integer" },
  metadata: { type: "object" },
};

const providerSchema: Schema = {
  sort: { type: "string", oneOf: ["price", "latency", "throughput"] },
  max_price: { type: "object" },
  allow_fallbacks: { type: "boolean" },
  order: "is not supported yet: the gateway picks suppliers by QoS; use sort.",
  only: "is not supported yet: the gateway picks suppliers by QoS; use sort.",
  ignore: "is not supported yet: the gateway picks suppliers by QoS; use sort.",
};

function basePrice(value: unknown, param: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new GatewayError(
    "invalid_value",
    `Invalid '${param}': expected a non-negative integer of payment-token base units (a decimal string for large values).`,
    { param },
  );
}

/**
 * Reads the shared parameters: the requested models in order (`model` first, then `models`), the routing
 * preferences, and whether the client asked for a usage chunk. Throws 400s for bad values.
 *
 * @example
 * readCommon({ model: "a", models: ["b"], provider: { sort: "price" } });
 * // { requested: ["a", "b"], preferences: { sort: "price" }, includeUsage: false }
 */
export function readCommon(body: Record<string, unknown>): {
  requested: string[];
  preferences: RoutingPreferences;
  includeUsage: boolean;
} {
  const requested = [
    ...new Set([
      ...(typeof body.model === "string" ? [body.model] : []),
      ...((body.models as string[]) ?? []),
    ]),
  ];
  if (requested.length === 0) {
    throw new GatewayError(
      "missing_required_parameter",
      "Missing required parameter: 'model' (or 'models', a list of fallbacks).",
      { param: "model" },
    );
  }
  const preferences: RoutingPreferences = {};
  const provider = body.provider as Record<string, unknown> | undefined | null;
  if (provider) {
    validate(provider, providerSchema, "provider.");
    if (provider.sort) preferences.sort = provider.sort as RoutingPreferences["sort"];
    if (provider.allow_fallbacks === false) preferences.allowFallbacks = false;
    const max = provider.max_price as Record<string, unknown> | undefined | null;
    if (max) {
      validate(
        max,
        {
          prompt: { type: ["integer", "string"] },
          completion: { type: ["integer", "string"] },
          request: { type: ["integer", "string"] },
        },
        "provider.max_price.",
      );
      const prompt = basePrice(max.prompt, "provider.max_price.prompt");
      const completion = basePrice(max.completion, "provider.max_price.completion");
      const request = basePrice(max.request, "provider.max_price.request");
      preferences.maxPrice = {
        ...(prompt !== undefined ? { prompt } : {}),
        ...(completion !== undefined ? { completion } : {}),
        ...(request !== undefined ? { request } : {}),
      };
    }
  }
  let includeUsage = false;
  const streamOptions = body.stream_options as Record<string, unknown> | undefined | null;
  if (streamOptions) {
    validate(streamOptions, { include_usage: { type: "boolean" } }, "stream_options.");
    includeUsage = streamOptions.include_usage === true;
  }
  return { requested, preferences, includeUsage };
}
