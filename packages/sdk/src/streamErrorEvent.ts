/**
 * An OpenAI-style SSE error event (`data: {"error": {...}}` then a blank line) that ends a stream cleanly
 * after a failure that can no longer be retried, e.g. a `RelayStreamError` once the first event was sent.
 *
 * @example
 * try { for await (const event of stream) res.write(event.bytes); }
 * catch (error) { res.end(streamErrorEvent(error)); }
 */
export function streamErrorEvent(error: unknown, code = "stream_interrupted"): string {
  const message = error instanceof Error ? error.message : String(error);
  return `data: ${JSON.stringify({ error: { message, type: "api_error", param: null, code } })}\n\n`;
}
