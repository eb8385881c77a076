/**
 * Timeouts that bound how long a client may hold a connection without sending a whole request.
 *
 * @example
 * const timeouts: RequestTimeouts = { headersTimeoutMs: 5_000, requestTimeoutMs: 20_000 };
 */
export type RequestTimeouts = {
  /** Longest time to receive a request's headers, ms (slowloris). */
  headersTimeoutMs: number;
  /** Longest time to receive a whole request, body included, ms (slow bodies). Responses are not limited. */
  requestTimeoutMs: number;
};

/**
 * Default {@link RequestTimeouts}: 10 s for headers, 30 s for a whole request (a 1 MiB body at ~35 KB/s).
 *
 * @example
 * const timeouts = { ...defaultRequestTimeouts, ...options.timeouts };
 */
export const defaultRequestTimeouts: RequestTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/**
 * The server options that enforce `timeouts` (checked often enough that a short timeout fires on time).
 *
 * @example
 * const server = createServer(timeoutServerOptions(defaultRequestTimeouts), handler);
 */
export function timeoutServerOptions(timeouts: RequestTimeouts) {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(1000, timeouts.headersTimeoutMs / 4, timeouts.requestTimeoutMs / 4),
    ),
  };
}
