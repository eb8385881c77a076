import type { ErrorBody } from "./types.js";

/** HTTP statuses the backends answer with, and what each means here. */
export type ErrorStatus =
  | 400 // malformed request: invalid JSON, prompt longer than the context
  | 404 // unknown model or route
  | 405 // wrong HTTP method for a route
  | 413 // body over the size limit
  | 422 // well-formed JSON with a missing or mistyped parameter
  | 500 // the backend failed
  | 503; // overloaded (queue full), closed, or upstream unreachable

/**
 * An error with an OpenAI-style body (`{"error":{"message","type","param","code"}}`) and an HTTP status.
 * Backends throw it; the HTTP server turns it into the response, and in-process callers can switch on `status`.
 *
 * @example
 * throw new OpenAIError(404, "The model `gpt-9` does not exist; GET /v1/models lists the served ones.", {
 *   param: "model",
 *   code: "model_not_found",
 * });
 */
export class OpenAIError extends Error {
  override name = "OpenAIError";
  /** One of {@link ErrorStatus} for errors raised here; whatever the upstream said for relayed ones. */
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(
    status: ErrorStatus | (number & {}),
    message: string,
    options: { type?: string; param?: string | null; code?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.type = options.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  /** The JSON body to send. @example res.end(JSON.stringify(err.toJSON())) */
  toJSON(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/**
 * Wraps anything thrown into an {@link OpenAIError}: OpenAI errors pass through, aborts become 503
 * (`request_cancelled`), anything else a 500 that keeps the original message.
 *
 * @example
 * catch (err) { const e = toOpenAIError(err); res.writeHead(e.status).end(JSON.stringify(e)); }
 */
export function toOpenAIError(err: unknown): OpenAIError {
  if (err instanceof OpenAIError) return err;
  if (err instanceof Error && err.name === "AbortError") {
    return new OpenAIError(503, "The request was cancelled before it finished.", {
      code: "request_cancelled",
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new OpenAIError(500, `The backend failed: ${message}`, { code: "backend_error", cause: err });
}

/**
 * Thrown by a backend (e.g. the mock's "disconnect-mid-stream" mode) to make the HTTP server drop the connection
 * without a proper end, as a crashing server would.
 *
 * @example
 * throw new BackendDisconnectError();
 */
export class BackendDisconnectError extends Error {
  override name = "BackendDisconnectError";
  constructor(message = "The backend dropped the connection.") {
    super(message);
  }
}

/**
 * 404 for a model this backend does not serve.
 *
 * @example
 * if (request.model !== id) throw modelNotFound(request.model, [id]);
 */
export function modelNotFound(model: string, served: readonly string[]): OpenAIError {
  return new OpenAIError(
    404,
    `The model \`${model}\` does not exist here; this backend serves: ${served.map((m) => `\`${m}\``).join(", ")}.`,
    { param: "model", code: "model_not_found" },
  );
}

/**
 * An `AbortError` like the ones `fetch` and timers throw, for aborting without a reason.
 *
 * @example
 * if (signal?.aborted) throw abortError(signal);
 */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const err = new Error("The operation was aborted.", { cause: reason });
  err.name = "AbortError";
  return err;
}
