import type { IncomingMessage } from "node:http";
import { OpenAIError } from "../openai/errors.js";

/**
 * Reads a request body, refusing it with 413 as soon as it is known to exceed `maxBytes` (from Content-Length,
 * or while reading a chunked body) instead of buffering it.
 *
 * @example
 * const bytes = await readBody(req, 1 << 20);
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Parses a JSON body; 400 with the parser's complaint when it is not JSON.
 *
 * @example
 * const body = parseJsonBody(await readBody(req, limit));
 */
export function parseJsonBody(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new OpenAIError(400, `The request body is not valid JSON (${detail}).`, { code: "invalid_json" });
  }
}

const tooLarge = (maxBytes: number) =>
  new OpenAIError(413, `The request body is larger than the ${maxBytes}-byte limit of this server.`, {
    code: "request_too_large",
  });
