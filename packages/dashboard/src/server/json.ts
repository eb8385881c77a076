import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * An error the API answers with its status and a message that says what to do.
 *
 * @example
 * throw new HttpError(400, '"0x12" is not an address: use 0x followed by 40 hex digits');
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * JSON text with bigints as decimal strings (the UI formats amounts with the token's decimals).
 *
 * @example
 * toJson({ stake: 100n }); // '{"stake":"100"}'
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Sends `value` as JSON, never cached (the data follows the chain).
 *
 * @example
 * sendJson(res, 200, { status });
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = toJson(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Sends an error as `{ error: { message, status } }`.
 *
 * @example
 * sendError(res, new HttpError(404, "no such page"));
 */
export function sendError(res: ServerResponse, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { message, status } });
}

/**
 * Reads a JSON object body (at most 64 KiB).
 *
 * @example
 * const body = await readJsonBody(req); // { name: "acme" }
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, "the request body is over 64 KiB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
