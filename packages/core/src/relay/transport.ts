// How signed relay halves travel over HTTP. The request rides in a header so the body reaches the backend
// byte for byte (its digest is what was signed); the response rides in a header (non-streaming) or in a final
// SSE event (streaming), because a streamed body's digest is only known after its last chunk.
import { type Address, checksumAddress, type Hex } from "viem";
import type { RelayRequest, RelayResponse } from "./types.js";
import { toHexString, writeAddress, writeBytes32, writeUint32, writeUint64 } from "./words.js";

/** HTTP header carrying the signed relay request (client → RelayMiner). */
export const relayRequestHeaderName = "Decai-Relay-Request";
/** HTTP header carrying the signed relay response of a non-streaming answer (RelayMiner → client). */
export const relayResponseHeaderName = "Decai-Relay-Response";
/** SSE event name of the signed relay response that ends a streamed answer. */
export const relayResponseEventName = "decai-relay-response";

/** A relay request with the application's (or its gateway's) 65-byte signature. */
export type SignedRelayRequest = { request: RelayRequest; signature: Hex };
/** A relay response with the supplier's 65-byte signature. */
export type SignedRelayResponse = { response: RelayResponse; signature: Hex };

/**
 * A relay header or event that is not the canonical encoding; `part` says which half of the relay it carried.
 *
 * @example
 * try { decodeRelayRequestHeader(value) } catch (e) { if (e instanceof RelayTransportError) reply(400, e.message) }
 */
export class RelayTransportError extends Error {
  override name = "RelayTransportError";
  constructor(
    readonly part: "request" | "response",
    detail: string,
  ) {
    const how = part === "request" ? "encodeRelayRequestHeader" : "encodeRelayResponseHeader";
    super(`Malformed relay ${part} header: ${detail}. Encode it with ${how}().`);
  }
}

const signatureLength = 65;
// abi.encode(tuple, bytes): the static tuple inline, one offset word, then the length word and the data.
const requestHead = 8 * 32;
const responseHead = 5 * 32;
const paddedSignature = Math.ceil(signatureLength / 32) * 32;
const requestSize = requestHead + 32 + paddedSignature;
const responseSize = responseHead + 32 + paddedSignature;
// [word, bits, field] of fields narrower than a word: their high bits must be zero.
const requestNarrow = [
  [0, 160, "application"],
  [2, 64, "session"],
  [3, 160, "supplier"],
  [5, 32, "maxTokens"],
  [6, 64, "nonce"],
] as const;
const responseNarrow = [
  [2, 32, "inputTokens"],
  [3, 32, "outputTokens"],
] as const;

function writeSignature(out: Buffer, head: number, signature: Hex, part: "request" | "response"): void {
  const ok = typeof signature === "string" && signature.length === 2 + 2 * signatureLength;
  if (
    !ok ||
    !signature.startsWith("0x") ||
    out.write(signature.slice(2), head + 32, "hex") !== signatureLength
  ) {
    throw new TypeError(
      `${part} signature must be 0x-prefixed hex of ${signatureLength} bytes (r || s || v)`,
    );
  }
  out.writeUInt32BE(head, head - 4);
  out.writeUInt32BE(signatureLength, head + 28);
}

/**
 * Encodes a signed relay request for the `Decai-Relay-Request` header: base64url (no padding) of
 * `abi.encode(RelayRequest, bytes signature)`.
 *
 * @example
 * headers[relayRequestHeaderName] = encodeRelayRequestHeader({ request, signature: signRelayRequest({ request, domain, privateKey }) });
 */
export function encodeRelayRequestHeader({ request, signature }: SignedRelayRequest): string {
  const out = Buffer.alloc(requestSize);
  writeAddress(out, 0, request.application, "request.application");
  writeBytes32(out, 32, request.serviceId, "request.serviceId");
  writeUint64(out, 64, request.session, "request.session");
  writeAddress(out, 96, request.supplier, "request.supplier");
  writeBytes32(out, 128, request.requestDigest, "request.requestDigest");
  writeUint32(out, 160, request.maxTokens, "request.maxTokens");
  writeUint64(out, 192, request.nonce, "request.nonce");
  writeSignature(out, requestHead, signature, "request");
  return out.toString("base64url");
}

/**
 * Encodes a signed relay response for the `Decai-Relay-Response` header (and the final SSE event): base64url
 * (no padding) of `abi.encode(RelayResponse, bytes signature)`.
 *
 * @example
 * res.setHeader(relayResponseHeaderName, encodeRelayResponseHeader({ response, signature }));
 */
export function encodeRelayResponseHeader({ response, signature }: SignedRelayResponse): string {
  const out = Buffer.alloc(responseSize);
  writeBytes32(out, 0, response.requestHash, "response.requestHash");
  writeBytes32(out, 32, response.responseDigest, "response.responseDigest");
  writeUint32(out, 64, response.inputTokens, "response.inputTokens");
  writeUint32(out, 96, response.outputTokens, "response.outputTokens");
  writeSignature(out, responseHead, signature, "response");
  return out.toString("base64url");
}

function isZero(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0) return false;
  return true;
}

const base64url = /^[A-Za-z0-9_-]*$/;

