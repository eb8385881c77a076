import type { IncomingMessage } from "node:http";
import { RelayRejection } from "./errors.js";

const tooLarge = (limit: number) =>
  new RelayRejection(
    "request_too_large",
    `The request body is larger than this RelayMiner's limit of ${limit} bytes: shorten the prompt.`,
  );

/**
 * Reads a request body of at most `limit` bytes. A declared `content-length` over the limit is refused before
 * anything is read; a body that grows past it is refused as soon as it does (the rest is not buffered).
 *
 * @example
 * const body = await readBody(req, 1 << 20);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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
