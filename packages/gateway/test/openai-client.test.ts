// The official `openai` client, unchanged, against the gateway: every endpoint, streaming included.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { overheadHeader } from "../src/index.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

describe("OpenAI client against the gateway", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      fake: { models: ["tiny-llama", "embed-small"], outputTokens: 5, promptTokens: 7 },
      prices: {
        "tiny-llama": { perRequest: 0n, perInputToken: 10n, perOutputToken: 30n },
        "embed-small": { perRequest: 0n, perInputToken: 1n, perOutputToken: 0n },
      },
      gateway: { marginBps: 2_000 },
    });
  });
  afterAll(() => t.close());

  it("creates a chat completion and records its usage and cost", async () => {
    const { data: completion, response } = await t.client.chat.completions
      .create({ model: "tiny-llama", messages: [{ role: "user", content: "Hello" }], max_tokens: 4 })
      .withResponse();
    expect(completion.choices[0]?.message.content).toBe("t0 t1 t2 t3 ");
    expect(completion.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 4 });
    expect(response.headers.get("x-decai-model")).toBe("tiny-llama");
    expect(response.headers.get("x-decai-supplier")).toBe("fake-supplier");
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
    const overhead = Number(response.headers.get(overheadHeader));
    expect(Number.isFinite(overhead) && overhead >= 0).toBe(true);
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({
      id: response.headers.get("x-request-id"),
      model: "tiny-llama",
      supplier: "fake-supplier",
      inputTokens: 7,
      outputTokens: 4,
      outcome: "ok",
      status: 200,
      stream: false,
      // (7 × 12) + (4 × 36): prices 10 and 30 plus a 20% margin.
      cost: 7n * 12n + 4n * 36n,
    });
    expect(row?.latencyMs).toBeGreaterThanOrEqual(row?.overheadMs ?? Number.NaN);
  });

  it("streams a chat completion with the usage chunk when asked", async () => {
    const stream = await t.client.chat.completions.create({
      model: "tiny-llama",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("t0 t1 t2 t3 t4 ");
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({ stream: true, inputTokens: 7, outputTokens: 5, outcome: "ok" });
    expect(row?.ttftMs).not.toBeNull();
  });

  it("hides the usage chunk it asked the upstream for when the client did not ask", async () => {
    const stream = await t.client.chat.completions.create({
      model: "tiny-llama",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    // The gateway still asked upstream for usage, so the bill is exact.
    const forwarded = t.fake.received.at(-1)?.body;
    expect(forwarded?.stream_options).toEqual({ include_usage: true });
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({ inputTokens: 7, outputTokens: 5 });
  });

  it("creates text completions, streamed and not", async () => {
    const completion = await t.client.completions.create({
      model: "tiny-llama",
      prompt: "Once",
      max_tokens: 2,
    });
    expect(completion.choices[0]?.text).toBe("t0 t1 ");
    const stream = await t.client.completions.create({
      model: "tiny-llama",
      prompt: "Once",
      max_tokens: 3,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("t0 t1 t2 ");
  });

  it("creates embeddings (the client's default base64 encoding passes through)", async () => {
    const result = await t.client.embeddings.create({ model: "embed-small", input: ["abc", "hello"] });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [3, 0.5, -0.25, 1],
      [5, 0.5, -0.25, 1],
    ]);
    const floats = await t.client.embeddings.create({
      model: "embed-small",
      input: "abcd",
      encoding_format: "float",
    });
    expect(floats.data[0]?.embedding).toEqual([4, 0.5, -0.25, 1]);
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({ model: "embed-small", inputTokens: 1, outputTokens: 0, cost: 2n });
  });

  it("lists models with source, weights digest, suppliers and price, and retrieves one", async () => {
    const models = [];
    for await (const m of t.client.models.list()) models.push(m);
    expect(models.map((m) => m.id).sort()).toEqual(["embed-small", "tiny-llama"]);
    const tiny = models.find((m) => m.id === "tiny-llama") as unknown as Record<string, unknown>;
    expect(tiny).toMatchObject({
      object: "model",
      owned_by: "0x000000000000000000000000000000000000a11c",
      pricing: { prompt: "12", completion: "36", request: "0" },
      decai: { suppliers: 1, weights_digest: `0x${"ab".repeat(32)}` },
    });
    const one = await t.client.models.retrieve("embed-small");
    expect(one.id).toBe("embed-small");
  });

  it("surfaces gateway refusals as the client's typed errors", async () => {
    const bad = new OpenAI({ baseURL: `${t.gateway.url}/v1`, apiKey: `dk_${"x".repeat(43)}`, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: "tiny-llama", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = t.client.chat.completions.create({
      model: "gpt-9",
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(missing).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(missing).rejects.toMatchObject({ code: "model_not_found", param: "model" });
  });
});
