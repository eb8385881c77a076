import type { IncomingMessage } from "node:http";

/**
 * How much of a refused request body is read and dropped before the connection is cut instead.
 *
 * @example
 * discardBody(req, maxDiscardBytes, (drained) => sendTheError(drained));
 */
export const maxDiscardBytes = 8 << 20;

/**
 * Reads and drops the rest of a request body the server refused without reading (too large, no API key), then
 * calls `done(true)`; past `maxBytes` (or a declared length past it), or when the client goes away, `done(false)`.
 * Answering only then matters: closing a socket with unread input makes the kernel reset the connection, and a
 * client still sending its body would lose the answer. Memory stays flat either way.
 *
 * @example
 * discardBody(req, maxDiscardBytes, (drained) => sendTheError(drained));
 */
export function discardBody(req: IncomingMessage, maxBytes: number, done: (drained: boolean) => void): void {
  if (req.complete) {
    done(true);
    return;
  }
  // A declared length past the limit will be cut anyway: answer at once rather than wait for bytes to drop.
  if (Number(req.headers["content-length"]) > maxBytes) {
    done(false);
    return;
  }
  let seen = 0;
  let finished = false;
  const finish = (drained: boolean) => {
    if (finished) return;
    finished = true;
    req.off("data", onData);
    done(drained);
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) {
      req.pause();
      finish(false);
    }
  };
  req.on("data", onData);
  req.once("end", () => finish(true));
  req.once("close", () => finish(req.complete));
  req.resume();
}
