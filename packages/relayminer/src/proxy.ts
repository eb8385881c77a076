import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isStaleSocketError } from "@decai/http";

/** An OpenAI-compatible backend of one service. */
export type Backend = {
  /** Base URL; the relay's path is appended (e.g. "http://127.0.0.1:8080" + "/v1/chat/completions"). */
  url: string;
  /** Extra headers for the backend, e.g. `{ authorization: "Bearer …" }` for a hosted upstream. */
  headers?: Record<string, string>;
};

/** The backend could not be reached, or did not answer in time. */
export class BackendUnavailableError extends Error {
  override name = "BackendUnavailableError";
}

/** A reusable connection pool to one backend. */
export type BackendClient = {
  /**
   * Sends the relay's request to the backend, body unchanged, and resolves with its response headers; the body
   * streams from the returned message. Rejects with `BackendUnavailableError` when the backend cannot be reached
   * or sends no headers within `timeoutMs`. `signal` aborts the request at any point (client gone).
   */
  forward(args: {
    method: string;
    path: string;
    body: Buffer;
    contentType: string | undefined;
    signal: AbortSignal;
  }): Promise<IncomingMessage>;
  /** Closes idle connections. */
  close(): void;
};

/**
 * Creates a keep-alive client for one backend (node:http, no fetch layer on the hot path).
 *
 * @example
 * const backend = createBackendClient({ url: "http://127.0.0.1:8080" }, { timeoutMs: 60_000 });
 * const upstream = await backend.forward({ method: "POST", path, body, contentType, signal });
 */
export function createBackendClient(backend: Backend, options: { timeoutMs: number }): BackendClient {
  const base = new URL(backend.url);
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(`backend URL ${backend.url} must be http:// or https://`);
  }
  const transport = base.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 256 });
  const prefix = base.pathname.replace(/\/$/, "");

  return {
    forward({ method, path, body, contentType, signal }) {
      const send = (retried: boolean): Promise<IncomingMessage> =>
        new Promise((resolve, reject) => {
          const req = transport.request({
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            method,
            path: prefix + path,
            agent,
            signal,
            headers: {
              ...backend.headers,
              "content-type": contentType ?? "application/json",
              "content-length": body.length,
              accept: "application/json, text/event-stream",
            },
          });
          const timer = setTimeout(() => {
            req.destroy(
              new BackendUnavailableError(`no response from ${backend.url} within ${options.timeoutMs} ms`),
            );
          }, options.timeoutMs);
          let answered = false;
          req.on("response", (res) => {
            answered = true;
            clearTimeout(timer);
            resolve(res);
          });
          req.on("error", (error) => {
            clearTimeout(timer);
            if (error instanceof BackendUnavailableError || signal.aborted) reject(error);
            // The backend closed an idle pooled connection as we reused it: it never saw this request.
            else if (!retried && !answered && isStaleSocketError(req, error)) resolve(send(true));
            else reject(new BackendUnavailableError(`cannot reach ${backend.url}: ${error.message}`));
          });
          req.end(body);
        });
      return send(false);
    },
    close() {
      agent.destroy();
    },
  };
}

/** Reads a whole backend response body. */
export async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
