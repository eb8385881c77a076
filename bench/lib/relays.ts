import {
  computeRequestDigest,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayDomainSeparator,
  signRelayRequest,
} from "@decai/core";
import type { BenchNetwork } from "./network.js";

/** Request header that carries a signed relay request (lower case, as Node sends it). */
export const relayHeader = "decai-relay-request";

let nextNonce = 1n;

/**
 * Signs `count` distinct relay requests for one body, as the bench gateway would for the bench application (a
 * delegated signer: the RelayMiner checks the delegation too), and returns their `Decai-Relay-Request` header
 * values. Each may be served once (replay protection), so a load test needs one per request.
 *
 * @example
 * const headers = signRelayHeaders(net, { body, count: 10_000 });
 */
export function signRelayHeaders(
  net: BenchNetwork,
  options: { body: string; count: number; path?: string; maxTokens?: number },
): string[] {
  const path = options.path ?? "/v1/chat/completions";
  const domain = relayDomainSeparator(net.domain);
  const requestDigest = computeRequestDigest({ method: "POST", path, body: options.body });
  const maxTokens =
    options.maxTokens ?? (JSON.parse(options.body) as { max_tokens?: number }).max_tokens ?? 0;
  const key = Buffer.from(net.keys.gateway.slice(2), "hex");
  const out: string[] = new Array(options.count);
  for (let i = 0; i < options.count; i++) {
    const request: RelayRequest = {
      application: net.application,
      serviceId: net.serviceId,
      session: net.session,
      supplier: net.supplier,
      requestDigest,
      maxTokens,
      nonce: nextNonce++,
    };
    out[i] = encodeRelayRequestHeader({
      request,
      signature: signRelayRequest({ request, domain, privateKey: key }),
    });
  }
  return out;
}

/**
 * Hands out pre-signed relay headers once each; `undefined` when spent.
 *
 * @example
 * const pool = new RelayPool(signRelayHeaders(net, { body, count }));
 * const header = pool.next();
 */
export class RelayPool {
  #at = 0;
  constructor(private readonly headers: readonly string[]) {}

  next(): string | undefined {
    return this.headers[this.#at++];
  }

  get size(): number {
    return this.headers.length;
  }

  /** How many were handed out (some may not have been sent when a run stopped). */
  get used(): number {
    return Math.min(this.#at, this.headers.length);
  }
}
