import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Backend, isStream, type RawRequest } from "../backend.js";
import { BackendDisconnectError, OpenAIError, toOpenAIError } from "../openai/errors.js";
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from "../openai/parse.js";
import type { ModelList } from "../openai/types.js";
import { parseJsonBody, readBody } from "./body.js";
import { sendError, sendJson, sendSse, sendSseError, write } from "./respond.js";

/** Options of {@link createBackendServer}. */
export type BackendServerOptions = {
  /** Default 0: any free port (read it from `port` or `url`). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Larger request bodies get 413. Default 1 MiB. */
  maxBodyBytes?: number;
};

/** A listening backend server. */
export type BackendServer = {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080/v1` (what OpenAI clients call `baseURL`). */
  url: string;
  port: number;
  server: Server;
  /** Stops listening and drops open connections (cancelling their generations); the backend stays open. */
  close(): Promise<void>;
};

type PostRoute = { call: "chat" | "complete" | "embed"; validate: (body: unknown) => unknown };

const postRoutes: Record<string, PostRoute> = {
  "/v1/chat/completions": { call: "chat", validate: parseChatRequest },
  "/v1/completions": { call: "complete", validate: parseCompletionRequest },
  "/v1/embeddings": { call: "embed", validate: parseEmbeddingRequest },
};

/**
 * Serves any {@link Backend} over an OpenAI-compatible HTTP API: `POST /v1/chat/completions`, `/v1/completions`
 * (JSON or SSE with `stream: true`), `/v1/embeddings`, `GET /v1/models[/{id}]`, and `GET /health`. Errors are
 * OpenAI-style JSON with a fitting status; a client that disconnects cancels its generation.
 *
 * @example
 * const backend = await createEmbeddedBackend();
 * const { url, close } = await createBackendServer(backend, { port: 8080 });
 * // new OpenAI({ baseURL: url, apiKey: "unused" })
 */
export async function createBackendServer(
  backend: Backend,
  { port = 0, host = "127.0.0.1", maxBodyBytes = 1 << 20 }: BackendServerOptions = {},
): Promise<BackendServer> {
  const server = createServer((req, res) => {
    void handle(backend, req, res, maxBodyBytes);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/v1`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(backend: Backend, req: IncomingMessage, res: ServerResponse, maxBodyBytes: number) {
  const cancel = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) cancel.abort(); // the client left before the response ended
  });
  const signal = cancel.signal;
  try {
    const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    if (path === "/health" && method === "GET") return sendJson(res, 200, { status: "ok" });
    if (path === "/v1/models" || path.startsWith("/v1/models/")) {
      if (method !== "GET") throw methodNotAllowed("GET");
      if (backend.passthrough) return await relay(backend, req, res, Buffer.alloc(0), signal);
      const models = await backend.models({ signal });
      if (path === "/v1/models")
        return sendJson(res, 200, { object: "list", data: models } satisfies ModelList);
      const id = decodeURIComponent(path.slice("/v1/models/".length));
      const model = models.find((m) => m.id === id);
      if (!model)
        throw new OpenAIError(404, `The model \`${id}\` does not exist.`, { code: "model_not_found" });
      return sendJson(res, 200, model);
    }
    const route = postRoutes[path];
    if (!route) {
      throw new OpenAIError(
        404,
        `Unknown route ${method} ${path || "/"}; see GET /v1/models and POST /v1/*.`,
        {
          code: "not_found",
        },
      );
    }
    if (method !== "POST") throw methodNotAllowed("POST");
    const bytes = await readBody(req, maxBodyBytes);
    const body = parseJsonBody(bytes);
    if (backend.passthrough) {
      route.validate(body); // uniform errors, and junk never reaches the upstream
      return await relay(backend, req, res, bytes, signal);
    }
    const request = body as never; // the backend validates it
    const result: unknown =
      route.call === "chat"
        ? await backend.chat(request, { signal })
        : route.call === "complete"
          ? await backend.complete(request, { signal })
          : await backend.embed(request, { signal });
    if (isStream(result)) return await sendSse(res, result, signal);
    sendJson(res, 200, result);
  } catch (err) {
    if (err instanceof BackendDisconnectError) {
      // Close the connection once what was written is flushed, without ending the HTTP response properly.
      if (res.socket) res.socket.end();
      else res.destroy();
      return;
    }
    if (res.headersSent) return sendSseError(res, err);
    const error = toOpenAIError(err);
    const headers: Record<string, string> = error.status === 413 ? { connection: "close" } : {};
    if (error.status === 405) headers.allow = error.param ?? "";
    sendError(res, error, headers);
  }
}

const methodNotAllowed = (allowed: string) =>
  new OpenAIError(405, `Method not allowed here; use ${allowed}.`, {
    param: allowed,
    code: "method_not_allowed",
  });

const forwardedRequestHeaders = ["content-type", "accept"];
const relayedResponseHeaders = ["content-type", "cache-control", "x-request-id", "openai-processing-ms"];

/** Forwards the raw request to a passthrough backend and relays its response byte for byte. */
async function relay(
  backend: Backend,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  signal: AbortSignal,
) {
  const headers: Record<string, string> = {};
  for (const name of forwardedRequestHeaders) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const raw: RawRequest = { method: req.method ?? "GET", path: req.url ?? "/", headers, body };
  const upstream = await (backend.passthrough as NonNullable<Backend["passthrough"]>)(raw, { signal });
  const out: Record<string, string> = {};
  for (const name of relayedResponseHeaders) {
    const value = upstream.headers[name];
    if (value !== undefined) out[name] = value;
  }
  res.writeHead(upstream.status, out);
  res.flushHeaders();
  for await (const chunk of upstream.body) {
    if (!(await write(res, chunk, signal))) return;
  }
  res.end();
}
