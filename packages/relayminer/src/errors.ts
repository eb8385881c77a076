import type { ServerResponse } from "node:http";
import { discardBody, maxDiscardBytes } from "@decai/http";

/** Why a relay was refused; also the `reason` label of `decai_relays_rejected_total`. */
export type RejectionCode =
  | "relay_request_missing"
  | "relay_request_malformed"
  | "invalid_relay_signature"
  | "wrong_supplier"
  | "model_not_found"
  | "unknown_url"
  | "method_not_allowed"
  | "session_not_started"
  | "session_expired"
  | "session_not_ready"
  | "application_not_staked"
  | "signer_not_delegated"
  | "service_not_staked"
  | "supplier_not_in_session"
  | "request_too_large"
  | "request_digest_mismatch"
  | "invalid_json"
  | "max_tokens_exceeds_relay"
  | "relay_replayed"
  | "insufficient_quota"
  | "backend_unavailable"
  | "backend_error"
  | "store_unavailable"
  | "supplier_paused"
  | "internal_error";

/** OpenAI's error `type`s, so OpenAI SDKs surface our refusals like theirs. */
type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "insufficient_quota"
  | "api_error";

const kinds: Record<RejectionCode, [status: number, type: OpenAiErrorType]> = {
  relay_request_missing: [401, "authentication_error"],
  relay_request_malformed: [400, "invalid_request_error"],
  invalid_relay_signature: [401, "authentication_error"],
  wrong_supplier: [421, "invalid_request_error"],
  model_not_found: [404, "not_found_error"],
  unknown_url: [404, "not_found_error"],
  method_not_allowed: [405, "invalid_request_error"],
  session_not_started: [400, "invalid_request_error"],
  session_expired: [400, "invalid_request_error"],
  session_not_ready: [503, "api_error"],
  application_not_staked: [403, "permission_error"],
  signer_not_delegated: [403, "permission_error"],
  service_not_staked: [403, "permission_error"],
  supplier_not_in_session: [403, "permission_error"],
  request_too_large: [413, "invalid_request_error"],
  request_digest_mismatch: [400, "invalid_request_error"],
  invalid_json: [400, "invalid_request_error"],
  max_tokens_exceeds_relay: [400, "invalid_request_error"],
  relay_replayed: [409, "invalid_request_error"],
  insufficient_quota: [429, "insufficient_quota"],
  backend_unavailable: [502, "api_error"],
  backend_error: [502, "api_error"],
  store_unavailable: [503, "api_error"],
  supplier_paused: [503, "api_error"],
  internal_error: [500, "api_error"],
};

/**
 * A refused relay: an HTTP status, an OpenAI-style error body and a stable `code` (the metrics reason).
 *
 * @example
 * throw new RelayRejection("signer_not_delegated", `${signer} may not sign for ${app} in session ${session}`);
 */
export class RelayRejection extends Error {
  override name = "RelayRejection";
  readonly status: number;
  readonly type: OpenAiErrorType;

  constructor(
    readonly code: RejectionCode,
    message: string,
    readonly param: string | null = null,
    /** Seconds until a retry may succeed; sent as `retry-after`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    const [status, type] = kinds[code];
    this.status = status;
    this.type = type;
  }

  /** The OpenAI error body: `{ error: { message, type, param, code } }`. */
  body(): string {
    return JSON.stringify({
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    });
  }
}

/**
 * Sends `rejection` as an OpenAI-style JSON error, unless the response has already started (then it is cut).
 *
 * @example
 * sendRejection(res, new RelayRejection("relay_replayed", "this relay was already served"));
 */
export function sendRejection(res: ServerResponse, rejection: RelayRejection, bodyUnread = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const send = (cut: boolean) => {
    const body = rejection.body();
    res.writeHead(rejection.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...(rejection.retryAfterSeconds !== undefined
        ? { "retry-after": String(Math.max(1, Math.ceil(rejection.retryAfterSeconds))) }
        : {}),
    });
    res.end(body);
    // Past the drain limit the connection is closed: the rest of the body is never read.
    if (cut) res.req?.socket.destroySoon();
  };
  // An unread body is drained first (bounded), so a client still sending it receives this answer.
  if (bodyUnread && res.req) discardBody(res.req, maxDiscardBytes, (drained) => send(!drained));
  else send(false);
}
