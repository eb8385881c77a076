import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isStaleSocketError } from "@decai/http";

// Keep-alive pools shared by every relay: a TLS or TCP handshake per relay would dominate small requests.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** No response headers arrived in time. */
export class HeadersTimeoutError extends Error {
  override name = "HeadersTimeoutError";
}

/**
 * POSTs `body` and resolves with the response once its headers arrive; its body streams from the message.
 * `signal` aborts at any point (the socket is destroyed, so the RelayMiner sees the client leave).
 * @internal
 */
export function post(args: {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  signal: AbortSignal;
  timeoutMs: number;
  agent?: http.Agent;
}): Promise<IncomingMessage> {
  const { url, body, signal } = args;
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(new TypeError(`supplier endpoint ${url.href} must be http:// or https://`));
  }
  const transport = url.protocol === "https:" ? https : http;
  const send = (retried: boolean): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = transport.request(url, {
        method: "POST",
        agent: args.agent ?? (url.protocol === "https:" ? agents.https : agents.http),
        signal,
        headers: { ...args.headers, "content-length": body.length },
      });
      const timer = setTimeout(() => {
        req.destroy(new HeadersTimeoutError(`no response headers within ${args.timeoutMs} ms`));
      }, args.timeoutMs);
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        clearTimeout(timer);
        resolve(res);
      });
      req.on("error", (error) => {
        clearTimeout(timer);
        // The RelayMiner closed an idle pooled connection as we reused it: it never saw this relay.
        if (!retried && !answered && !signal.aborted && isStaleSocketError(req, error)) resolve(send(true));
        else reject(error);
      });
      req.end(body);
    });
  return send(false);
}

/** Reads a whole response body, up to `limit` bytes (the rest is dropped). @internal */
export async function readBody(res: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
