import {
  type Relay,
  type RelayDomainInput,
  type RelayRequest,
  RelayTransportError,
  recoverRelayResponseSigner,
  type SignedRelayResponse,
} from "@decai/core";
import type { Address, Hex } from "viem";
import type { Evidence, EvidenceKind } from "./evidence.js";
import type { RequestInfo, TokenUsage } from "./usage.js";

/** How strict the usage checks are. */
export type UsagePolicy = {
  /**
   * Input tokens allowed beyond the body's byte count (chat templates add special tokens; no tokenizer yields
   * more tokens than bytes otherwise). Default 64.
   */
  inputTokenSlack?: number;
};

/** A checked receipt: the signed relay when one arrived, and what was wrong with it. */
export type RelayReceipt = {
  /** The complete relay (request, response, both signatures) when a receipt arrived and decoded. */
  relay: Relay | undefined;
  relayHash: Hex;
  supplier: Address;
  /** The usage the receipt signs. */
  usage: TokenUsage | undefined;
  /** True when nothing is wrong: signed by the supplier, over exactly what was received, with sane usage. */
  valid: boolean;
  evidence: readonly Evidence[];
};

/** Everything a receipt is checked against. */
export type CheckReceiptParameters = {
  request: RelayRequest;
  requestSignature: Hex;
  /** `hashRelayRequest(request, domain)`. */
  relayHash: Hex;
  domain: RelayDomainInput;
  /** The decoded receipt, or the error that decoding it (or finding it) gave. */
  receipt: SignedRelayResponse | Error;
  /** sha256 of exactly the response bytes received (`computeResponseDigest`). */
  receivedDigest: Hex;
  info: RequestInfo;
  /** The `usage` the answer reported itself (JSON body, or the stream's usage chunk), if any. */
  reported: TokenUsage | undefined;
  policy?: UsagePolicy;
};

/**
 * Checks a relay receipt: it commits to this request, is signed by the request's supplier, covers exactly the
 * bytes received, and bills sane usage (output <= max_tokens, input within what the body can hold, equal to
 * the usage the answer reports). Each problem becomes an `Evidence` record; a receipt with none is `valid`.
 *
 * @example
 * const receipt = checkReceipt({ request, requestSignature, relayHash, domain, receipt: decoded,
 *   receivedDigest: computeResponseDigest(body), info: requestInfo(requestBody), reported: undefined });
 * if (!receipt.valid) store(receipt.evidence);
 */
export function checkReceipt(p: CheckReceiptParameters): RelayReceipt {
  const { request, requestSignature, relayHash } = p;
  const base = { relayHash, supplier: request.supplier };
  const evidence: Evidence[] = [];
  const record = (kind: EvidenceKind, message: string, signedBySupplier: boolean) =>
    evidence.push({
      kind,
      message,
      supplier: request.supplier,
      application: request.application,
      serviceId: request.serviceId,
      session: request.session,
      relayHash,
      request,
      requestSignature,
      ...(p.receipt instanceof Error
        ? {}
        : { response: p.receipt.response, responseSignature: p.receipt.signature }),
      signedBySupplier,
      receivedDigest: p.receivedDigest,
      observedAt: Date.now(),
    });

  if (p.receipt instanceof Error) {
    const why = p.receipt instanceof RelayTransportError ? p.receipt.message : String(p.receipt.message);
    record("missing_receipt", `The answer carries no valid signed receipt: ${why}`, false);
    return { ...base, relay: undefined, usage: undefined, valid: false, evidence };
  }
  const { response, signature } = p.receipt;
  const relay: Relay = { request, requestSignature, response, responseSignature: signature };
  const usage = { inputTokens: response.inputTokens, outputTokens: response.outputTokens };
  const done = () => ({ ...base, relay, usage, valid: evidence.length === 0, evidence });

  if (response.requestHash.toLowerCase() !== relayHash.toLowerCase()) {
    record(
      "request_hash_mismatch",
      `The receipt commits to request ${response.requestHash}, not to this relay ${relayHash}.`,
      false,
    );
    return done();
  }
  let signer: Address | undefined;
  try {
    signer = recoverRelayResponseSigner({ response, domain: p.domain, signature });
  } catch {
    signer = undefined;
  }
  if (signer?.toLowerCase() !== request.supplier.toLowerCase()) {
    record(
      "invalid_signature",
      `The receipt is signed by ${signer ?? "no recoverable key"}, not by supplier ${request.supplier}.`,
      false,
    );
    return done();
  }
  if (response.responseDigest.toLowerCase() !== p.receivedDigest.toLowerCase()) {
    record(
      "response_digest_mismatch",
      `The receipt signs response digest ${response.responseDigest}, but the bytes received hash to ${p.receivedDigest}.`,
      true,
    );
  }
  const limit = p.info.maxTokens ?? request.maxTokens;
  if (response.outputTokens > limit) {
    record(
      "output_exceeds_max_tokens",
      `The receipt bills ${response.outputTokens} output tokens, above max_tokens ${limit}.`,
      true,
    );
  }
  const inputLimit = p.info.bodyBytes + (p.policy?.inputTokenSlack ?? 64);
  if (response.inputTokens > inputLimit) {
    record(
      "input_tokens_implausible",
      `The receipt bills ${response.inputTokens} input tokens for a ${p.info.bodyBytes}-byte request (at most ${inputLimit} are plausible).`,
      true,
    );
  }
  if (
    p.reported &&
    (p.reported.inputTokens !== response.inputTokens || p.reported.outputTokens !== response.outputTokens)
  ) {
    record(
      "usage_mismatch",
      `The receipt bills ${response.inputTokens} input + ${response.outputTokens} output tokens, but the answer reports ${p.reported.inputTokens} + ${p.reported.outputTokens}.`,
      true,
    );
  }
  return done();
}
