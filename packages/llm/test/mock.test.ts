import { request } from "node:http";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ChatCompletion,
  type Completion,
  countMockTokens,
  createBackendServer,
  createMockBackend,
  type MockBackendOptions,
} from "../src/index.js";

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "decai-mock",
  messages: [{ role: "user" as const, content }],
  ...extra,
});
const askStream = (content: string, extra: Record<string, unknown> = {}) => ({
  ...ask(content, extra),
  stream: true as const,
});

/** Serves a mock backend for the duration of `fn`. */
async function withServer(options: MockBackendOptions, fn: (url: string) => Promise<void>) {
  const backend = createMockBackend(options);
  const server = await createBackendServer(backend);
  try {
    await fn(server.url);
  } finally {
    await server.close();
    await backend.close();
  }
}

/** Raw POST that reports how the response ended: fully, or with the connection dropped. */
function rawPost(url: string, body: unknown) {
  return new Promise<{ status: number; text: string; ended: "end" | "dropped" }>((resolve) => {
    let status = 0;
    let text = "";
    const req = request(url, { method: "POST" }, (res) => {
      status = res.statusCode ?? 0;
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status, text, ended: "end" }));
      res.on("error", () => resolve({ status, text, ended: "dropped" }));
    });
    req.on("error", () => resolve({ status, text, ended: "dropped" }));
    req.end(JSON.stringify(body));
  });
}

