import type { IncomingMessage } from "node:http";

/**
 * Reads a request body of at most `limit` bytes. A declared `content-length` over the limit is refused before
 * anything is read; a body that grows past it is refused as soon as it does (the rest is not buffered, and stays
 * unread on the socket: see {@link discardBody}). Either refusal rejects with `tooLarge(limit)`, so each server
 * answers with its own error type.
 *
 * @example
 * const body = await readBody(req, 1 << 20, (limit) => new Error(`The body is over ${limit} bytes.`));
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: (limit: number) => Error,
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      // A body that came in one chunk (the usual case) is returned as is, without a copy.
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
