// Signed relays sent straight to a RelayMiner, as an application (or a gateway) would, and variants of them that a
// cheater would send: forged, replayed, expired, for the wrong service or supplier, from an undelegated signer.
import {
  computeRequestDigest,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayRequestHeaderName,
  signRelayRequest,
} from "@decai/core";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { FaultNet } from "./hostileNet.js";

/** A relay ready to send: the path, the headers and the exact body that was signed. */
export type SignedRelay = {
  path: string;
  headers: Record<string, string>;
  body: string;
  request: RelayRequest;
};

let nonces = BigInt(Date.now()) * 1000n;

/**
 * Signs a chat-completions relay for `net`'s application. Every field of the signed request can be overridden, and
 * `signerKey` picks who signs (default the application itself).
 *
 * @example
 * const relay = signRelay(net, { supplier: net.suppliers[0].address });
 * const res = await postRelay(net.suppliers[0].url, relay);
 */
export function signRelay(
  net: FaultNet,
  options: {
    supplier: Address;
    signerKey?: Hex;
    application?: Address;
    serviceId?: Hex;
    session?: bigint;
    nonce?: bigint;
    maxTokens?: number;
    stream?: boolean;
    content?: string;
    /** Sign this body's digest but send `sentBody` instead (a forged request). */
    sentBody?: string;
  },
): SignedRelay {
  const body = JSON.stringify({
    model: "tiny-llama",
    messages: [{ role: "user", content: options.content ?? "Say something." }],
    max_tokens: 4,
    ...(options.stream ? { stream: true } : {}),
  });
  const path = "/v1/chat/completions";
  const request: RelayRequest = {
    application: options.application ?? net.app,
    serviceId: options.serviceId ?? net.service,
    session: options.session ?? currentSession(net),
    supplier: options.supplier,
    requestDigest: computeRequestDigest({ method: "POST", path, body }),
    maxTokens: options.maxTokens ?? 4,
    nonce: options.nonce ?? nonces++,
  };
  const signature = signRelayRequest({
    request,
    domain: { chainId: net.chain.anvil.chainId, verifyingContract: net.chain.contracts.relayMining },
    privateKey: options.signerKey ?? net.appKey,
  });
  return {
    path,
    headers: {
      "content-type": "application/json",
      [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature }),
    },
    body: options.sentBody ?? body,
    request,
  };
}

/**
 * Signs a relay over an arbitrary `body` (bytes as sent), for bodies a cheater crafts: the signature and digest are
 * right, only the body is hostile.
 *
 * @example
 * const relay = signRelayOver(net, supplier, "{not json");
 */
export function signRelayOver(net: FaultNet, supplier: Address, body: string | Buffer): SignedRelay {
  const base = signRelay(net, { supplier });
  const request = {
    ...base.request,
    requestDigest: computeRequestDigest({ method: "POST", path: base.path, body }),
  };
  const signature = signRelayRequest({
    request,
    domain: { chainId: net.chain.anvil.chainId, verifyingContract: net.chain.contracts.relayMining },
    privateKey: net.appKey,
  });
  return {
    path: base.path,
    headers: {
      "content-type": "application/json",
      [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature }),
    },
    body: typeof body === "string" ? body : body.toString("latin1"),
    request,
  };
}

/** The session the RelayMiners are in. */
export function currentSession(net: FaultNet): bigint {
  return net.suppliers[0]?.running.indexer.state.currentSession ?? 0n;
}

/** POSTs `relay` to a RelayMiner at `url`; the status, headers, body text and parsed JSON error code, if any. */
export async function postRelay(
  url: string,
  relay: SignedRelay,
): Promise<{ status: number; headers: Headers; text: string; code: string | undefined }> {
  const res = await fetch(`${url}${relay.path}`, {
    method: "POST",
    headers: relay.headers,
    body: relay.body,
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {}
  return { status: res.status, headers: res.headers, text, code };
}

/** The address of a key. */
export const addressOf = (key: Hex): Address => privateKeyToAddress(key);
