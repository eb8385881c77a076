import { randomBytes } from "node:crypto";
import type { Agent, IncomingHttpHeaders } from "node:http";
import {
  computeRequestDigest,
  computeResponseDigest,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  hashRelayRequest,
  type PrivateKey,
  type RelayDomainInput,
  type RelayRequest,
  relayDomainSeparator,
  relayRequestHeaderName,
  relayResponseHeaderName,
  signRelayRequest,
} from "@decai/core";
import type { Address, Hex } from "viem";
import { RelayError } from "./errors.js";
import { HeadersTimeoutError, post, readBody } from "./relay/http.js";
import { checkReceipt, type RelayReceipt, type UsagePolicy } from "./relay/receipt.js";
import { classifyRefusal, errorCode } from "./relay/refusal.js";
import { RelayStream, type RelayTiming } from "./relay/relayStream.js";
import { reportedUsage, requestInfo } from "./relay/usage.js";

/** Everything one relay needs. */
export type SendRelayParameters = {
  supplier: Address;
  /** Base URL of the supplier's RelayMiner (its on-chain endpoint). */
  endpoint: string;
  /** Default "/v1/chat/completions". */
  path?: string;
  /** The OpenAI-style request body, sent byte for byte (its digest is signed). */
  body: string | Uint8Array;
  /** The application's key (sovereign) or the key of a gateway the application delegated to. */
  signerKey: PrivateKey;
  application: Address;
  serviceId: Hex;
  session: bigint;
  /** Most output tokens billed; must be >= the body's max_tokens. Default: the body's, else 0. */
  maxTokens?: number;
  /** uint64 that makes the relay unique. Default: random. */
  nonce?: bigint;
  /** Where relays are valid: `{ chainId, verifyingContract: deployment.contracts.relayMining }`. */
  domain: RelayDomainInput;
  signal?: AbortSignal;
  /** Longest wait for response headers, ms. Default 60_000. */
  timeoutMs?: number;
  usagePolicy?: UsagePolicy;
  /** Extra request headers. */
  headers?: Record<string, string>;
  agent?: Agent;
};

