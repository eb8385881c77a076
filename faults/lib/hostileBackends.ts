// Model backends for fault tests: the @decai/llm mock behind its real OpenAI-compatible server, fronted by a small
// HTTP switch that can slow it down, make it fail, or make it answer garbage, while it runs.
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createBackendServer, createMockBackend } from "@decai/llm";

/**
 * What the backend does with the next requests:
 * - `ok`: the mock's answer;
 * - `error500`: an OpenAI-style 500;
 * - `reset`: the connection is cut before any answer (a crashed backend);
 * - `not-json`: a 200 whose body is an HTML error page;
 * - `truncated-json`: a 200 whose JSON body stops halfway;
 * - `sse-garbage`: a 200 event stream whose events are not JSON;
 * - `sse-partial`: a 200 event stream that stops after a few events, without `data: [DONE]`;
 * - `sse-torn`: a 200 event stream that ends in the middle of an event.
 */
export type BackendMode =
  | "ok"
  | "error500"
  | "reset"
  | "not-json"
  | "truncated-json"
  | "sse-garbage"
  | "sse-partial"
  | "sse-torn";

/** Knobs a test turns while the backend runs, and what it saw. */
export type BackendKnobs = {
  mode: BackendMode;
  /** Extra delay before anything is answered, ms. */
  delayMs: number;
  /** Requests received. */
  calls: number;
};

/** A controllable backend: its base URL (the RelayMiner appends `/v1/...`), knobs, and `stop`. */
export type ControlledBackend = { url: string; knobs: BackendKnobs; stop: () => Promise<void> };

const chunk = (content: string) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-x",
    object: "chat.completion.chunk",
    created: 1,
    model: "tiny-llama",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;

/**
 * Starts the @decai/llm mock backend (model "tiny-llama") behind a switch with {@link BackendKnobs}.
 *
 * @example
 * const backend = await startControlledBackend({ completionTokens: 8 });
 * backend.knobs.mode = "not-json"; // the next answers are garbage
 */
export async function startControlledBackend(
  options: { completionTokens?: number; tokensPerSecond?: number; latencyMs?: number } = {},
): Promise<ControlledBackend> {
  const mock = createMockBackend({
    modelId: "tiny-llama",
    completionTokens: options.completionTokens ?? 8,
    ...(options.tokensPerSecond ? { tokensPerSecond: options.tokensPerSecond } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  const inner = await createBackendServer(mock);
  const knobs: BackendKnobs = { mode: "ok", delayMs: 0, calls: 0 };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const upstream = request(
      {
        host: "127.0.0.1",
        port: inner.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${inner.port}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  };

  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = Buffer.concat(parts);
    knobs.calls++;
    if (knobs.delayMs > 0) await new Promise((r) => setTimeout(r, knobs.delayMs));
    if (res.destroyed) return;
    switch (knobs.mode) {
      case "ok":
        return forward(req, res, body);
      case "error500":
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "injected", type: "server_error", code: "injected" } }));
        return;
      case "reset":
        req.socket.destroy();
        return;
      case "not-json":
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body>502 Bad Gateway (nginx)</body></html>");
        return;
      case "truncated-json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          '{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assi',
        );
        return;
      case "sse-garbage":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end("data: <html>oops</html>\n\ndata: [DONE]\n\n");
        return;
      case "sse-partial":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(chunk(" hello"));
        res.end(chunk(" world"));
        return;
      case "sse-torn":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(chunk(" hello"));
        res.end('data: {"id":"chatcmpl-x","choi');
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    knobs,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await inner.close();
      await mock.close();
    },
  };
}
