import type { RelayRequest, RelayResponse } from "@decai/core";
import type { Address, Hex } from "viem";

/**
 * What was wrong with a receipt:
 * - `missing_receipt`: a 200 answer without a (well-formed) signed relay response;
 * - `request_hash_mismatch`: the receipt commits to another request;
 * - `invalid_signature`: the receipt is not signed by the request's supplier;
 * - `response_digest_mismatch`: the signed digest is not the digest of the bytes received;
 * - `output_exceeds_max_tokens`: more output tokens billed than the request allowed;
 * - `input_tokens_implausible`: more input tokens billed than the request body can hold;
 * - `usage_mismatch`: the signed usage differs from the `usage` the answer itself reports.
 */
export type EvidenceKind =
  | "missing_receipt"
  | "request_hash_mismatch"
  | "invalid_signature"
  | "response_digest_mismatch"
  | "output_exceeds_max_tokens"
  | "input_tokens_implausible"
  | "usage_mismatch";

/**
 * A record of an invalid receipt, kept to route away from the supplier and, when `signedBySupplier`, to prove
 * what it claimed: the request with the application's (or gateway's) signature, the receipt with the
 * supplier's, and the digest of what was actually received.
 */
export type Evidence = {
  kind: EvidenceKind;
  /** What is wrong, in words. */
  message: string;
  supplier: Address;
  application: Address;
  serviceId: Hex;
  session: bigint;
  /** The relay's hash (EIP-712 digest of the request). */
  relayHash: Hex;
  request: RelayRequest;
  requestSignature: Hex;
  /** The receipt, when one arrived and decoded. */
  response?: RelayResponse;
  responseSignature?: Hex;
  /** Whether the receipt's signature recovers to `supplier`: the receipt is then the supplier's own word. */
  signedBySupplier: boolean;
  /** sha256 of the response bytes received (what `response.responseDigest` should be). */
  receivedDigest: Hex;
  /** Unix time in ms. */
  observedAt: number;
};
