import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the mock backend received, and what it did with it. */
export type BackendCall = {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** Bytes it sent back (for streams: exactly the SSE bytes written). */
  sent: Buffer[];
  /** True when the connection closed before the backend finished (the client, or the RelayMiner, left). */
  aborted: boolean;
  finished: boolean;
};

/** Knobs the tests turn. */
export type BackendBehaviour = {
  /** Content chunks per answer (capped by max_tokens). Default 5. */
  tokens: number;
  /** prompt_tokens reported in usage. Default 7. */
  promptTokens: number;
  /** Answer with this HTTP status instead (e.g. 500, 400). */
  failWith?: number;
  /** Streams: after this many content chunks, wait for `release()` (or for the connection to close). */
  pauseAfter?: number;
  /** Non-streamed answers: leave out `usage`. */
  omitUsage?: boolean;
};

/**
 * A small real HTTP server speaking OpenAI's chat-completions format, streamed (SSE, one token per chunk, an
 * optional usage chunk, `data: [DONE]`) or not. It records every call so tests can check the body arrived
 * unchanged and that cancelled streams were really cancelled upstream.
 */
export async function startMockBackend() {
  const calls: BackendCall[] = [];
  const behaviour: BackendBehaviour = { tokens: 5, promptTokens: 7 };
  let release: (() => void) | undefined;
  const waiters: ((call: BackendCall) => void)[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const call: BackendCall = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks),
      sent: [],
      aborted: false,
      finished: false,
    };
    calls.push(call);
    res.on("close", () => {
      if (!res.writableFinished) call.aborted = true;
      for (const w of waiters.splice(0)) w(call);
    });
    if (behaviour.failWith) {
      res.writeHead(behaviour.failWith, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "mock failure", type: "invalid_request_error" } }));
      return;
    }
    const request = JSON.parse(call.body.toString()) as {
      stream?: boolean;
      max_tokens?: number;
      stream_options?: { include_usage?: boolean };
    };
    const n = Math.min(behaviour.tokens, request.max_tokens ?? Number.POSITIVE_INFINITY);
    const usage = { prompt_tokens: behaviour.promptTokens, completion_tokens: n, total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + n;
    if (!request.stream) {
      const body = JSON.stringify({
        id: "chatcmpl-mock",
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: Array.from({ length: n }, (_, i) => `tok${i}`).join(" ") },
            finish_reason: "length",
          },
        ],
        ...(behaviour.omitUsage ? {} : { usage }),
      });
      call.sent.push(Buffer.from(body));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body, () => {
        call.finished = true;
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (data: string) => {
      const bytes = Buffer.from(`data: ${data}\n\n`);
      call.sent.push(bytes);
      res.write(bytes);
    };
    const chunk = (delta: object, finish: string | null = null) =>
      JSON.stringify({
        id: "chatcmpl-mock",
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    send(chunk({ role: "assistant", content: "" }));
    for (let i = 0; i < n; i++) {
      if (behaviour.pauseAfter !== undefined && i === behaviour.pauseAfter) {
        await new Promise<void>((resolve) => {
          release = resolve;
          res.once("close", resolve);
        });
        if (res.destroyed) return;
      }
      send(chunk({ content: `tok${i} ` }));
    }
    send(chunk({}, "length"));
    if (request.stream_options?.include_usage)
      send(JSON.stringify({ id: "chatcmpl-mock", choices: [], usage }));
    send("[DONE]");
    res.end(() => {
      call.finished = true;
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.destroy(error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    behaviour,
    /** Lets a paused stream go on. */
    release: () => release?.(),
    /** Resolves when the next backend connection closes. */
    nextClose: () => new Promise<BackendCall>((resolve) => waiters.push(resolve)),
    reset() {
      calls.length = 0;
      Object.assign(behaviour, { tokens: 5, promptTokens: 7, failWith: undefined, pauseAfter: undefined });
      behaviour.omitUsage = false;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type MockBackend = Awaited<ReturnType<typeof startMockBackend>>;

/** A URL where nothing listens (a port that was just freed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
