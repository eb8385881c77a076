import type { Hex } from "viem";
import { keccak256Bytes } from "./keccak.js";
import { relayRequestTypeHash, relayResponseTypeHash, writeDomainSeparator } from "./typedData.js";
import type { Relay, RelayDomainInput, RelayRequest, RelayResponse } from "./types.js";
import { toHexString, writeAddress, writeBytes32, writeUint32, writeUint64 } from "./words.js";

// Reused scratch buffers: JS runs one call at a time and nothing here awaits, so sharing them is safe and keeps
// the per-relay cost to the keccak outputs.
const requestScratch = Buffer.alloc(8 * 32);
requestScratch.write(relayRequestTypeHash.slice(2), 0, 32, "hex");
const responseScratch = Buffer.alloc(5 * 32);
responseScratch.write(relayResponseTypeHash.slice(2), 0, 32, "hex");
// "\x19\x01" || domainSeparator || structHash
const digestScratch = Buffer.alloc(2 + 32 + 32);
digestScratch[0] = 0x19;
digestScratch[1] = 0x01;

function typedDataDigest(domain: RelayDomainInput, structHash: Uint8Array): Uint8Array {
  writeDomainSeparator(digestScratch, 2, domain);
  digestScratch.set(structHash, 34);
  return keccak256Bytes(digestScratch);
}

/**
 * EIP-712 digest of a request as bytes (what gets signed and recovered).
 * @internal
 */
export function hashRelayRequestBytes(request: RelayRequest, domain: RelayDomainInput): Uint8Array {
  if (request === null || typeof request !== "object") throw new TypeError("request must be a RelayRequest");
  const b = requestScratch;
  writeAddress(b, 32, request.application, "request.application");
  writeBytes32(b, 64, request.serviceId, "request.serviceId");
  writeUint64(b, 96, request.session, "request.session");
  writeAddress(b, 128, request.supplier, "request.supplier");
  writeBytes32(b, 160, request.requestDigest, "request.requestDigest");
  writeUint32(b, 192, request.maxTokens, "request.maxTokens");
  writeUint64(b, 224, request.nonce, "request.nonce");
  return typedDataDigest(domain, keccak256Bytes(b));
}

/**
 * EIP-712 digest of a response as bytes (what gets signed and recovered).
 * @internal
 */
export function hashRelayResponseBytes(response: RelayResponse, domain: RelayDomainInput): Uint8Array {
  if (response === null || typeof response !== "object")
    throw new TypeError("response must be a RelayResponse");
  const b = responseScratch;
  writeBytes32(b, 32, response.requestHash, "response.requestHash");
  writeBytes32(b, 64, response.responseDigest, "response.responseDigest");
  writeUint32(b, 96, response.inputTokens, "response.inputTokens");
  writeUint32(b, 128, response.outputTokens, "response.outputTokens");
  return typedDataDigest(domain, keccak256Bytes(b));
}

/**
 * The EIP-712 digest of a relay request (`RelayLib.hashRequest`): what the application or gateway signs and
 * what the supplier's response commits to in `requestHash`.
 *
 * @example
 * const requestHash = hashRelayRequest(request, { chainId: 31337, verifyingContract });
 */
export function hashRelayRequest(request: RelayRequest, domain: RelayDomainInput): Hex {
  return toHexString(hashRelayRequestBytes(request, domain));
}

/**
 * The EIP-712 digest of a relay response (`RelayLib.hashResponse`): what the supplier signs.
 *
 * @example
 * const responseHash = hashRelayResponse(response, { chainId: 31337, verifyingContract });
 */
export function hashRelayResponse(response: RelayResponse, domain: RelayDomainInput): Hex {
  return toHexString(hashRelayResponseBytes(response, domain));
}

/**
 * The relay's mining hash: the EIP-712 digest of its request (`RelayLib.relayHash`). It ignores the response
 * and both signatures on purpose, so a supplier cannot grind the difficulty by re-signing or editing the
 * response; the application's nonce is the only entropy.
 *
 * @example
 * if (isRewardApplicable(relayHash(relay, domain), target)) tree.insert(...);
 */
export function relayHash(relay: Pick<Relay, "request">, domain: RelayDomainInput): Hex {
  return hashRelayRequest(relay.request, domain);
}
