import type { ServerResponse } from "node:http";
import { discardBody, maxDiscardBytes } from "@decai/http";

/** Why the gateway refused or failed a request; also the `reason` label of `decai_gateway_refusals_total`. */
export type GatewayErrorCode =
  | "missing_api_key"
  | "invalid_api_key"
  | "api_key_revoked"
  | "model_not_allowed"
  | "model_not_found"
  | "no_model_within_max_price"
  | "invalid_json"
  | "invalid_type"
  | "invalid_value"
  | "missing_required_parameter"
  | "unsupported_parameter"
  | "request_too_large"
  | "unknown_url"
  | "method_not_allowed"
  | "rate_limit_exceeded"
  | "budget_exceeded"
  | "no_suppliers_available"
  | "upstream_error"
  | "invalid_admin_token"
  | "admin_disabled"
  | "key_not_found"
  | "not_found"
  | "not_implemented"
  | "internal_error";

/** OpenAI's error `type`s, so OpenAI SDKs surface the gateway's refusals like theirs. */
export type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "requests"
  | "insufficient_quota"
  | "server_error";

const kinds: Record<GatewayErrorCode, [status: number, type: OpenAiErrorType]> = {
  missing_api_key: [401, "authentication_error"],
  invalid_api_key: [401, "authentication_error"],
  api_key_revoked: [401, "authentication_error"],
  model_not_allowed: [403, "permission_error"],
  model_not_found: [404, "not_found_error"],
  no_model_within_max_price: [404, "not_found_error"],
  invalid_json: [400, "invalid_request_error"],
  invalid_type: [400, "invalid_request_error"],
  invalid_value: [400, "invalid_request_error"],
  missing_required_parameter: [400, "invalid_request_error"],
  unsupported_parameter: [400, "invalid_request_error"],
  request_too_large: [413, "invalid_request_error"],
  unknown_url: [404, "not_found_error"],
  method_not_allowed: [405, "invalid_request_error"],
  rate_limit_exceeded: [429, "requests"],
  budget_exceeded: [429, "insufficient_quota"],
  no_suppliers_available: [503, "server_error"],
  upstream_error: [502, "server_error"],
  invalid_admin_token: [401, "authentication_error"],
  admin_disabled: [404, "not_found_error"],
  key_not_found: [404, "not_found_error"],
  not_found: [404, "not_found_error"],
  not_implemented: [501, "server_error"],
  internal_error: [500, "server_error"],
};

/** Extra facts of an error: the parameter at fault, and when (or whether) a retry can succeed. */
export type GatewayErrorOptions = {
  param?: string | null;
  /** Seconds until a retry can succeed; sent as `retry-after`. */
  retryAfterSeconds?: number;
  /** `false` when retrying cannot help (e.g. a budget without a period): sent as `x-should-retry: false`. */
  retryable?: boolean;
  /** Overrides the status of `code` (upstream errors keep the upstream's 4xx status). */
  status?: number;
};

/**
 * A refused or failed request: an HTTP status, an OpenAI-style error body and a stable `code`.
 *
 * @example
 * throw new GatewayError("model_not_found", "The model `gpt-9` does not exist: GET /v1/models lists them.", {
 *   param: "model",
 * });
 */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean | undefined;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    const [status, type] = kinds[code];
    this.status = options.status ?? status;
    this.type = type;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable;
  }

  /** The OpenAI error object: `{ error: { message, type, param, code } }`. */
  toJSON(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** Response headers that go with this error (`retry-after`, `x-should-retry`). */
  headers(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.retryAfterSeconds !== undefined) h["retry-after"] = String(Math.max(1, this.retryAfterSeconds));
    if (this.retryable !== undefined) h["x-should-retry"] = String(this.retryable);
    return h;
  }
}

/**
 * Wraps anything thrown into a {@link GatewayError}: gateway errors pass through, anything else is a 500 whose
 * message names the cause without leaking a stack.
 *
 * @example
 * catch (error) { sendError(res, toGatewayError(error)) }
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(
    "internal_error",
    `The gateway failed: ${message}. Retry; report it if it persists.`,
  );
}

/**
 * Sends `error` as an OpenAI-style JSON error, unless the response has already started (then it is cut).
 * `bodyUnread`: the request body was left unread; its rest is drained (up to 8 MiB, then the connection is cut).
 *
 * @example
 * sendError(res, new GatewayError("invalid_json", "The request body is not valid JSON."), { "x-request-id": id });
 */
export function sendError(
  res: ServerResponse,
  error: GatewayError,
  headers: Record<string, string> = {},
  bodyUnread = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const send = (cut: boolean) => {
    const body = JSON.stringify(error.toJSON());
    res.writeHead(error.status, {
      ...headers,
      ...error.headers(),
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    // Past the drain limit the connection is closed: the rest of the body is never read.
    if (cut) res.req?.socket.destroySoon();
  };
  // An unread body is drained first (bounded), so a client still sending it receives this answer.
  if (bodyUnread && res.req) discardBody(res.req, maxDiscardBytes, (drained) => send(!drained));
  else send(false);
}
