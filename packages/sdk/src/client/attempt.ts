import { RelayError } from "../errors.js";
import type { Evidence } from "../relay/evidence.js";
import { type RelayCompletion, type SendRelayParameters, sendRelay } from "../relayClient.js";
import { DecaiStream } from "./decaiStream.js";

/** What `DecaiClient.relay` resolves with: a verified complete answer, or a stream past its first event. */
export type ClientRelayResult = (RelayCompletion & { session: bigint }) | DecaiStream;

/**
 * One supplier, one try. Resolves only with an answer whose receipt verified, or with a stream whose first
 * event arrived (until then a stream can still be retried elsewhere). An invalid receipt is reported to
 * `onInvalid` and rejects as a retryable `RelayError("invalid_receipt")`.
 * @internal
 */
export async function attemptRelay(
  params: SendRelayParameters & { signal: AbortSignal },
  onInvalid: (evidence: readonly Evidence[]) => void,
): Promise<ClientRelayResult> {
  const { supplier, session, signal } = params;
  const invalid = (evidence: readonly Evidence[]) => {
    onInvalid(evidence);
    return new RelayError(
      "invalid_receipt",
      `Supplier ${supplier} answered with an invalid receipt: ${evidence.map((e) => e.message).join(" ")}`,
      { supplier, retryable: true, supplierFault: true },
    );
  };
  const result = await sendRelay(params);
  if (!result.stream) {
    if (!result.receipt.valid) throw invalid(result.receipt.evidence);
    return { ...result, session };
  }
  const iterator = result[Symbol.asyncIterator]();
  let first: IteratorResult<unknown>;
  try {
    first = await iterator.next();
  } catch (cause) {
    if (signal.aborted) throw signal.reason ?? cause;
    throw new RelayError("connection", (cause as Error).message, {
      supplier,
      retryable: true,
      supplierFault: true,
      cause,
    });
  }
  if (signal.aborted) {
    result.cancel();
    throw signal.reason;
  }
  if (first.done) {
    const receipt = await result.receipt;
    if (!receipt.valid) throw invalid(receipt.evidence);
  }
  return new DecaiStream(result, iterator, first.done ? undefined : (first.value as never));
}
