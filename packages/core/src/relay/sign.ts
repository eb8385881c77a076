import type { Address, Hex } from "viem";
import { hashRelayRequestBytes, hashRelayResponseBytes } from "./hash.js";
import { type PrivateKey, recoverDigest, signDigest } from "./signature.js";
import type { RelayDomainInput, RelayRequest, RelayResponse } from "./types.js";
import { toHexString } from "./words.js";

export type { PrivateKey } from "./signature.js";

/**
 * Signs a relay request as its application, or as a gateway the application delegated to. Returns the 65-byte
 * r || s || v signature (low s, v = 27/28), byte-identical to viem's `signTypedData`.
 *
 * @example
 * const requestSignature = signRelayRequest({ request, domain: { chainId: 31337, verifyingContract }, privateKey });
 */
export function signRelayRequest(args: {
  request: RelayRequest;
  domain: RelayDomainInput;
  privateKey: PrivateKey;
}): Hex {
  return signDigest(hashRelayRequestBytes(args.request, args.domain), args.privateKey);
}

/**
 * Signs a relay response as the supplier. `response.requestHash` must be `hashRelayRequest(request, domain)`.
 *
 * @example
 * const responseSignature = signRelayResponse({
 *   response: { requestHash, responseDigest: hasher.digest(), inputTokens: 12, outputTokens: 80 },
 *   domain,
 *   privateKey: supplierKey,
 * });
 */
export function signRelayResponse(args: {
  response: RelayResponse;
  domain: RelayDomainInput;
  privateKey: PrivateKey;
}): Hex {
  return signDigest(hashRelayResponseBytes(args.response, args.domain), args.privateKey);
}

/**
 * Recovers who signed a relay request (checksummed). The caller decides whether that signer may act for
 * `request.application` (itself, or a delegated gateway). Throws `InvalidRelaySignatureError` for signatures
 * that `RelayLib.recover` would reject too (wrong length, high s, bad v, unrecoverable).
 *
 * @example
 * const signer = recoverRelayRequestSigner({ request, domain, signature: requestSignature });
 */
export function recoverRelayRequestSigner(args: {
  request: RelayRequest;
  domain: RelayDomainInput;
  signature: Hex;
}): Address {
  return recoverDigest(hashRelayRequestBytes(args.request, args.domain), args.signature, "request");
}

/**
 * `recoverRelayRequestSigner` that also returns the request's EIP-712 digest (its relay hash), for paths that
 * need both and should hash the request once.
 *
 * @example
 * const { signer, requestHash } = recoverRelayRequest({ request, domain, signature: requestSignature });
 */
export function recoverRelayRequest(args: {
  request: RelayRequest;
  domain: RelayDomainInput;
  signature: Hex;
}): {
  signer: Address;
  requestHash: Hex;
} {
  const digest = hashRelayRequestBytes(args.request, args.domain);
  return { signer: recoverDigest(digest, args.signature, "request"), requestHash: toHexString(digest) };
}

/**
 * Recovers who signed a relay response (checksummed); a valid relay has it equal to `request.supplier`.
 *
 * @example
 * const supplier = recoverRelayResponseSigner({ response, domain, signature: responseSignature });
 */
export function recoverRelayResponseSigner(args: {
  response: RelayResponse;
  domain: RelayDomainInput;
  signature: Hex;
}): Address {
  return recoverDigest(hashRelayResponseBytes(args.response, args.domain), args.signature, "response");
}
