import type { IncomingMessage, ServerResponse } from "node:http";
import { exceedsJsonDepth, maxJsonDepth, readBody as readBoundedBody } from "@decai/http";
import { GatewayError } from "../errors.js";

const tooLarge = (limit: number) =>
  new GatewayError(
    "request_too_large",
    `The request body is larger than this gateway's limit of ${limit} bytes: shorten the prompt or input.`,
  );

/**
 * Reads a request body of at most `limit` bytes, refusing a larger one with 413 `request_too_large`.
 *
 * @example
 * const body = await readBody(req, 1 << 20);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readBoundedBody(req, limit, tooLarge);
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
