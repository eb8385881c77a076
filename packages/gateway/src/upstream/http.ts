import type { Endpoint } from "../usage.js";
import { sseEvents } from "./sse.js";
import {
  type Upstream,
  UpstreamError,
  type UpstreamError as UpstreamErrorType,
  type UpstreamModel,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./types.js";

/** Options of {@link createHttpUpstream}. */
export type HttpUpstreamOptions = {
  /** OpenAI-style base URL, with the version: `http://127.0.0.1:8080/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` (an OpenAI-compatible provider's key). */
  apiKey?: string;
  headers?: Record<string, string>;
  /** The models served; omit to ask the upstream's `GET /models`. */
  models?: readonly (Omit<UpstreamModel, "suppliers"> & { suppliers?: number })[];
  /** How long the upstream may take to send response headers. Default 120 s. */
  headersTimeoutMs?: number;
  /** The `supplier` recorded in usage. Default: the base URL's origin. */
  name?: string;
};

const paths: Record<Endpoint, string> = {
  "chat.completions": "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
};

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}

async function errorOf(res: Response, model: string, base: string): Promise<UpstreamErrorType> {
  let error: UpstreamErrorType["error"];
  try {
    const json = (await res.json()) as { error?: unknown };
    if (json?.error && typeof json.error === "object") error = json.error as UpstreamErrorType["error"];
    else if (typeof json?.error === "string") error = { message: json.error };
  } catch {}
  const detail = error?.message ? `: ${error.message}` : "";
  // 404 (model unknown there), 429 (busy) and 503 mean "not here, try elsewhere"; other 4xx judge the request.
  if (res.status === 404 || res.status === 429 || res.status === 503) {
    return new UpstreamError(
      "unavailable",
      `${base} cannot serve ${model} now (HTTP ${res.status}${detail})`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    // The gateway's own credentials upstream, not the client's: an operator problem, never the client's 401.
    return new UpstreamError(
      "failed",
      `${base} refused the gateway's credentials (HTTP ${res.status}${detail})`,
    );
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 408) {
    return new UpstreamError("rejected", `${base} refused the request${detail}`, res.status, error);
  }
  return new UpstreamError("failed", `${base} failed with HTTP ${res.status}${detail}`, res.status);
}

/**
 * An upstream that forwards to one OpenAI-compatible server (an LLM backend, a RelayMiner's backend, Ollama,
 * vLLM, llama.cpp's server, or another gateway): streams pass through event by event, aborts cancel the request.
 *
 * @example
 * const upstream = createHttpUpstream({ baseUrl: "http://127.0.0.1:8080/v1", models: [{ id: "tiny-llama" }] });
 * const gateway = await Gateway.start({ store, upstream });
 */
export function createHttpUpstream(options: HttpUpstreamOptions): Upstream {
  const base = options.baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(base)) {
    throw new TypeError(
      `baseUrl must be an http(s) URL such as http://127.0.0.1:8080/v1, got "${options.baseUrl}"`,
    );
  }
  const name = options.name ?? new URL(base).origin;
  const headersTimeoutMs = options.headersTimeoutMs ?? 120_000;
  const headers: Record<string, string> = {
    ...options.headers,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };

  async function models(signal?: AbortSignal): Promise<UpstreamModel[]> {
    if (options.models) return options.models.map((m) => ({ ...m, suppliers: m.suppliers ?? 1 }));
    let res: Response;
    try {
      res = await fetch(`${base}/models`, { headers, ...(signal ? { signal } : {}) });
    } catch (error) {
      throw new UpstreamError("unavailable", `${base}/models is unreachable (${causeOf(error)})`);
    }
    if (!res.ok) throw await errorOf(res, "models", base);
    const json = (await res.json()) as { data?: { id?: unknown; created?: unknown }[] };
    return (json.data ?? [])
      .filter((m) => typeof m?.id === "string")
      .map((m) => ({
        id: m.id as string,
        suppliers: 1,
        ...(typeof m.created === "number" ? { created: m.created } : {}),
      }));
  }

  async function call(request: UpstreamRequest): Promise<UpstreamResponse> {
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error(`no response headers within ${headersTimeoutMs} ms`)),
      headersTimeoutMs,
    );
    const signal = AbortSignal.any([request.signal, timeout.signal]);
    let res: Response;
    try {
      res = await fetch(`${base}${paths[request.endpoint]}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(request.body),
        signal,
      });
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason ?? error;
      const why = timeout.signal.aborted ? (timeout.signal.reason as Error).message : causeOf(error);
      throw new UpstreamError("unavailable", `${base} is unreachable (${why})`);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw await errorOf(res, request.model, base);
    const type = res.headers.get("content-type") ?? "";
    if (request.body.stream === true && type.includes("text/event-stream") && res.body) {
      return { stream: true, supplier: name, chunks: chunksOf(res.body, base) };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason ?? error;
      throw new UpstreamError("failed", `${base} answered with something that is not JSON`);
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw new UpstreamError("failed", `${base} answered with JSON that is not an object`);
    }
    return { stream: false, supplier: name, body: body as Record<string, unknown> };
  }

  return { models, call };
}

/** The JSON events of an OpenAI stream; an `error` event or a stream cut before `[DONE]` throws. */
async function* chunksOf(
  body: AsyncIterable<Uint8Array>,
  base: string,
): AsyncGenerator<Record<string, unknown>> {
  for await (const data of sseEvents(body)) {
    if (data === "[DONE]") return;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new UpstreamError("failed", `${base} streamed an event that is not JSON`);
    }
    if (!chunk || typeof chunk !== "object") continue;
    const error = (chunk as { error?: { message?: string } }).error;
    if (error)
      throw new UpstreamError("failed", `${base} failed mid-stream: ${error.message ?? "unknown error"}`);
    yield chunk as Record<string, unknown>;
  }
  throw new UpstreamError("failed", `${base} ended the stream before [DONE]`);
}
