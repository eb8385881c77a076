import type { Server } from "node:http";
import type { Duplex } from "node:stream";

const statusOf = (code: string | undefined): [number, string, string] => {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return [408, "Request Timeout", "request_timeout"];
  if (code === "HPE_HEADER_OVERFLOW") return [431, "Request Header Fields Too Large", "headers_too_large"];
  return [400, "Bad Request", "malformed_http"];
};

/**
 * Answers requests Node's HTTP parser rejects (malformed HTTP, oversized headers, a request not received within
 * the timeouts) with an OpenAI-style JSON error instead of Node's bare status line, then closes the connection.
 *
 * @example
 * const server = createServer(timeoutServerOptions(defaultRequestTimeouts), handler);
 * answerClientErrors(server);
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    // A response already under way on this connection cannot be followed by another one: just close.
    const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
      ?.headersSent;
    if (error.code === "ECONNRESET" || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const [status, reason, code] = statusOf(error.code);
    const body = JSON.stringify({
      error: {
        message:
          status === 408
            ? "The request was not received in time: send the headers and body without pauses."
            : `The HTTP request could not be parsed (${error.code ?? error.message}).`,
        type: "invalid_request_error",
        param: null,
        code,
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
