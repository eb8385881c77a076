import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatCompletion, ChatCompletionChunk, Completion, EmbeddedBackend } from "../src/index.js";
import { ask, askStream, createFixture, type Fixture, until } from "./helpers.js";

let fx: Fixture;
let backend: EmbeddedBackend;

beforeAll(async () => {
  fx = await createFixture();
  backend = await fx.backend({ parallel: 2 });
});
afterAll(async () => {
  await fx?.close();
});

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  backend.chat(ask(content, extra)) as Promise<ChatCompletion>;
const text = (c: ChatCompletion) => c.choices[0]?.message.content ?? "";

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("embedded backend on the generated tiny model", () => {
  it("loads the model with real llama.cpp inference and produces tokens", async () => {
    expect(backend.modelId).toBe("decai-tiny");
    expect(await backend.weightsDigest()).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await backend.models()).toMatchObject([{ id: "decai-tiny", object: "model" }]);
    const out = await chat("Hello", { temperature: 0, max_tokens: 8 });
    expect(text(out).length).toBeGreaterThan(0);
    expect(out.object).toBe("chat.completion");
    expect(out.system_fingerprint).toBe(`fp_${(await backend.weightsDigest()).slice(2, 14)}`);
  });

  it("is deterministic at temperature 0 and with a fixed seed; seeds change sampled output", async () => {
    const greedy = await chat("Tell me a story", { temperature: 0, max_tokens: 32 });
    expect(text(await chat("Tell me a story", { temperature: 0, max_tokens: 32 }))).toBe(text(greedy));
    const sampled = (seed: number) =>
      chat("Tell me a story", { temperature: 1, seed, max_tokens: 32 }).then(text);
    const a = await sampled(7);
    expect(await sampled(7)).toBe(a);
    expect(await sampled(8)).not.toBe(a);
    expect(a).not.toBe(text(greedy));
  });

  it("gives the same greedy and seeded output from a freshly loaded model at a GGUF path", async () => {
    const prompt = ask("Tell me a story", { temperature: 0, max_tokens: 24 });
    const seeded = ask("Tell me a story", { temperature: 0.9, top_p: 0.9, seed: 3, max_tokens: 24 });
    const fresh = await fx.backend({ model: backend.modelPath, parallel: 1 });
    expect(fresh.modelId).toBe(basename(backend.modelPath, ".gguf"));
    expect(await fresh.weightsDigest()).toBe(await backend.weightsDigest()); // hashed from the file this time
    for (const request of [prompt, seeded]) {
      const a = (await backend.chat(request)) as ChatCompletion;
      const b = (await fresh.chat({ ...request, model: fresh.modelId })) as ChatCompletion;
      expect(text(b)).toBe(text(a));
    }
  });

  it("counts prompt tokens with the model's tokenizer over the chat-template-formatted prompt", async () => {
    const out = await chat("Hi there, how are you?", { temperature: 0, max_tokens: 4 });
    // The tiny model's template is ChatML; node-llama-cpp starts the context with BOS (<|endoftext|>).
    const formatted =
      "<|endoftext|><|im_start|>user\nHi there, how are you?<|im_end|>\n<|im_start|>assistant\n";
    expect(out.usage.prompt_tokens).toBe(backend.llamaModel.tokenize(formatted, true).length);
    expect(out.usage.total_tokens).toBe(out.usage.prompt_tokens + out.usage.completion_tokens);
  });

  it("counts completion prompts exactly, for text and token ids", async () => {
    const prompt = "Once upon a time in the north";
    const out = (await backend.complete({
      model: "decai-tiny",
      prompt,
      max_tokens: 3,
      temperature: 0,
    })) as Completion;
    const tokens = backend.llamaModel.tokenize(prompt, true);
    expect(tokens.length).toBeLessThan(prompt.length); // merges apply: not one token per byte
    expect(out.usage.prompt_tokens).toBe(tokens.length);
    const byIds = (await backend.complete({
      model: "decai-tiny",
      prompt: [...tokens],
      max_tokens: 3,
      temperature: 0,
    })) as Completion;
    expect(byIds.usage.prompt_tokens).toBe(tokens.length);
    expect(byIds.choices[0]?.text).toBe(out.choices[0]?.text);
  });

  it.each([1, 5, 17])("honours max_tokens=%i with finish_reason length", async (n) => {
    const out = await chat("Count", { temperature: 0, max_tokens: n });
    expect(out.usage.completion_tokens).toBe(n);
    expect(out.choices[0]?.finish_reason).toBe("length");
  });

  it("cuts at a stop sequence (never emitting it) with finish_reason stop", async () => {
    const full = text(await chat("Stop test", { temperature: 0, max_tokens: 40 }));
    const stop = full.slice(12, 14);
    const cut = await chat("Stop test", { temperature: 0, max_tokens: 40, stop: [stop, "never-seen"] });
    expect(text(cut)).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.choices[0]?.finish_reason).toBe("stop");
    expect(cut.usage.completion_tokens).toBeLessThan(40);
  });

  it("streams the same text as the non-streamed response, in OpenAI's chunk order, ending with usage", async () => {
    const whole = await chat("Stream me", { temperature: 0, max_tokens: 12 });
    const stream = await backend.chat(
      askStream("Stream me", {
        temperature: 0,
        max_tokens: 12,
        stream_options: { include_usage: true },
      }),
    );
    const chunks = await collect(stream);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "", refusal: null });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(text(whole));
    const [finish, usage] = chunks.slice(-2);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: "length" });
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toEqual(whole.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.object === "chat.completion.chunk")).toBe(
      true,
    );
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    const plain = await collect(
      await backend.chat(askStream("Stream me", { temperature: 0, max_tokens: 3 })),
    );
    expect(plain.every((c) => !("usage" in c))).toBe(true);
    expect(plain.at(-1)?.choices[0]?.finish_reason).toBe("length");
  });

  it("reports logprobs: at temperature 0 each token is the most likely one", async () => {
    const out = await chat("Logprobs", { temperature: 0, max_tokens: 10, logprobs: true, top_logprobs: 3 });
    const content = out.choices[0]?.logprobs?.content ?? [];
    expect(content).toHaveLength(10);
    expect(content.map((t) => t.token).join("")).toBe(text(out));
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.logprob).toBeCloseTo(t.top_logprobs[0]?.logprob ?? Number.NaN, 6);
      const lps = t.top_logprobs.map((a) => a.logprob);
      expect([...lps].sort((a, b) => b - a)).toEqual(lps);
      expect(t.bytes).toEqual([...Buffer.from(t.token)]);
    }
    const legacy = (await backend.complete({
      model: "decai-tiny",
      prompt: "abc",
      max_tokens: 4,
      temperature: 0,
      logprobs: 2,
    })) as Completion;
    const lp = legacy.choices[0]?.logprobs;
    expect(lp?.tokens.join("")).toBe(legacy.choices[0]?.text);
    expect(lp?.token_logprobs).toHaveLength(4);
    expect(lp?.top_logprobs.every((alts) => Object.keys(alts).length === 2)).toBe(true);
    expect(lp?.text_offset[0]).toBe(0);
    expect(out.choices[0]?.logprobs).not.toBeNull();
    expect((await chat("Logprobs", { temperature: 0, max_tokens: 2 })).choices[0]?.logprobs).toBeNull();
  });

  it("refuses prompts that do not fit the context with 400 context_length_exceeded", async () => {
    const long = "xq".repeat(backend.contextSize);
    await expect(chat(long)).rejects.toMatchObject({ status: 400, code: "context_length_exceeded" });
    await expect(chat("short", { max_tokens: backend.contextSize })).rejects.toMatchObject({
      status: 400,
      code: "context_length_exceeded",
      param: "messages",
    });
  });

  it("answers 404 for an unknown model and 422 for token ids outside the vocabulary", async () => {
    await expect(backend.chat({ ...ask("x"), model: "gpt-4o" })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(backend.complete({ model: "decai-tiny", prompt: [1, 99_999] })).rejects.toMatchObject({
      status: 422,
      param: "prompt",
    });
  });

  it("queues more concurrent requests than sequences FIFO, and all complete", async () => {
    const expected = text(await chat("Concurrent", { temperature: 0, max_tokens: 16 }));
    const requests = Array.from({ length: 6 }, () => chat("Concurrent", { temperature: 0, max_tokens: 16 }));
    expect(backend.stats()).toMatchObject({ total: 2, busy: 2, waiting: 4 });
    const results = await Promise.all(requests);
    for (const r of results) {
      expect(r.usage.completion_tokens).toBe(16);
      expect(text(r)).toBe(expected); // batching sequences together does not change greedy output
    }
    expect(backend.stats()).toMatchObject({ total: 2, busy: 0, waiting: 0 });
  });

  it("frees the sequence when a stream consumer stops early or aborts, and when a queued request aborts", async () => {
    const before = backend.stats();
    const stream = await backend.chat(askStream("Long", { temperature: 0, max_tokens: 300 }));
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    await until(() => backend.stats().busy === 0, "the sequence to be released after break");

    const abort = new AbortController();
    const aborted = await backend.chat(askStream("Long", { temperature: 0, max_tokens: 300 }), {
      signal: abort.signal,
    });
    await expect(
      (async () => {
        for await (const chunk of aborted) if (chunk.choices[0]?.delta.content) abort.abort();
      })(),
    ).rejects.toMatchObject({ name: "AbortError" });
    await until(() => backend.stats().busy === 0, "the sequence to be released after abort");

    // Two streams hold both sequences without being read; a third request waits and then gives up.
    const held = await Promise.all([1, 2].map(() => backend.chat(askStream("Hold", { max_tokens: 5 }))));
    const waiting = new AbortController();
    const queued = backend.chat(ask("Queued", { max_tokens: 2 }), { signal: waiting.signal });
    expect(backend.stats()).toMatchObject({ total: 2, busy: 2, waiting: 1 });
    waiting.abort();
    await expect(queued).rejects.toMatchObject({ name: "AbortError" });
    for (const s of held) await s[Symbol.asyncIterator]().return?.();
    expect(backend.stats()).toMatchObject({ total: 2, busy: 0, waiting: 0 });
    expect(backend.stats().cancelled).toBe(before.cancelled + 4); // break, abort, two streams never read
    expect((await chat("After", { temperature: 0, max_tokens: 3 })).usage.completion_tokens).toBe(3);
    expect(backend.stats()).toMatchObject({
      completed: before.completed + 1,
      cancelled: before.cancelled + 4,
    });
  });

  it("embeds deterministically into unit vectors with exact token usage", async () => {
    const out = await backend.embed({ model: "decai-tiny", input: ["hello", "world", "hello"] });
    const [a, b, c] = out.data.map((d) => d.embedding as number[]);
    expect(a).toHaveLength(backend.llamaModel.embeddingVectorSize);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 5);
    expect(c).toEqual(a);
    expect(b).not.toEqual(a);
    const tokens = ["hello", "world", "hello"].reduce((n, t) => n + backend.llamaModel.tokenize(t).length, 0);
    expect(out.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    const b64 = await backend.embed({ model: "decai-tiny", input: "hello", encoding_format: "base64" });
    const bytes = Buffer.from(b64.data[0]?.embedding as string, "base64");
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    expect([...floats]).toEqual(a);
  });
});

describe("loading errors", () => {
  it("says what to pass when the model file is missing, and checks parallel", async () => {
    await expect(fx.backend({ model: join(fx.dir, "missing.gguf") })).rejects.toThrow(
      /No model file at .*missing\.gguf/,
    );
    await expect(fx.backend({ parallel: 0 })).rejects.toThrow(RangeError);
  });
});

describe("closing the embedded backend", () => {
  it("stops running generations, then refuses new requests with 503", async () => {
    const small = await fx.backend({ parallel: 1, modelId: "tiny-2" });
    const stream = await small.chat({ ...askStream("x"), model: "tiny-2", max_tokens: 400 });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await small.close();
    await expect(
      (async () => {
        for (;;) if ((await iterator.next()).done) return;
      })(),
    ).rejects.toMatchObject({ name: "AbortError" });
    await expect(small.chat({ ...ask("x"), model: "tiny-2" })).rejects.toMatchObject({ status: 503 });
    await expect(small.embed({ model: "tiny-2", input: "x" })).rejects.toMatchObject({ status: 503 });
  });
});
