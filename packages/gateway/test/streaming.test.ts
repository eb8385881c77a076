// Streams that end early: the client leaves (upstream cancelled, usage recorded for what was delivered), or the
// upstream breaks mid-stream (an OpenAI error event).
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sseEvents } from "../src/index.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

describe("streams that end early", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      fake: { outputTokens: 200, chunkDelayMs: 20 },
      prices: { "tiny-llama": { perRequest: 0n, perInputToken: 1n, perOutputToken: 10n } },
      limits: { costBudget: "1000000", period: "day" },
    });
  });
  afterAll(() => t.close());

  it("a client that disconnects mid-stream cancels the upstream and pays for what it got", async () => {
    const abort = new AbortController();
    const res = await t.post(
      "/v1/chat/completions",
      { model: "tiny-llama", messages: [{ role: "user", content: "Tell me a story" }], stream: true },
      {},
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    let received = 0;
    const reader = (res.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    const events = sseEvents({ [Symbol.asyncIterator]: () => reader });
    for await (const data of events) {
      const chunk = JSON.parse(data) as { choices: { delta: { content?: string } }[] };
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 3) break;
    }
    await reader.return?.();
    abort.abort();
    // The upstream saw its client (the gateway) leave, long before its 200 tokens.
    await vi.waitFor(() => expect(t.fake.abortedStreams).toBe(1), { timeout: 5000 });
    await vi.waitFor(
      async () => {
        const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
        expect(row?.outcome).toBe("client_disconnected");
      },
      { timeout: 5000 },
    );
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row?.outputTokens).toBeGreaterThanOrEqual(3);
    expect(row?.outputTokens).toBeLessThan(200);
    // Input estimated from the prompt text (15 bytes → 4 tokens): no usage chunk came before the cut.
    expect(row?.inputTokens).toBe(4);
    expect(row?.cost).toBe(4n + 10n * BigInt(row?.outputTokens ?? 0));
    expect(row?.status).toBe(200);
    expect(t.fake.completedStreams).toBe(0);
    const spend = await t.store.spend(t.keyId, Date.now());
    expect(spend).toMatchObject({ costReserved: 0n, costSpent: row?.cost });
    expect(t.gateway.metrics.disconnects.get({ endpoint: "chat.completions" })).toBe(1);
  });

  it("an upstream that breaks mid-stream ends the stream with an OpenAI error event", async () => {
    const broken = await startTestGateway({ fake: { outputTokens: 6 } });
    try {
      broken.fake.set("tiny-llama", "break-mid-stream");
      const stream = await broken.client.chat.completions.create({
        model: "tiny-llama",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      });
      let text = "";
      const consume = async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      };
      await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
      expect(text).toBe("t0 t1 ");
      await broken.gateway.idle();
      const [row] = await broken.store.usage({ keyId: broken.keyId, limit: 1 });
      expect(row).toMatchObject({ outcome: "upstream_error", outputTokens: 2 });
    } finally {
      await broken.close();
    }
  });

  it("adds the usage chunk a client asked for when the upstream sends none", async () => {
    const quiet = await startTestGateway({ fake: { outputTokens: 4 } });
    try {
      quiet.fake.set("tiny-llama", "no-usage");
      const stream = await quiet.client.chat.completions.create({
        model: "tiny-llama",
        messages: [{ role: "user", content: "12345678" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) usage ??= chunk.usage;
      // Estimated: 8 prompt bytes → 2 tokens; 4 streamed output chunks.
      expect(usage).toEqual({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
    } finally {
      await quiet.close();
    }
  });
});
