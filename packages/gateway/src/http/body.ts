import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";

const tooLarge = (limit: number) =>
  new GatewayError(
    "request_too_large",
    `The request body is larger than this gateway's limit of ${limit} bytes: shorten the prompt or input.`,
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
      resolve(Buffer.concat(chunks, size));
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

/**
 * Parses a body that must be a JSON object; throws 400 `invalid_json` otherwise.
 *
 * @example
 * const body = parseJsonObject(await readBody(req, limit));
 */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (exceedsJsonDepth(raw, maxJsonDepth)) {
    throw new GatewayError(
      "invalid_json",
      `The JSON body nests arrays and objects deeper than ${maxJsonDepth} levels: flatten it.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new GatewayError(
      "invalid_json",
      `We could not parse the JSON body of your request (${(error as Error).message}). Send a JSON object with content-type application/json.`,
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new GatewayError("invalid_json", "The request body must be a JSON object.");
  }
  return json as Record<string, unknown>;
}

/**
 * Sends a JSON response (bigints as decimal strings).
 *
 * @example
 * sendJson(res, 200, { object: "list", data: [] });
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
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
