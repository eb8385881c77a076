// A tiny OpenAI-shaped server for tests: deterministic completions, streams and embeddings, per-model failure
// modes, and a record of what it received and which streams were cut.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How a model answers: normally, or as a down (503), broken (500) or refusing (400) backend. */
export type FakeMode = "ok" | "down" | "fail" | "reject" | "no-usage" | "break-mid-stream";

export type FakeOptions = {
  models?: string[];
  /** Output tokens per choice when `max_tokens` allows. Default 5. */
  outputTokens?: number;
  /** Reported prompt tokens. Default 7. */
  promptTokens?: number;
  /** Delay before each streamed chunk. Default 0. */
  chunkDelayMs?: number;
};

export type FakeOpenAi = {
  url: string;
  /** Bodies received, by path. */
  received: { path: string; body: Record<string, unknown> }[];
  /** Streams whose client went away before the end. */
  readonly abortedStreams: number;
  /** Streams that ran to `[DONE]`. */
  readonly completedStreams: number;
  set(model: string, mode: FakeMode): void;
  options: Required<FakeOptions>;
  close(): Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Float embedding of a string: 4 numbers from its length, so tests can check them. */
const embeddingOf = (text: string) => [text.length, 0.5, -0.25, 1];

export async function startFakeOpenAi(options: FakeOptions = {}): Promise<FakeOpenAi> {
  const opts: Required<FakeOptions> = {
    models: options.models ?? ["tiny-llama"],
    outputTokens: options.outputTokens ?? 5,
    promptTokens: options.promptTokens ?? 7,
    chunkDelayMs: options.chunkDelayMs ?? 0,
  };
  const modes = new Map<string, FakeMode>();
  const received: FakeOpenAi["received"] = [];
  let abortedStreams = 0;
  let completedStreams = 0;

  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (req.method === "GET" && path === "/v1/models") {
      send(res, 200, {
        object: "list",
        data: opts.models.map((id) => ({ id, object: "model", created: 1 })),
      });
      return;
    }
    const body = await readJson(req);
    received.push({ path, body });
    const model = String(body.model);
    if (!opts.models.includes(model)) {
      send(res, 404, {
        error: { message: `no model ${model}`, type: "not_found_error", code: "model_not_found" },
      });
      return;
    }
    const mode = modes.get(model) ?? "ok";
    if (mode === "down") return send(res, 503, { error: { message: "overloaded", type: "server_error" } });
    if (mode === "fail")
      return send(res, 500, { error: { message: "backend crashed", type: "server_error" } });
    if (mode === "reject") {
      return send(res, 400, {
        error: {
          message: "prompt is too long for the context",
          type: "invalid_request_error",
          param: "messages",
        },
      });
    }
    const created = 1_700_000_000;
    if (path === "/v1/embeddings") {
      const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      const data = inputs.map((text, index) => {
        const floats = embeddingOf(text);
        const embedding =
          body.encoding_format === "base64"
            ? Buffer.from(new Float32Array(floats).buffer).toString("base64")
            : floats;
        return { object: "embedding", index, embedding };
      });
      const prompt = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      send(res, 200, { object: "list", model, data, usage: { prompt_tokens: prompt, total_tokens: prompt } });
      return;
    }
    const chat = path === "/v1/chat/completions";
    const max = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    const n = Math.min(max ?? opts.outputTokens, opts.outputTokens);
    const tokens = Array.from({ length: n }, (_, i) => `t${i} `);
    const usage = {
      prompt_tokens: opts.promptTokens,
      completion_tokens: n,
      total_tokens: opts.promptTokens + n,
    };
    const object = chat ? "chat.completion" : "text_completion";
    if (body.stream !== true) {
      const text = tokens.join("");
      const choice = chat
        ? { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }
        : { index: 0, text, finish_reason: "stop", logprobs: null };
      send(res, 200, {
        id: "cmpl-1",
        object,
        created,
        model,
        choices: [choice],
        ...(mode === "no-usage" ? {} : { usage }),
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    let closed = false;
    res.on("close", () => {
      if (!res.writableFinished) {
        closed = true;
        abortedStreams++;
      }
    });
    const chunkObject = chat ? "chat.completion.chunk" : "text_completion";
    const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id: "cmpl-1", object: chunkObject, created, model, choices, ...extra })}\n\n`;
    if (chat)
      res.write(event([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
    for (const [i, t] of tokens.entries()) {
      if (opts.chunkDelayMs) await sleep(opts.chunkDelayMs);
      if (closed) return;
      if (mode === "break-mid-stream" && i === 2) {
        await sleep(20); // let what was written reach the gateway first
        res.destroy();
        return;
      }
      res.write(
        event([chat ? { index: 0, delta: { content: t }, finish_reason: null } : { index: 0, text: t }]),
      );
    }
    res.write(
      event([
        chat ? { index: 0, delta: {}, finish_reason: "stop" } : { index: 0, text: "", finish_reason: "stop" },
      ]),
    );
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage && mode !== "no-usage") res.write(event([], { usage }));
    res.end("data: [DONE]\n\n");
    completedStreams++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    get abortedStreams() {
      return abortedStreams;
    },
    get completedStreams() {
      return completedStreams;
    },
    set: (model, mode) => void modes.set(model, mode),
    options: opts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
