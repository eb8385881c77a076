import {
  computeRequestDigest,
  computeResponseDigest,
  hashRelayRequest,
  type Relay,
  type RelayDomainInput,
  type RelayRequest,
  signRelayRequest,
  signRelayResponse,
} from "@decai/core";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";

/** Everything needed to sign relays like an application (or gateway) and a supplier would. */
export type RelaySigners = {
  domain: RelayDomainInput;
  /** Key of the application, or of a gateway it delegated to. */
  requesterKey: Hex;
  application: Hex;
  supplierKey: Hex;
  serviceId: Hex;
  session: bigint;
};

// Deriving an address from a key is slow in pure JS (~1 ms); benchmarks sign millions of relays.
const addresses = new Map<Hex, Hex>();
const addressOf = (key: Hex): Hex => {
  const known = addresses.get(key);
  if (known) return known;
  const address = privateKeyToAddress(key);
  addresses.set(key, address);
  return address;
};

/**
 * A fully signed chat-completion relay, deterministic in `i`: the request carries nonce `i` and a prompt
 * that mentions it; token counts vary with `i` so weights differ.
 */
export function makeRelay(signers: RelaySigners, i: number): Relay {
  const body = JSON.stringify({
    model: "tiny",
    messages: [{ role: "user", content: `question ${i}` }],
    max_tokens: 64,
  });
  const request: RelayRequest = {
    application: signers.application,
    serviceId: signers.serviceId,
    session: signers.session,
    supplier: addressOf(signers.supplierKey),
    requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
    maxTokens: 64,
    nonce: BigInt(i),
  };
  const requestSignature = signRelayRequest({
    request,
    domain: signers.domain,
    privateKey: signers.requesterKey,
  });
  const response = {
    requestHash: hashRelayRequest(request, signers.domain),
    responseDigest: computeResponseDigest(`answer ${i}`),
    inputTokens: 10 + (i % 7),
    outputTokens: 5 + (i % 80), // sometimes above max_tokens: the weight caps it
  };
  const responseSignature = signRelayResponse({
    response,
    domain: signers.domain,
    privateKey: signers.supplierKey,
  });
  return { request, requestSignature, response, responseSignature };
}