/** Strict base64url → bytes of exactly `size` bytes, canonical (no padding, no stray bits). */
function decodeBase64url(value: unknown, size: number, part: "request" | "response"): Buffer {
  if (typeof value !== "string" || value.length === 0) throw new RelayTransportError(part, "it is empty");
  if (!base64url.test(value)) {
    throw new RelayTransportError(part, "it is not base64url (A-Z a-z 0-9 - _, no padding)");
  }
  const data = Buffer.from(value, "base64url");
  if (data.length !== size) {
    throw new RelayTransportError(part, `it decodes to ${data.length} bytes, expected ${size}`);
  }
  if (data.toString("base64url") !== value) {
    throw new RelayTransportError(part, "it is not canonical base64url");
  }
  return data;
}

/** Checks the offset word, the length word and the zero padding of the 65-byte signature tail. */
function readSignature(data: Buffer, head: number, part: "request" | "response"): Hex {
  if (!isZero(data, head - 32, head - 4) || data.readUInt32BE(head - 4) !== head) {
    throw new RelayTransportError(part, `the signature offset is not the canonical ${head}`);
  }
  if (!isZero(data, head, head + 28) || data.readUInt32BE(head + 28) !== signatureLength) {
    throw new RelayTransportError(part, `the signature is not ${signatureLength} bytes`);
  }
  if (!isZero(data, head + 32 + signatureLength, data.length)) {
    throw new RelayTransportError(part, "non-zero padding after the signature");
  }
  return toHexString(data.subarray(head + 32, head + 32 + signatureLength));
}

function checkNarrow(
  data: Buffer,
  fields: readonly (readonly [number, number, string])[],
  part: "request" | "response",
) {
  for (const [word, bits, field] of fields) {
    if (!isZero(data, word * 32, word * 32 + 32 - bits / 8)) {
      throw new RelayTransportError(part, `${field} does not fit in ${bits} bits`);
    }
  }
}

function readAddress(data: Buffer, at: number): Address {
  return checksumAddress(toHexString(data.subarray(at + 12, at + 32)));
}

/**
 * Decodes a `Decai-Relay-Request` header value, accepting only the canonical encoding (exact length, canonical
 * offset, zero padding, in-range integers, a 65-byte signature). Throws `RelayTransportError` otherwise. It does
 * not check the signature: recover the signer with `recoverRelayRequestSigner`.
 *
 * @example
 * const { request, signature } = decodeRelayRequestHeader(req.headers["decai-relay-request"]);
 */
export function decodeRelayRequestHeader(value: string): SignedRelayRequest {
  const data = decodeBase64url(value, requestSize, "request");
  checkNarrow(data, requestNarrow, "request");
  const signature = readSignature(data, requestHead, "request");
  return {
    request: {
      application: readAddress(data, 0),
      serviceId: toHexString(data.subarray(32, 64)),
      session: data.readBigUInt64BE(64 + 24),
      supplier: readAddress(data, 96),
      requestDigest: toHexString(data.subarray(128, 160)),
      maxTokens: data.readUInt32BE(160 + 28),
      nonce: data.readBigUInt64BE(192 + 24),
    },
    signature,
  };
}

/**
 * Decodes a `Decai-Relay-Response` header value (or the data of the final SSE event), as strictly as
 * `decodeRelayRequestHeader`. Check it with `verifyRelay` once combined with the request.
 *
 * @example
 * const { response, signature } = decodeRelayResponseHeader(res.headers.get(relayResponseHeaderName)!);
 */
export function decodeRelayResponseHeader(value: string): SignedRelayResponse {
  const data = decodeBase64url(value, responseSize, "response");
  checkNarrow(data, responseNarrow, "response");
  const signature = readSignature(data, responseHead, "response");
  return {
    response: {
      requestHash: toHexString(data.subarray(0, 32)),
      responseDigest: toHexString(data.subarray(32, 64)),
      inputTokens: data.readUInt32BE(64 + 28),
      outputTokens: data.readUInt32BE(96 + 28),
    },
    signature,
  };
}

const eventPrefix = `event: ${relayResponseEventName}\ndata: `;

/**
 * The SSE event that ends a streamed relay: `event: decai-relay-response\ndata: <base64url>\n\n`, sent after the
 * backend's `data: [DONE]`. It is not part of the response digest (it carries it).
 *
 * @example
 * res.end(formatRelayResponseEvent({ response, signature }));
 */
export function formatRelayResponseEvent(signed: SignedRelayResponse): string {
  return `${eventPrefix}${encodeRelayResponseHeader(signed)}\n\n`;
}

/**
 * Splits a complete streamed answer into the body the response digest covers and the signed response of its
 * final `decai-relay-response` event. Throws `RelayTransportError` when the stream does not end with exactly one
 * such event (e.g. the connection was cut before the receipt arrived).
 *
 * @example
 * const { body, response } = splitRelayResponseEvent(await res.text());
 * computeResponseDigest(body) === response.response.responseDigest; // true for an honest supplier
 */
export function splitRelayResponseEvent(stream: string): { body: string; response: SignedRelayResponse } {
  const at = stream.lastIndexOf(eventPrefix);
  if (at < 0 || (at > 0 && !stream.startsWith("\n\n", at - 2))) {
    throw new RelayTransportError(
      "response",
      `the stream does not end with a "${relayResponseEventName}" event`,
    );
  }
  if (!stream.endsWith("\n\n") || stream.indexOf("\n", at + eventPrefix.length) !== stream.length - 2) {
    throw new RelayTransportError(
      "response",
      `the "${relayResponseEventName}" event is not the stream's last`,
    );
  }
  const value = stream.slice(at + eventPrefix.length, stream.length - 2);
  return { body: stream.slice(0, at), response: decodeRelayResponseHeader(value) };
}