/** A non-streamed relay answer with its checked receipt. */
export type RelayCompletion = {
  stream: false;
  supplier: Address;
  status: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (the receipt's digest covers these bytes). */
  body: Buffer;
  request: RelayRequest;
  relayHash: Hex;
  receipt: RelayReceipt;
  timing: RelayTiming;
};

/** What `sendRelay` resolves with: a complete answer, or a stream for SSE answers. */
export type RelayResult = RelayCompletion | RelayStream;

const defaultPath = "/v1/chat/completions";
const separators = new WeakMap<object, Hex>();

/**
 * Sends one signed relay to one supplier's RelayMiner and checks what comes back. Signs the request (for the
 * application, as itself or as its gateway), POSTs the body unchanged with the `Decai-Relay-Request` header,
 * and resolves once the response headers arrive: with a `RelayCompletion` whose receipt (header
 * `Decai-Relay-Response`) is checked against the exact body received, or with a `RelayStream` whose receipt
 * (final `decai-relay-response` event) is checked when it ends. An invalid receipt is not thrown: it comes
 * back as `receipt.valid === false` with `receipt.evidence`. HTTP refusals and connection failures throw a
 * `RelayError` that says whether another supplier may succeed (`retryable`).
 *
 * @example
 * const answer = await sendRelay({
 *   supplier, endpoint, application, serviceId, session, signerKey: appKey,
 *   domain: { chainId: 31337, verifyingContract: deployment.contracts.relayMining },
 *   body: JSON.stringify({ model: "tiny-llama", messages: [{ role: "user", content: "Hi" }], max_tokens: 32 }),
 * });
 * if (!answer.stream && answer.receipt.valid) console.log(JSON.parse(answer.body.toString()));
 */
export async function sendRelay(p: SendRelayParameters): Promise<RelayResult> {
  const path = p.path ?? defaultPath;
  const body = typeof p.body === "string" ? Buffer.from(p.body) : Buffer.from(p.body);
  const info = requestInfo(body);
  const domain = separatorOf(p.domain);
  const request: RelayRequest = {
    application: p.application,
    serviceId: p.serviceId,
    session: p.session,
    supplier: p.supplier,
    requestDigest: computeRequestDigest({ method: "POST", path, body }),
    maxTokens: p.maxTokens ?? info.maxTokens ?? 0,
    nonce: p.nonce ?? randomBytes(8).readBigUInt64BE(),
  };
  const requestSignature = signRelayRequest({ request, domain, privateKey: p.signerKey });
  const relayHash = hashRelayRequest(request, domain);
  const abort = new AbortController();
  const signal = p.signal ? AbortSignal.any([p.signal, abort.signal]) : abort.signal;
  const fail = (kind: RelayError["kind"], message: string, extra: Partial<RelayError["details"]> = {}) =>
    new RelayError(kind, message, { supplier: p.supplier, retryable: true, supplierFault: true, ...extra });

  const sentAt = performance.now();
  let res: Awaited<ReturnType<typeof post>>;
  try {
    res = await post({
      url: new URL(`${p.endpoint.replace(/\/+$/, "")}${path}`),
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...p.headers,
        [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature: requestSignature }),
      },
      body,
      signal,
      timeoutMs: p.timeoutMs ?? 60_000,
      ...(p.agent ? { agent: p.agent } : {}),
    });
  } catch (cause) {
    if (p.signal?.aborted) throw p.signal.reason ?? cause;
    if (cause instanceof HeadersTimeoutError) {
      throw fail("timeout", `Supplier ${p.supplier} sent no answer within ${p.timeoutMs ?? 60_000} ms.`, {
        cause,
      });
    }
    throw fail(
      "connection",
      `Cannot reach supplier ${p.supplier} at ${p.endpoint}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const headersMs = performance.now() - sentAt;
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    const text = (await readBody(res, 64 << 10).catch(() => Buffer.alloc(0))).toString("utf8");
    const code = errorCode(text);
    const { retryable, supplierFault } = classifyRefusal(status, code);
    const retryAfter = Number(res.headers["retry-after"]);
    throw fail(
      "status",
      `Supplier ${p.supplier} refused the relay with HTTP ${status}${code ? ` (${code})` : ""}: ${text.slice(0, 500)}`,
      {
        retryable,
        supplierFault,
        status,
        ...(code ? { code } : {}),
        ...(retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        body: text,
      },
    );
  }

  const ctx = {
    request,
    requestSignature,
    relayHash,
    domain,
    info,
    policy: p.usagePolicy,
    sentAt,
    abort,
  };
  if (String(res.headers["content-type"]).startsWith("text/event-stream")) {
    return new RelayStream(res, ctx, headersMs);
  }
  let answer: Buffer;
  try {
    answer = await readBody(res);
  } catch (cause) {
    if (p.signal?.aborted) throw p.signal.reason ?? cause;
    throw fail("connection", `The answer of supplier ${p.supplier} broke off: ${(cause as Error).message}`, {
      cause,
    });
  }
  const header = res.headers[relayResponseHeaderName.toLowerCase()];
  let decoded: ReturnType<typeof decodeRelayResponseHeader> | Error;
  try {
    if (typeof header !== "string") throw new Error(`no ${relayResponseHeaderName} header`);
    decoded = decodeRelayResponseHeader(header);
  } catch (error) {
    decoded = error as Error;
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.toString("utf8"));
  } catch {
    json = undefined;
  }
  const receipt = checkReceipt({
    ...ctx,
    receipt: decoded,
    receivedDigest: computeResponseDigest(answer),
    reported: reportedUsage(json),
  });
  return {
    stream: false,
    supplier: p.supplier,
    status,
    headers: res.headers,
    body: answer,
    request,
    relayHash,
    receipt,
    timing: { headersMs, latencyMs: performance.now() - sentAt },
  };
}

/** The domain separator, computed once per domain object (it costs a keccak). */
function separatorOf(domain: RelayDomainInput): Hex {
  if (typeof domain === "string") return domain;
  let hit = separators.get(domain);
  if (!hit) {
    hit = relayDomainSeparator(domain);
    separators.set(domain, hit);
  }
  return hit;
}
