import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  ModelObject,
} from "./openai/types.js";

/** Per-call options. Aborting `signal` cancels queueing or generation and frees the sequence. */
export type RequestOptions = { signal?: AbortSignal | undefined };

/** A streamed chat completion; breaking out of the loop cancels generation. */
export type ChatCompletionStream = AsyncIterable<ChatCompletionChunk>;
/** A streamed text completion; breaking out of the loop cancels generation. */
export type CompletionStream = AsyncIterable<CompletionChunk>;

/** `stream: true` gives a stream, `stream` false or absent a complete object, an unknown boolean either. */
export type ResultFor<R, Whole, Stream> = R extends { stream: true }
  ? Stream
  : R extends { stream?: false | null | undefined }
    ? Whole
    : Whole | Stream;

/** An HTTP request as received, for backends that forward bytes untouched. */
export type RawRequest = {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
};

/** An HTTP response to relay as is. */
export type RawResponse = {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
};

/**
 * An LLM backend: what a RelayMiner calls in-process and what {@link createBackendServer} exposes over HTTP.
 * Every method validates its input (it may come straight from a client) and throws `OpenAIError`s. Streams
 * return only once the request is admitted (validated, queued, started), so errors still come before any
 * byte of the response; with `stream_options.include_usage` they end with a usage chunk.
 */
export interface Backend {
  /** The models served, as `GET /v1/models` lists them. */
  models(options?: RequestOptions): Promise<ModelObject[]>;
  /** `POST /v1/chat/completions`. */
  chat<const R extends ChatCompletionRequest>(
    request: R,
    options?: RequestOptions,
  ): Promise<ResultFor<R, ChatCompletion, ChatCompletionStream>>;
  /** `POST /v1/completions`. */
  complete<const R extends CompletionRequest>(
    request: R,
    options?: RequestOptions,
  ): Promise<ResultFor<R, Completion, CompletionStream>>;
  /** `POST /v1/embeddings`. */
  embed(request: EmbeddingRequest, options?: RequestOptions): Promise<EmbeddingResponse>;
  /**
   * Optional: forward a validated request's raw bytes and relay the raw response (status, headers, body chunk
   * by chunk). When present, the HTTP server uses it instead of the methods above, so nothing is re-encoded.
   */
  passthrough?(request: RawRequest, options?: RequestOptions): Promise<RawResponse>;
  /** Cancels what is running, refuses new work, and frees the model. */
  close(): Promise<void>;
}

/**
 * Tells a stream from a complete response, for callers holding a union.
 *
 * @example
 * const result = await backend.chat(request);
 * if (isStream(result)) for await (const chunk of result) use(chunk);
 */
export function isStream<T>(value: T): value is Extract<T, AsyncIterable<unknown>> {
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function";
}