/** A promise plus whether it has settled yet (to check what a fake clock has released). */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("mock backend", () => {
  it("is deterministic in the prompt and sampling, with exact mock-token usage", async () => {
    const mock = createMockBackend();
    const a = (await mock.chat(ask("Hello there"))) as ChatCompletion;
    const again = (await mock.chat(ask("Hello there"))) as ChatCompletion;
    const other = (await mock.chat(ask("Something else"))) as ChatCompletion;
    const text = (c: ChatCompletion) => c.choices[0]?.message.content ?? "";
    expect(text(again)).toBe(text(a));
    expect(text(other)).not.toBe(text(a));
    expect(a.usage).toEqual({
      prompt_tokens: countMockTokens("user: Hello there"),
      completion_tokens: 16,
      total_tokens: countMockTokens("user: Hello there") + 16,
    });
    expect(countMockTokens(text(a))).toBe(16);
    expect(a.choices[0]?.finish_reason).toBe("stop");
    const seeded = (seed: number) =>
      mock.chat(ask("Hello there", { temperature: 1, seed })).then((c) => text(c as ChatCompletion));
    expect(await seeded(1)).toBe(await seeded(1));
    expect(await seeded(1)).not.toBe(await seeded(2));
  });

  it("honours max_tokens and stop, streamed or not", async () => {
    const mock = createMockBackend({ completionTokens: 20 });
    const cut = (await mock.complete({ model: "decai-mock", prompt: "p", max_tokens: 4 })) as Completion;
    expect(cut.usage.completion_tokens).toBe(4);
    expect(cut.choices[0]?.finish_reason).toBe("length");
    const full = ((await mock.chat(ask("q"))) as ChatCompletion).choices[0]?.message.content ?? "";
    const stop = full.split(" ").slice(0, 4).join(" ");
    const stopped = (await mock.chat(ask("q", { stop: stop.slice(-3) }))) as ChatCompletion;
    expect(stopped.choices[0]?.message.content).toBe(full.slice(0, full.indexOf(stop.slice(-3))));
    expect(stopped.choices[0]?.finish_reason).toBe("stop");
    let streamed = "";
    for await (const chunk of await mock.chat(askStream("q", { stream_options: { include_usage: true } }))) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) expect(chunk.usage.completion_tokens).toBe(20);
    }
    expect(streamed).toBe(full);
  });

  it("embeds deterministically into unit vectors", async () => {
    const mock = createMockBackend({ embeddingDimensions: 8 });
    const out = await mock.embed({ model: "decai-mock", input: ["a b", "a b", "c"] });
    const [x, y, z] = out.data.map((d) => d.embedding as number[]);
    expect(x).toHaveLength(8);
    expect(Math.hypot(...(x ?? []))).toBeCloseTo(1, 9);
    expect(y).toEqual(x);
    expect(z).not.toEqual(x);
    expect(out.usage.prompt_tokens).toBe(5);
  });

  it("paces tokens at tokensPerSecond after latencyMs (fake clock)", async () => {
    vi.useFakeTimers();
    const mock = createMockBackend({ latencyMs: 500, tokensPerSecond: 10, completionTokens: 3 });
    const stream = (await mock.chat(askStream("x")))[Symbol.asyncIterator]();
    expect((await stream.next()).value?.choices[0]?.delta.role).toBe("assistant");
    const first = track(stream.next());
    await vi.advanceTimersByTimeAsync(499);
    expect(first.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await first.promise).value?.choices[0]?.delta.content).toMatch(/^ \w+$/);
    const second = track(stream.next());
    await vi.advanceTimersByTimeAsync(99);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await second.promise).value?.choices[0]?.delta.content).toMatch(/^ \w+$/);
  });

  it("slow-first-token delays only the first token (fake clock)", async () => {
    vi.useFakeTimers();
    const mock = createMockBackend({
      failure: "slow-first-token",
      slowFirstTokenMs: 3000,
      completionTokens: 2,
    });
    const stream = (await mock.chat(askStream("x")))[Symbol.asyncIterator]();
    await stream.next(); // role chunk
    const first = track(stream.next());
    await vi.advanceTimersByTimeAsync(2999);
    expect(first.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await first.promise).value?.choices[0]?.delta.content).toBeTruthy();
    expect((await stream.next()).value?.choices[0]?.delta.content).toBeTruthy(); // no delay: no timers advanced
  });

  it("hang never answers until the caller aborts", async () => {
    const mock = createMockBackend({ failure: "hang" });
    const abort = new AbortController();
    let settled = false;
    const pending = mock.chat(ask("x"), { signal: abort.signal }).finally(() => {
      settled = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("failureRate fails a fixed share of requests, the same ones every run", async () => {
    const outcomes = async () => {
      const mock = createMockBackend({ failure: "error500", failureRate: 0.3 });
      const results: boolean[] = [];
      for (let i = 0; i < 40; i++)
        results.push(
          await mock.chat(ask("x")).then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    const failures = first.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(40);
  });
});

describe("mock failure modes over HTTP", () => {
  it("error500 answers a 500 OpenAI error", async () => {
    await withServer({ failure: "error500" }, async (url) => {
      const res = await fetch(`${url}/chat/completions`, { method: "POST", body: JSON.stringify(ask("x")) });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { type: "server_error", code: "mock_failure" } });
      const client = new OpenAI({ baseURL: url, apiKey: "unused", maxRetries: 0 });
      await expect(client.chat.completions.create(ask("x"))).rejects.toMatchObject({ status: 500 });
    });
  });

  it("disconnect-mid-stream drops the connection after some chunks and before [DONE]", async () => {
    await withServer({ failure: "disconnect-mid-stream", completionTokens: 10 }, async (url) => {
      const streamed = await rawPost(`${url}/chat/completions`, askStream("x"));
      expect(streamed.status).toBe(200);
      expect(streamed.ended).toBe("dropped");
      expect(streamed.text).toContain('"content":" ');
      expect(streamed.text).not.toContain("[DONE]");
      expect(streamed.text).not.toContain('finish_reason":"');
      const whole = await rawPost(`${url}/chat/completions`, ask("x"));
      expect(whole).toMatchObject({ status: 0, ended: "dropped" });
      const client = new OpenAI({ baseURL: url, apiKey: "unused", maxRetries: 0 });
      await expect(
        (async () => {
          for await (const _ of await client.chat.completions.create({ ...ask("x"), stream: true })) {
            // read until the connection drops
          }
        })(),
      ).rejects.toThrow();
    });
  });

  it("unknown model and bad parameters get 404 and 422 like every backend", async () => {
    await withServer({}, async (url) => {
      const post = (body: unknown) =>
        fetch(`${url}/chat/completions`, { method: "POST", body: JSON.stringify(body) });
      expect((await post({ ...ask("x"), model: "other" })).status).toBe(404);
      expect((await post(ask("x", { max_tokens: "ten" }))).status).toBe(422);
    });
  });
});
