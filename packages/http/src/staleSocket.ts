import type { ClientRequest } from "node:http";

/**
 * Whether a request failed only because it went out on a pooled keep-alive socket that the server had just closed
 * as idle (its keep-alive timeout raced our reuse): the server never read the request, so sending it again on a
 * fresh connection is safe. Node's own advice for `agent.keepAlive`; a request that got any answer never is.
 *
 * @example
 * req.on("error", (error) => (isStaleSocketError(req, error) && !retried ? sendAgain() : fail(error)));
 */
export function isStaleSocketError(req: ClientRequest, error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE" || error.message === "socket hang up")
  );
}
