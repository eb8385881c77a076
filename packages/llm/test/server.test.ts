import { request } from "node:http";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendServer, createBackendServer, type EmbeddedBackend } from "../src/index.js";
import { ask, askStream, createFixture, type Fixture, until } from "./helpers.js";

let fx: Fixture;
let backend: EmbeddedBackend;
let single: EmbeddedBackend;
let server: BackendServer;
let singleServer: BackendServer;
let client: OpenAI;

beforeAll(async () => {
  fx = await createFixture();
  backend = await fx.backend({ parallel: 2 });
  single = await fx.backend({ parallel: 1, maxQueue: 0 });
  server = await createBackendServer(backend, { maxBodyBytes: 64 * 1024 });
  singleServer = await createBackendServer(single);
  client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  await singleServer?.close();
  await fx?.close();
});

const post = (path: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("OpenAI-compatible HTTP API (official openai client)", () => {
  it("lists models", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["decai-tiny"]);
    expect((await client.models.retrieve("decai-tiny")).id).toBe("decai-tiny");
  });

  it("serves chat completions, whole and streamed, with the same text and usage", async () => {
    const params = {
      model: "decai-tiny",
      messages: [{ role: "user" as const, content: "Hi" }],
      temperature: 0,
      max_tokens: 12,
    };
    const whole = await client.chat.completions.create(params);
    expect(whole.choices[0]?.finish_reason).toBe("length");
    const stream = await client.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(usage).toEqual(whole.usage);
  });

  it("serves text completions, whole and streamed", async () => {
    const params = { model: "decai-tiny", prompt: "Once upon", max_tokens: 9, temperature: 0, logprobs: 1 };
    const whole = await client.completions.create(params);
    const stream = await client.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let tokens = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      tokens += chunk.choices[0]?.logprobs?.tokens?.length ?? 0;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(whole.choices[0]?.text);
    expect(tokens).toBe(9);
    expect(usage).toEqual(whole.usage);
    expect(whole.choices[0]?.logprobs?.tokens?.join("")).toBe(text);
  });

  it("serves text completions and embeddings (the client asks for base64 and decodes it)", async () => {
    const completion = await client.completions.create({
      model: "decai-tiny",
      prompt: "Once",
      max_tokens: 5,
      temperature: 0,
    });
    expect(completion.usage?.completion_tokens).toBe(5);
    const direct = await backend.embed({ model: "decai-tiny", input: "hello" });
    const viaHttp = await client.embeddings.create({ model: "decai-tiny", input: "hello" });
    expect(viaHttp.data[0]?.embedding).toEqual(direct.data[0]?.embedding);
  });

  it("raises OpenAI errors as APIError with status and body", async () => {
    const err = await client.chat.completions
      .create({ ...ask("x"), model: "gpt-4o" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
  });
});

describe("wire format", () => {
  it("streams SSE exactly as OpenAI: data lines, a usage chunk, then [DONE]", async () => {
    const res = await post(
      "/chat/completions",
      askStream("Hi", { max_tokens: 4, stream_options: { include_usage: true } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.endsWith("\n\ndata: [DONE]\n\n")).toBe(true);
    const events = body.split("\n\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: ") && !e.includes("\n"))).toBe(true);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(chunks.at(-1)).toMatchObject({
      object: "chat.completion.chunk",
      choices: [],
      usage: { completion_tokens: 4 },
    });
    expect(chunks.at(-2).choices[0].finish_reason).toBe("length");
  });

  it("answers GET /health", async () => {
    const res = await fetch(server.url.replace(/\/v1$/, "/health"));
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("bad input gets OpenAI-style errors with the right status", () => {
  const expectError = async (res: Response, status: number, code: string | null) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe("string");
    return body.error;
  };

  it("400 for malformed JSON or a body that is not an object", async () => {
    await expectError(await post("/chat/completions", "{not json"), 400, "invalid_json");
    await expectError(await post("/chat/completions", "[1,2]"), 400, "invalid_request_body");
  });

  it("404 for an unknown model or route", async () => {
    const err = await expectError(
      await post("/chat/completions", { ...ask("x"), model: "nope" }),
      404,
      "model_not_found",
    );
    expect(err.param).toBe("model");
    await expectError(await post("/completions", { model: "nope", prompt: "x" }), 404, "model_not_found");
    await expectError(await post("/embeddings", { model: "nope", input: "x" }), 404, "model_not_found");
    await expectError(await post("/nothing-here", {}), 404, "not_found");
    await expectError(await fetch(`${server.url}/models/nope`), 404, "model_not_found");
  });

  it("405 for a wrong method", async () => {
    const res = await fetch(`${server.url}/chat/completions`);
    expect(res.headers.get("allow")).toBe("POST");
    await expectError(res, 405, "method_not_allowed");
  });

  it("413 for a body over the limit, declared or chunked", async () => {
    const big = { ...ask("x".repeat(70 * 1024)) };
    await expectError(await post("/chat/completions", big), 413, "request_too_large");
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/chat/completions`, { method: "POST" }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write('{"model":"decai-tiny","messages":[{"role":"user","content":"');
      req.end(`${"y".repeat(70 * 1024)}"}]}`);
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.code).toBe("request_too_large");
  });

  it("422 for missing or mistyped parameters, naming them", async () => {
    const err = await expectError(
      await post("/chat/completions", ask("x", { temperature: "warm" })),
      422,
      "invalid_type",
    );
    expect(err.param).toBe("temperature");
    const missing = await expectError(
      await post("/completions", { model: "decai-tiny" }),
      422,
      "missing_required_parameter",
    );
    expect(missing.param).toBe("prompt");
    await expectError(
      await post("/chat/completions", { model: "decai-tiny" }),
      422,
      "missing_required_parameter",
    );
  });

  it("400 context_length_exceeded for a prompt longer than the context", async () => {
    await expectError(
      await post("/chat/completions", ask("zq".repeat(backend.contextSize))),
      400,
      "context_length_exceeded",
    );
  });

  it("503 when every sequence is busy and the queue is full", async () => {
    const held = await single.chat(askStream("hold"));
    try {
      const res = await fetch(`${singleServer.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify(ask("x")),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("overloaded");
    } finally {
      await held[Symbol.asyncIterator]().return?.();
    }
  });
});

describe("client disconnects", () => {
  it("a client that disconnects mid-stream cancels generation: the sequence is freed and the next request works", async () => {
    const body = JSON.stringify(askStream("A long story", { temperature: 0, max_tokens: 400 }));
    const before = single.stats();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${singleServer.url}/chat/completions`, { method: "POST" }, (res) => {
        let seen = "";
        res.on("data", (d: Buffer) => {
          seen += d.toString();
          if (seen.includes('"content":"') && seen.split("\n\n").length > 3) {
            expect(single.stats().busy).toBe(1); // still generating when we hang up
            req.destroy();
            resolve();
          }
        });
        res.on("end", () => reject(new Error("the stream ended before the client hung up")));
      });
      req.on("error", () => {});
      req.end(body);
    });
    await until(() => single.stats().busy === 0, "the sequence to be freed");
    expect(single.stats()).toMatchObject({ cancelled: before.cancelled + 1, completed: before.completed });
    const res = await fetch(`${singleServer.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify(ask("next", { max_tokens: 3, temperature: 0 })),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
  });
});
