// Turning a failed check into a self-contained evidence record: the verdict plus the signed relay that proves
// what the supplier answered.
import { randomBytes } from "node:crypto";
import type { Evidence as ReceiptEvidence } from "@decai/sdk";
import type { SignedRelay } from "../upstream/types.js";
import type { CheckResult, EvidenceRecord } from "./types.js";

/** JSON with bigints as decimal strings (relay requests carry uint64 session and nonce). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

const utf8 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");

/**
 * A signed relay as JSON: the gateway-signed request, the supplier-signed receipt, and the exact bodies (UTF-8)
 * their digests commit to, so anyone can recheck both signatures and digests.
 *
 * @example
 * const json = signedToJson(exchange.signed); // { request, requestSignature, response, responseSignature, requestBody, responseBody }
 */
export function signedToJson(signed: SignedRelay): Record<string, unknown> {
  return {
    ...(plain(signed.relay) as Record<string, unknown>),
    requestBody: utf8(signed.requestBody),
    responseBody: utf8(signed.responseBody),
  };
}

/**
 * The evidence record of a failed check.
 *
 * @example
 * if (!result.passed) await store.addEvidence(toEvidenceRecord(result));
 */
export function toEvidenceRecord(
  result: CheckResult,
  id = `ev_${randomBytes(10).toString("hex")}`,
): EvidenceRecord {
  const x = result.exchange;
  return {
    id,
    supplier: result.supplier.toLowerCase(),
    service: result.service,
    check: result.check,
    code: result.code,
    reason: result.reason,
    details: plain(result.details) as Record<string, unknown>,
    at: result.at,
    ...(x
      ? {
          exchange: {
            id: x.id,
            endpoint: x.endpoint,
            origin: x.origin,
            stream: x.stream,
            request: x.request,
            choices: x.choices,
            usage: x.usage ?? null,
          },
        }
      : {}),
    ...(x?.signed ? { signed: signedToJson(x.signed) } : {}),
    ...(result.comparedWith ? { comparedWith: result.comparedWith } : {}),
  };
}

/**
 * A check result from an invalid receipt the SDK caught (it retried elsewhere; the supplier still answered
 * wrongly and signed it). `service` is the service name.
 *
 * @example
 * onEvidence: (e) => verifier.receipt(e, "tiny-llama")
 */
export function receiptResult(evidence: ReceiptEvidence, service: string): CheckResult {
  return {
    check: "receipt",
    supplier: evidence.supplier,
    service,
    passed: false,
    code: evidence.kind,
    reason: evidence.message,
    details: plain({
      signedBySupplier: evidence.signedBySupplier,
      relayHash: evidence.relayHash,
      receivedDigest: evidence.receivedDigest,
      request: evidence.request,
      requestSignature: evidence.requestSignature,
      ...(evidence.response ? { response: evidence.response } : {}),
      ...(evidence.responseSignature ? { responseSignature: evidence.responseSignature } : {}),
    }) as Record<string, unknown>,
    cost: 0,
    at: evidence.observedAt,
  };
}
