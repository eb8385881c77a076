import type { Address, Hex } from "viem";

/**
 * Names shared with the Solidity custom errors of `RelayLib`, so an off-chain rejection and an on-chain revert
 * of the same relay carry the same code.
 */
export type RelayErrorCode =
  | "RelayMalformed"
  | "RelayInvalidSignatureLength"
  | "RelayInvalidSignatureS"
  | "RelayInvalidSignatureV"
  | "RelayInvalidSignature"
  | "RelayRequestHashMismatch"
  | "RelayResponseSignerMismatch";

/**
 * Base class of every relay error; `code` names the matching `RelayLib` custom error.
 *
 * @example
 * try { verifyRelay(relay, domain) } catch (e) { if (e instanceof RelayError) console.log(e.code) }
 */
export class RelayError extends Error {
  override name = "RelayError";
  readonly code: RelayErrorCode;

  constructor(code: RelayErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Bytes that are not the canonical `encodeRelay` encoding (truncated, trailing data, non-canonical offsets,
 * dirty padding or out-of-range fields).
 *
 * @example
 * new MalformedRelayError("expected 672 bytes, got 673");
 */
export class MalformedRelayError extends RelayError {
  override name = "MalformedRelayError";

  constructor(detail: string) {
    super("RelayMalformed", `Malformed relay encoding: ${detail}. Encode relays with encodeRelay().`);
  }
}

/**
 * A signature that cannot be accepted: wrong length, high s (malleable), v not 27/28, or not recoverable.
 *
 * @example
 * new InvalidRelaySignatureError("RelayInvalidSignatureV", "request", "v is 0");
 */
export class InvalidRelaySignatureError extends RelayError {
  override name = "InvalidRelaySignatureError";
  /** Which half of the relay carries the bad signature. */
  readonly part: "request" | "response";

  constructor(
    code: Extract<
      RelayErrorCode,
      | "RelayInvalidSignatureLength"
      | "RelayInvalidSignatureS"
      | "RelayInvalidSignatureV"
      | "RelayInvalidSignature"
    >,
    part: "request" | "response",
    detail: string,
  ) {
    super(
      code,
      `Invalid ${part} signature: ${detail}. Sign with signRelayRequest/signRelayResponse (65 bytes r || s || v, low s, v = 27 or 28).`,
    );
    this.part = part;
  }
}

/**
 * The response does not commit to this request: it belongs to another relay, or the request was altered after
 * the supplier signed.
 *
 * @example
 * new RelayRequestHashMismatchError("0x…", "0x…");
 */
export class RelayRequestHashMismatchError extends RelayError {
  override name = "RelayRequestHashMismatchError";

  constructor(
    readonly expected: Hex,
    readonly actual: Hex,
  ) {
    super(
      "RelayRequestHashMismatch",
      `Relay response commits to request ${actual} but the request hashes to ${expected}: the response belongs to another relay or the request was altered after signing.`,
    );
  }
}

/**
 * The response was not signed by the supplier named in the request (or was altered after signing).
 *
 * @example
 * new RelayResponseSignerMismatchError("0xSupplier…", "0xSigner…");
 */
export class RelayResponseSignerMismatchError extends RelayError {
  override name = "RelayResponseSignerMismatchError";

  constructor(
    readonly supplier: Address,
    readonly signer: Address,
  ) {
    super(
      "RelayResponseSignerMismatch",
      `Relay response was signed by ${signer}, not by the request's supplier ${supplier}: the response was altered or signed with the wrong key.`,
    );
  }
}
