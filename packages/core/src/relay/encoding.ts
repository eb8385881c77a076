import { type Address, checksumAddress, type Hex } from "viem";
import { MalformedRelayError } from "./errors.js";
import type { Relay } from "./types.js";
import { toHexString, writeAddress, writeBytes32, writeUint32, writeUint64 } from "./words.js";

// abi.encode(RelayRequest, bytes, RelayResponse, bytes): both tuples are static, so the head is 7 + 1 + 4 + 1
// words and the two signatures follow as (length word, data right-padded to 32 bytes).
const headSize = 13 * 32;
const requestSignatureOffsetAt = 7 * 32;
const responseSignatureOffsetAt = 12 * 32;
// [word index, value bits] of head fields narrower than a word; their high bits must be zero.
const narrowWords: readonly (readonly [number, number, string])[] = [
  [0, 160, "request.application"],
  [2, 64, "request.session"],
  [3, 160, "request.supplier"],
  [5, 32, "request.maxTokens"],
  [6, 64, "request.nonce"],
  [10, 32, "response.inputTokens"],
  [11, 32, "response.outputTokens"],
];

const padded = (length: number) => Math.ceil(length / 32) * 32;

function signatureBytes(signature: Hex, field: string): Buffer {
  const bytes =
    typeof signature === "string" && signature.startsWith("0x")
      ? Buffer.from(signature.slice(2), "hex")
      : null;
  if (bytes === null || bytes.length * 2 + 2 !== signature.length) {
    throw new TypeError(`${field} must be 0x-prefixed hex with an even number of digits`);
  }
  return bytes;
}

/**
 * The canonical binary form of a relay: `abi.encode(request, requestSignature, response, responseSignature)`,
 * what `RelayLib.decodeRelay` reads on chain and what proofs carry.
 *
 * @example
 * const bytes = encodeRelay(relay); // "0x…" (672 bytes with 65-byte signatures)
 */
export function encodeRelay(relay: Relay): Hex {
  const { request, response } = relay;
  const requestSignature = signatureBytes(relay.requestSignature, "requestSignature");
  const responseSignature = signatureBytes(relay.responseSignature, "responseSignature");
  const requestSignatureAt = headSize;
  const responseSignatureAt = requestSignatureAt + 32 + padded(requestSignature.length);
  const out = Buffer.alloc(responseSignatureAt + 32 + padded(responseSignature.length));
  writeAddress(out, 0, request.application, "request.application");
  writeBytes32(out, 32, request.serviceId, "request.serviceId");
  writeUint64(out, 64, request.session, "request.session");
  writeAddress(out, 96, request.supplier, "request.supplier");
  writeBytes32(out, 128, request.requestDigest, "request.requestDigest");
  writeUint32(out, 160, request.maxTokens, "request.maxTokens");
  writeUint64(out, 192, request.nonce, "request.nonce");
  out.writeUInt32BE(requestSignatureAt, requestSignatureOffsetAt + 28);
  writeBytes32(out, 256, response.requestHash, "response.requestHash");
  writeBytes32(out, 288, response.responseDigest, "response.responseDigest");
  writeUint32(out, 320, response.inputTokens, "response.inputTokens");
  writeUint32(out, 352, response.outputTokens, "response.outputTokens");
  out.writeUInt32BE(responseSignatureAt, responseSignatureOffsetAt + 28);
  out.writeUInt32BE(requestSignature.length, requestSignatureAt + 28);
  requestSignature.copy(out, requestSignatureAt + 32);
  out.writeUInt32BE(responseSignature.length, responseSignatureAt + 28);
  responseSignature.copy(out, responseSignatureAt + 32);
  return toHexString(out);
}

/** Whether bytes [from, to) of `data` are all zero. */
function isZero(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0) return false;
  return true;
}

/** Reads a word that must be a small length or offset; returns -1 when it is too large to be one. */
function readSize(data: Buffer, at: number): number {
  return isZero(data, at, at + 28) ? data.readUInt32BE(at + 28) : -1;
}

/** Checks the `bytes` tail at `at` and returns where it ends; mirrors `RelayLib._checkBytes`. */
function checkBytesTail(data: Buffer, at: number, field: string): number {
  if (data.length < at + 32) {
    throw new MalformedRelayError(`truncated before the length of ${field} (${data.length} bytes)`);
  }
  const length = readSize(data, at);
  if (length < 0 || length > data.length) {
    throw new MalformedRelayError(`${field} declares a length larger than the input`);
  }
  const end = at + 32 + padded(length);
  if (end > data.length) {
    throw new MalformedRelayError(`truncated inside ${field}: need ${end} bytes, got ${data.length}`);
  }
  if (!isZero(data, at + 32 + length, end)) throw new MalformedRelayError(`non-zero padding after ${field}`);
  return end;
}

function readAddress(data: Buffer, at: number): Address {
  return checksumAddress(toHexString(data.subarray(at + 12, at + 32)));
}

/**
 * Decodes `encodeRelay` bytes, accepting only the canonical encoding: exact length (no trailing data), standard
 * offsets, zero padding and in-range integers, exactly what `RelayLib.decodeRelay` accepts. Throws
 * `MalformedRelayError` (code "RelayMalformed") otherwise. It does not check signatures: see `verifyRelay`.
 *
 * @example
 * const relay = decodeRelay(bytes);
 */
export function decodeRelay(encoded: Hex | Uint8Array): Relay {
  let data: Buffer;
  if (typeof encoded === "string") {
    data = Buffer.from(encoded.slice(2), "hex");
    if (!encoded.startsWith("0x") || data.length * 2 + 2 !== encoded.length) {
      throw new MalformedRelayError("not 0x-prefixed hex with an even number of digits");
    }
  } else if (encoded instanceof Uint8Array) {
    data = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  } else {
    throw new MalformedRelayError("expected hex or bytes");
  }
  if (data.length < headSize + 32) {
    throw new MalformedRelayError(
      `truncated: ${data.length} bytes is shorter than the ${headSize + 32}-byte minimum`,
    );
  }
  for (const [word, bits, field] of narrowWords) {
    if (!isZero(data, word * 32, word * 32 + 32 - bits / 8)) {
      throw new MalformedRelayError(`${field} does not fit in ${bits} bits`);
    }
  }
  if (readSize(data, requestSignatureOffsetAt) !== headSize) {
    throw new MalformedRelayError(`requestSignature offset is not the canonical ${headSize}`);
  }
  const requestSignatureEnd = checkBytesTail(data, headSize, "requestSignature");
  if (readSize(data, responseSignatureOffsetAt) !== requestSignatureEnd) {
    throw new MalformedRelayError(`responseSignature offset is not the canonical ${requestSignatureEnd}`);
  }
  const end = checkBytesTail(data, requestSignatureEnd, "responseSignature");
  if (end !== data.length) {
    throw new MalformedRelayError(`${data.length - end} trailing bytes after the ${end}-byte relay`);
  }
  const requestSignatureLength = data.readUInt32BE(headSize + 28);
  const responseSignatureLength = data.readUInt32BE(requestSignatureEnd + 28);
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
    requestSignature: toHexString(data.subarray(headSize + 32, headSize + 32 + requestSignatureLength)),
    response: {
      requestHash: toHexString(data.subarray(256, 288)),
      responseDigest: toHexString(data.subarray(288, 320)),
      inputTokens: data.readUInt32BE(320 + 28),
      outputTokens: data.readUInt32BE(352 + 28),
    },
    responseSignature: toHexString(
      data.subarray(requestSignatureEnd + 32, requestSignatureEnd + 32 + responseSignatureLength),
    ),
  };
}
