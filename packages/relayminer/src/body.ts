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

/** How deeply a request body may nest arrays and objects. OpenAI requests (tools' JSON schemas included) stay far below. */
export const maxJsonDepth = 64;

/**
 * Whether the JSON text `body` nests arrays and objects deeper than `limit`, found in one pass over the bytes
 * without parsing: deep nesting costs parsers and re-serializers stack and time, so it is refused up front.
 *
 * @example
 * exceedsJsonDepth(Buffer.from("[[[]]]"), 2); // true
 */
export function exceedsJsonDepth(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
