import type { Address, Hex } from "viem";

/**
 * Where relays are valid: the EIP-712 domain is `{ name: "Decai", version: "1", chainId, verifyingContract }`,
 * so a signature made for one chain or one deployment never verifies on another.
 */
export type RelayDomain = {
  chainId: number | bigint;
  /** The contract that verifies relays on chain (the one whose `RelayLib` domain separator is used). */
  verifyingContract: Address;
};

/**
 * A relay domain, or its precomputed separator (`relayDomainSeparator(domain)`): passing the separator saves
 * one keccak per call on hot paths.
 */
export type RelayDomainInput = RelayDomain | Hex;

/**
 * What an application (or a gateway acting for it) signs to send one request; mirrors `RelayLib.RelayRequest`.
 */
export type RelayRequest = {
  application: Address;
  /** bytes32 id of the service (model), see `toServiceId`. */
  serviceId: Hex;
  /** Session number (uint64). */
  session: bigint;
  /** The supplier that must serve and sign the response. */
  supplier: Address;
  /** `computeRequestDigest({ method, path, body })` of the HTTP request forwarded unchanged. */
  requestDigest: Hex;
  /** Upper bound on billed output tokens (uint32). */
  maxTokens: number;
  /** Application-chosen uint64: makes identical prompts distinct relays (and is the only hash entropy). */
  nonce: bigint;
};

/** What the supplier signs when it answers; mirrors `RelayLib.RelayResponse`. */
export type RelayResponse = {
  /** The EIP-712 digest of the request (`hashRelayRequest`): binds the response to exactly one request. */
  requestHash: Hex;
  /** `computeResponseDigest(body)`, or the digest of a `createResponseHasher()` fed every streamed chunk. */
  responseDigest: Hex;
  /** uint32 */
  inputTokens: number;
  /** uint32 */
  outputTokens: number;
};

/** A complete, non-repudiable relay: both halves with their 65-byte (r, s, v) signatures. */
export type Relay = {
  request: RelayRequest;
  requestSignature: Hex;
  response: RelayResponse;
  responseSignature: Hex;
};
