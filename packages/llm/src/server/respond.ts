import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { type OpenAIError, toOpenAIError } from "../openai/errors.js";
import { encodeSse, sseDone } from "../openai/sse.js";

/**
 * Sends a JSON response.
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
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Sends an OpenAI-style error (`{"error":{...}}`) with its status.
 *
 * @example
 * sendError(res, new OpenAIError(404, "Unknown route"));
 */
export function sendError(res: ServerResponse, err: OpenAIError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, err.toJSON(), headers);
}

/**
 * Writes a chunk, waiting for the socket to drain when its buffer is full (slow clients slow the generation
 * down instead of growing memory). Resolves false once the client is gone.
 *
 * @example
 * if (!(await write(res, bytes, signal))) return;
 */
export async function write(
  res: ServerResponse,
  data: string | Uint8Array,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(data)) return true;
  try {
    await once(res, "drain", { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Streams events as OpenAI SSE: `data: {json}\n\n` each, then `data: [DONE]\n\n`. An error after the headers
 * went out is sent as a final `data: {"error":...}` event without `[DONE]`, which OpenAI clients raise.
 *
 * @example
 * await sendSse(res, stream, signal);
 */
export async function sendSse(
  res: ServerResponse,
  events: AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no", // tell nginx-style proxies not to buffer the stream
  });
  res.flushHeaders();
  for await (const event of events) {
    if (!(await write(res, encodeSse(event), signal))) return; // break: cancels the generation
  }
  res.end(encodeSse(sseDone));
}

/**
 * Ends a stream whose headers are already sent with an error event.
 *
 * @example
 * sendSseError(res, err);
 */
export function sendSseError(res: ServerResponse, err: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  res.end(encodeSse(toOpenAIError(err).toJSON()));
}
