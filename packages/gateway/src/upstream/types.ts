// The gateway's only view of where completions come from. Today: an HTTP passthrough to any OpenAI-compatible
// base URL (`createHttpUpstream`), or the Decai network through the SDK (`createDecaiUpstream` / `connectDecaiNetwork`).
import type { Relay } from "@decai/core";
import type { TokenUsage } from "../pricing.js";
import type { Endpoint } from "../usage.js";

/** How a request wants to be routed (OpenRouter's `provider` object, in payment-token base units). */
export type RoutingPreferences = {
  /** Order suppliers (and fallback models) by price, or suppliers by measured latency or throughput. */
  sort?: "price" | "latency" | "throughput";
  /** Highest acceptable price, after the gateway margin: per input token, per output token, per request. */
  maxPrice?: { prompt?: bigint; completion?: bigint; request?: bigint };
  /** `false`: use only the first model, never a fallback. Default true. */
  allowFallbacks?: boolean;
};

/** A model (a Decai service) as the upstream sees it now. */
export type UpstreamModel = {
  /** The service name: the OpenAI `model` id clients send. */
  id: string;
  /** How many suppliers serve it right now; 0 = known but down. */
  suppliers: number;
  /** The service's on-chain id (bytes32), when it has one. */
  serviceId?: string;
  /** Address of the Source that registered it. */
  source?: string;
  /** Digest of the committed model weights. */
  weightsDigest?: string;
  /** Unix seconds it was registered (OpenAI's `created`). */
  created?: number;
  /**
   * `batch`: a service's cheaper, latency-tolerant tier (same weights), listed as `<model>:batch`; batch jobs go
   * there first. Default: `batch` for ids ending in `:batch`, else `interactive`.
   */
  tier?: "interactive" | "batch";
  /** For a batch tier: the id of the interactive model it is the tier of. */
  batchOf?: string;
};

/** One call: the request for one concrete model, after aliases and fallbacks are resolved. */
export type UpstreamRequest = {
  endpoint: Endpoint;
  model: string;
  /** The OpenAI request body with `model` set, gateway-only fields (`models`, `provider`, `route`) removed, and
   * for streams `stream_options.include_usage` on. */
  body: Record<string, unknown>;
  preferences: RoutingPreferences;
  /** Aborted when the client goes away or the gateway gives up: stop generating. */
  signal: AbortSignal;
};

/**
 * The signed relay behind a response (on the Decai network): the request the gateway signed, the supplier's
 * signed receipt, and the exact bytes both digests cover. Non-repudiable evidence of what the supplier answered.
 */
export type SignedRelay = { relay: Relay; requestBody: Uint8Array; responseBody: Uint8Array };

/** A complete response. */
export type UpstreamJson = {
  stream: false;
  /** The OpenAI response object. */
  body: Record<string, unknown>;
  /** Who served it. */
  supplier?: string;
  /** Authoritative usage (e.g. from a signed receipt); else the body's `usage` is read. */
  usage?: TokenUsage;
  /** The signed relay, when the upstream has one (for verification evidence). */
  signed?: SignedRelay;
};

/** A streamed response: the parsed `data:` events, in order, without `[DONE]`. */
export type UpstreamStream = {
  stream: true;
  chunks: AsyncIterable<Record<string, unknown>>;
  supplier?: string;
  /** Read after `chunks` ends: authoritative usage, when the upstream has it beyond the usage chunk. */
  final?: () => { usage?: TokenUsage; supplier?: string; signed?: SignedRelay };
};

export type UpstreamResponse = UpstreamJson | UpstreamStream;

/**
 * Where completions come from. `call` resolves once the response has started (headers for a stream); it throws
 * `UpstreamError` when nothing was served, so the gateway can fall back to the next model.
 *
 * @example
 * const upstream: Upstream = createHttpUpstream({ baseUrl: "http://127.0.0.1:8080/v1" });
 * const res = await upstream.call({ endpoint: "chat.completions", model, body, preferences: {}, signal });
 */
export interface Upstream {
  /** The models it can serve now, with supplier counts. Called at most every `modelsCacheMs`. */
  models(signal?: AbortSignal): Promise<UpstreamModel[]>;
  call(request: UpstreamRequest): Promise<UpstreamResponse>;
  close?(): Promise<void>;
}

/**
 * Why an upstream call served nothing:
 * - `unavailable`: no supplier could take it (down, overloaded, unknown there): try the next model, else 503;
 * - `failed`: the upstream broke (5xx, garbage): try the next model, else 502;
 * - `rejected`: the upstream refused the request itself (4xx): sent to the client as is, no fallback.
 */
export type UpstreamErrorKind = "unavailable" | "failed" | "rejected";

/**
 * An upstream call that served nothing; `status` and `body` carry an upstream's own 4xx for `rejected`.
 *
 * @example
 * throw new UpstreamError("unavailable", "no supplier of tiny-llama answered");
 */
export class UpstreamError extends Error {
  override name = "UpstreamError";

  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    /** The upstream's OpenAI error object, for `rejected`. */
    readonly error?: { message?: string; type?: string; param?: string | null; code?: string | null },
  ) {
    super(message);
  }
}
