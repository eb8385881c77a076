import type { Backend, RawRequest, RawResponse, RequestOptions } from "../backend.js";
import { OpenAIError } from "../openai/errors.js";
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from "../openai/parse.js";
import { readSseJson } from "../openai/sse.js";
import type { ErrorBody, ModelList, ModelObject } from "../openai/types.js";
import { withCleanup } from "../stream.js";

/** Options of {@link createUpstreamBackend}. */
export type UpstreamBackendOptions = {
  /**
   * Base URL of the OpenAI-compatible API, including its `/v1`: `http://localhost:11434/v1` (Ollama),
   * `http://localhost:8000/v1` (vLLM), `http://localhost:8080/v1` (llama.cpp server), `http://localhost:1234/v1`
   * (LM Studio).
   */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers on every upstream request. */
  headers?: Record<string, string>;
};

/**
 * A backend that forwards to any OpenAI-compatible server. Over HTTP ({@link createBackendServer}) it is a
 * passthrough: requests are validated, then their bytes are forwarded and the upstream's response (status,
 * content type, every SSE byte) is relayed untouched, so `usage` is the upstream's own. In-process calls parse
 * the upstream's JSON or SSE. Aborting a request (or a client disconnect) aborts the upstream request.
 *
 * @example
 * const backend = createUpstreamBackend({ baseUrl: "http://localhost:11434/v1" });
 * const models = await backend.models();
 */
export function createUpstreamBackend(options: UpstreamBackendOptions): Backend {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const closing = new AbortController();
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...extra,
    ...options.headers,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    "accept-encoding": "identity", // relay bytes exactly as produced
  });

  const call = async (
    method: string,
    path: string,
    body: Uint8Array | string | undefined,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<Response> => {
    if (closing.signal.aborted) throw closedError();
    const url = `${baseUrl}${path}`;
    try {
      return await fetch(url, {
        method,
        headers: headers(extraHeaders),
        ...(body === undefined ? {} : { body }),
        signal: signal ? AbortSignal.any([signal, closing.signal]) : closing.signal,
      });
    } catch (err) {
      if (err instanceof Error && err.name === "AbortError") throw err;
      const detail =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new OpenAIError(503, `The upstream ${url} is unreachable (${detail}). Is it running?`, {
        code: "upstream_unavailable",
        cause: err,
      });
    }
  };

  const postJson = async (path: string, request: unknown, { signal }: RequestOptions): Promise<unknown> => {
    const cancel = new AbortController();
    const linked = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal;
    const json = { "content-type": "application/json" };
    const response = await call("POST", path, JSON.stringify(request), json, linked);
    if (!response.ok) throw await upstreamError(response);
    const streamed = response.headers.get("content-type")?.startsWith("text/event-stream");
    if (!streamed || !response.body) return response.json();
    return withCleanup(readSseJson(response.body), () => cancel.abort(), linked);
  };

  return {
    async models({ signal } = {}): Promise<ModelObject[]> {
      const response = await call("GET", "/models", undefined, {}, signal);
      if (!response.ok) throw await upstreamError(response);
      return ((await response.json()) as ModelList).data;
    },
    async chat(request, options = {}) {
      parseChatRequest(request);
      return (await postJson("/chat/completions", request, options)) as never;
    },
    async complete(request, options = {}) {
      parseCompletionRequest(request);
      return (await postJson("/completions", request, options)) as never;
    },
    async embed(request, options = {}) {
      parseEmbeddingRequest(request);
      return (await postJson("/embeddings", request, options)) as never;
    },
    async passthrough(raw: RawRequest, { signal } = {}): Promise<RawResponse> {
      const path = raw.path.replace(/^\/v1(?=\/|$)/, "");
      const body = raw.method === "GET" || raw.method === "HEAD" ? undefined : raw.body;
      const response = await call(raw.method, path, body, raw.headers, signal);
      const empty = (async function* () {})();
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: response.body ?? empty,
      };
    },
    async close() {
      closing.abort();
    },
  };
}

async function upstreamError(response: Response): Promise<OpenAIError> {
  const text = await response.text().catch(() => "");
  try {
    const { error } = JSON.parse(text) as Partial<ErrorBody>;
    if (error && typeof error.message === "string") {
      return new OpenAIError(response.status, error.message, {
        type: error.type ?? "upstream_error",
        param: error.param ?? null,
        code: error.code ?? null,
      });
    }
  } catch {
    // not an OpenAI error body: report the raw text below
  }
  return new OpenAIError(response.status, `The upstream answered ${response.status}: ${text.slice(0, 500)}`, {
    code: "upstream_error",
  });
}

const closedError = () =>
  new OpenAIError(503, "The backend is shutting down and takes no new requests.", { code: "backend_closed" });
