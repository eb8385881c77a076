import {
  computeRequestDigest,
  computeResponseDigest,
  hashRelayRequest,
  type RelayRequest,
  type RelayResponse,
  RelayTransportError,
  signRelayRequest,
  signRelayResponse,
  toServiceId,
} from "@decai/core";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { checkReceipt, requestInfo } from "../src/index.js";

const appKey: Hex = `0x${"11".repeat(32)}`;
const supplierKey: Hex = `0x${"22".repeat(32)}`;
const otherKey: Hex = `0x${"33".repeat(32)}`;
const domain = { chainId: 31337, verifyingContract: "0x000000000000000000000000000000000000dEcA" } as const;
const body = JSON.stringify({
  model: "tiny-llama",
  messages: [{ role: "user", content: "Hi" }],
  max_tokens: 8,
});
const answer =
  '{"choices":[{"message":{"content":"hello"}}],"usage":{"prompt_tokens":5,"completion_tokens":3}}';

const request: RelayRequest = {
  application: privateKeyToAddress(appKey),
  serviceId: toServiceId("tiny-llama"),
  session: 4n,
  supplier: privateKeyToAddress(supplierKey),
  requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
  maxTokens: 16,
  nonce: 9n,
};
const requestSignature = signRelayRequest({ request, domain, privateKey: appKey });
const relayHash = hashRelayRequest(request, domain);

/** Checks a receipt the supplier (or `key`) signed over `response` changes. */
function check(change: Partial<RelayResponse> = {}, options: { key?: Hex; received?: string } = {}) {
  const response: RelayResponse = {
    requestHash: relayHash,
    responseDigest: computeResponseDigest(answer),
    inputTokens: 5,
    outputTokens: 3,
    ...change,
  };
  const signature = signRelayResponse({ response, domain, privateKey: options.key ?? supplierKey });
  const received = options.received ?? answer;
  return checkReceipt({
    request,
    requestSignature,
    relayHash,
    domain,
    receipt: { response, signature },
    receivedDigest: computeResponseDigest(received),
    info: requestInfo(body),
    reported: { inputTokens: 5, outputTokens: 3 },
  });
}

describe("checkReceipt", () => {
  it("accepts an honest receipt and returns the complete relay", () => {
    const receipt = check();
    expect(receipt.valid).toBe(true);
    expect(receipt.evidence).toEqual([]);
    expect(receipt.usage).toEqual({ inputTokens: 5, outputTokens: 3 });
    expect(receipt.relay?.request).toEqual(request);
    expect(receipt.relay?.requestSignature).toBe(requestSignature);
  });

  it("flags a receipt signed by someone else (not evidence against the supplier)", () => {
    const receipt = check({}, { key: otherKey });
    expect(receipt.valid).toBe(false);
    expect(receipt.evidence.map((e) => [e.kind, e.signedBySupplier])).toEqual([["invalid_signature", false]]);
  });

  it("flags a receipt for another request", () => {
    const receipt = check({ requestHash: `0x${"ab".repeat(32)}` });
    expect(receipt.evidence.map((e) => e.kind)).toEqual(["request_hash_mismatch"]);
  });

  it("flags a signed digest that is not the digest of the bytes received", () => {
    const receipt = check({}, { received: answer.replace("hello", "HELLO") });
    const [e] = receipt.evidence;
    expect(e).toMatchObject({
      kind: "response_digest_mismatch",
      signedBySupplier: true,
      supplier: request.supplier,
      application: request.application,
      session: 4n,
      relayHash,
      receivedDigest: computeResponseDigest(answer.replace("hello", "HELLO")),
    });
    expect(e?.response?.responseDigest).toBe(computeResponseDigest(answer));
    expect(e?.responseSignature).toMatch(/^0x[0-9a-f]{130}$/);
  });

  it("flags output above the body's max_tokens (stricter than the signed maxTokens)", () => {
    // max_tokens is 8 in the body, 16 signed.
    expect(check({ outputTokens: 8 }).evidence.map((e) => e.kind)).toEqual(["usage_mismatch"]);
    expect(check({ outputTokens: 9 }).evidence.map((e) => e.kind)).toEqual([
      "output_exceeds_max_tokens",
      "usage_mismatch",
    ]);
  });

  it("flags input tokens the request body cannot hold", () => {
    const limit = Buffer.byteLength(body) + 64;
    expect(check({ inputTokens: limit }).evidence.map((e) => e.kind)).toEqual(["usage_mismatch"]);
    expect(check({ inputTokens: limit + 1 }).evidence.map((e) => e.kind)).toContain(
      "input_tokens_implausible",
    );
  });

  it("reports a missing or malformed receipt", () => {
    const receipt = checkReceipt({
      request,
      requestSignature,
      relayHash,
      domain,
      receipt: new RelayTransportError("response", "it is empty"),
      receivedDigest: computeResponseDigest(answer),
      info: requestInfo(body),
      reported: undefined,
    });
    expect(receipt.valid).toBe(false);
    expect(receipt.relay).toBeUndefined();
    expect(receipt.evidence[0]).toMatchObject({ kind: "missing_receipt", signedBySupplier: false });
    expect(receipt.evidence[0]?.message).toMatch(/it is empty/);
  });
});
