import type { Address, Hex } from "viem";

/**
 * Base class of the SDK's errors: `message` says what went wrong and what to do about it.
 *
 * @example
 * try { await client.chat.completions.create(params) } catch (e) { if (e instanceof DecaiError) console.error(e.message) }
 */
export class DecaiError extends Error {
  override name = "DecaiError";
}

/**
 * No session of (application, service) can be served right now: the current session's seed is not recorded
 * (and the previous session's grace period is over), or no supplier with an endpoint was drawn.
 *
 * @example
 * if (error instanceof NoSessionError) await sleep(2_000); // RelayMiners record seeds at session start
 */
export class NoSessionError extends DecaiError {
  override name = "NoSessionError";
  /**
   * True when the current session's seed is just not recorded yet: RelayMiners record it as the session starts,
   * so it is worth asking again within seconds (`DecaiClient` does, up to its `rolloverWaitMs`).
   */
  readonly pending: boolean;
  constructor(
    readonly application: Address,
    readonly serviceId: Hex,
    detail: string,
    options: { pending?: boolean } = {},
  ) {
    super(`No session can serve application ${application} for service ${serviceId}: ${detail}`);
    this.pending = options.pending ?? false;
  }
}

/** How a relay attempt failed, for retry decisions and QoS. */
export type RelayFailureKind =
  /** Could not connect, or the connection broke before the answer was complete. */
  | "connection"
  /** No response headers within the timeout. */
  | "timeout"
  /** An HTTP error status from the RelayMiner (or its backend). */
  | "status"
  /** A 200 answer whose receipt is missing or does not verify. */
  | "invalid_receipt";

/**
 * One relay attempt failed. `retryable` says whether another supplier may succeed where this one did not
 * (connection errors, timeouts, 5xx, 429, refusals that concern only this supplier or session, invalid
 * receipts); otherwise the request itself is at fault and `status`/`body` are the RelayMiner's answer, fit to
 * pass on to an OpenAI client.
 *
 * @example
 * catch (e) { if (e instanceof RelayError && !e.retryable) res.writeHead(e.status ?? 502).end(e.body) }
 */
export class RelayError extends DecaiError {
  override name = "RelayError";
  constructor(
    readonly kind: RelayFailureKind,
    message: string,
    readonly details: {
      supplier: Address;
      retryable: boolean;
      /** Whether it reflects on the supplier's health (unreachable, 5xx, bad receipt) rather than on quota or session. */
      supplierFault: boolean;
      /** HTTP status of a `status` failure. */
      status?: number;
      /** OpenAI-style error code of a refusal (e.g. "insufficient_quota"). */
      code?: string;
      /** Raw error body of a `status` failure. */
      body?: string;
      /** The refusal's `retry-after`, in ms (e.g. a paused supplier's). */
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get supplier(): Address {
    return this.details.supplier;
  }
  get retryable(): boolean {
    return this.details.retryable;
  }
  get supplierFault(): boolean {
    return this.details.supplierFault;
  }
  get status(): number | undefined {
    return this.details.status;
  }
  get code(): string | undefined {
    return this.details.code;
  }
  get body(): string | undefined {
    return this.details.body;
  }
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

/**
 * Every supplier tried for a request failed (or none was eligible). `attempts` holds each attempt's error,
 * in order.
 *
 * @example
 * catch (e) { if (e instanceof AllSuppliersFailedError) console.error(e.attempts.map((a) => a.message)) }
 */
export class AllSuppliersFailedError extends DecaiError {
  override name = "AllSuppliersFailedError";
  constructor(
    readonly attempts: readonly RelayError[],
    detail: string,
  ) {
    const last = attempts.at(-1);
    super(
      `${detail}${last ? `; last error: ${last.message}` : ""}. Retry later, or check the suppliers' health.`,
    );
  }

  /** HTTP status that fits this failure for an OpenAI client: 429 when every supplier refused on quota. */
  get status(): number {
    return this.attempts.length > 0 && this.attempts.every((a) => a.status === 429) ? 429 : 502;
  }
}

/**
 * A stream broke after its first event reached the caller, so it cannot be retried: the caller ends its own
 * stream with an error event (`streamErrorEvent`).
 *
 * @example
 * for await (const event of stream) res.write(event.bytes); // throws RelayStreamError on a cut
 */
export class RelayStreamError extends DecaiError {
  override name = "RelayStreamError";
  /** True when the caller stopped the stream (no fault of the supplier's); false when it broke. */
  readonly cancelled: boolean;
  constructor(
    readonly supplier: Address,
    message: string,
    options: { cause?: unknown; cancelled?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.cancelled = options.cancelled ?? false;
  }
}
