import type { Address, Hex } from "viem";
import { RelayRequestHashMismatchError, RelayResponseSignerMismatchError } from "./errors.js";
import { hashRelayRequestBytes, hashRelayResponseBytes } from "./hash.js";
import { recoverDigest } from "./signature.js";
import { relayDomainSeparator } from "./typedData.js";
import type { Relay, RelayDomainInput } from "./types.js";
import { toHexString } from "./words.js";

/** What `verifyRelay` established about a relay. */
export type VerifiedRelay = {
  /** The mining hash (EIP-712 digest of the request); see `relayHash`. */
  relayHash: Hex;
  /** Who signed the request: the application itself or, when `signedByApplication` is false, a gateway. */
  requestSigner: Address;
  /** Whether `requestSigner` is `request.application`; otherwise check the application's delegation to it. */
  signedByApplication: boolean;
  /** The supplier that signed the response (always equal to `request.supplier`). */
  supplier: Address;
};

/**
 * Checks a relay's internal consistency exactly as `RelayLib.verifyRelay` does, in the same order: the response
 * commits to this request, both signatures are well-formed (65 bytes, low s, v = 27/28) and recoverable, and the
 * response signer is `request.supplier`. Throws a `RelayError` whose `code` names the matching Solidity error.
 * Delegation, session membership and difficulty are the caller's checks.
 *
 * @example
 * const { relayHash, requestSigner, signedByApplication } = verifyRelay(relay, { chainId: 31337, verifyingContract });
 * if (!signedByApplication && !(await isDelegated(relay.request.application, requestSigner))) reject();
 */
export function verifyRelay(relay: Relay, domain: RelayDomainInput): VerifiedRelay {
  const separator = typeof domain === "string" ? domain : relayDomainSeparator(domain);
  const { request, response } = relay;
  const requestHash = hashRelayRequestBytes(request, separator);
  const relayHash = toHexString(requestHash);
  if (typeof response.requestHash !== "string" || response.requestHash.toLowerCase() !== relayHash) {
    throw new RelayRequestHashMismatchError(relayHash, response.requestHash);
  }
  const requestSigner = recoverDigest(requestHash, relay.requestSignature, "request");
  const supplier = recoverDigest(
    hashRelayResponseBytes(response, separator),
    relay.responseSignature,
    "response",
  );
  if (supplier.toLowerCase() !== request.supplier.toLowerCase()) {
    throw new RelayResponseSignerMismatchError(request.supplier, supplier);
  }
  return {
    relayHash,
    requestSigner,
    signedByApplication: requestSigner.toLowerCase() === request.application.toLowerCase(),
    supplier,
  };
}
