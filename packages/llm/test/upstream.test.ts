import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Backend,
  type BackendServer,
  type ChatCompletion,
  createBackendServer,
  createUpstreamBackend,
  createUsageReader,
  type EmbeddedBackend,
} from "../src/index.js";
import { ask, askStream, createFixture, type Fixture, until } from "./helpers.js";

let fx: Fixture;
let embedded: EmbeddedBackend;
let origin: BackendServer; // the embedded model, as any OpenAI-compatible server
let upstream: Backend;
let proxy: BackendServer; // createBackendServer over the upstream backend

beforeAll(async () => {
  fx = await createFixture();
  embedded = await fx.backend({ parallel: 1 });
  origin = await createBackendServer(embedded);
  upstream = createUpstreamBackend({ baseUrl: origin.url });
  proxy = await createBackendServer(upstream);
});
afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await origin?.close();
  await fx?.close();
});

/** A fake OpenAI-compatible server that answers every request with fixed bytes and records what it got. */
async function fakeUpstream(status: number, contentType: string, body: string[]) {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", async () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body: text });
      res.writeHead(status, { "content-type": contentType });
      for (const part of body) {
        res.write(part);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("upstream backend", () => {
  it("in-process: returns the upstream's completion and usage", async () => {
    const direct = (await embedded.chat(ask("Hi", { temperature: 0, max_tokens: 6 }))) as ChatCompletion;
    const relayed = (await upstream.chat(ask("Hi", { temperature: 0, max_tokens: 6 }))) as ChatCompletion;
    expect(relayed.choices[0]?.message.content).toBe(direct.choices[0]?.message.content);
    expect(relayed.usage).toEqual(direct.usage);
    expect(await upstream.models()).toMatchObject([{ id: "decai-tiny" }]);
  });

  it("in-process: parses the upstream's SSE, usage chunk included", async () => {
    const stream = await upstream.chat(
      askStream("Hi", { temperature: 0, max_tokens: 6, stream_options: { include_usage: true } }),
    );
    let text = "";
    let completionTokens = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
    }
    const direct = (await embedded.chat(ask("Hi", { temperature: 0, max_tokens: 6 }))) as ChatCompletion;
    expect(text).toBe(direct.choices[0]?.message.content);
    expect(completionTokens).toBe(6);
  });

  it("over HTTP: works with the official openai client, usage read from the upstream", async () => {
    const client = new OpenAI({ baseURL: proxy.url, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "decai-tiny",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 5,
      temperature: 0, // greedy: sampling may pick end-of-turn early and count fewer tokens
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage?.completion_tokens).toBe(5);
    expect((await client.embeddings.create({ model: "decai-tiny", input: "hello" })).data).toHaveLength(1);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["decai-tiny"]);
  });

  it("over HTTP: relays the upstream's bytes untouched, and its errors with their status", async () => {
    const sse = [
      ": upstream comment\n\n",
      'data: {"choices":[],"odd":  true}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":1,',
      '"completion_tokens":2,"total_tokens":3}}\n\n',
      "data: [DONE]\n\n",
    ];
    const fake = await fakeUpstream(200, "text/event-stream", sse);
    const fakeProxy = await createBackendServer(
      createUpstreamBackend({ baseUrl: fake.url, apiKey: "sk-upstream" }),
    );
    try {
      const sent = JSON.stringify(askStream("Hi"));
      const res = await fetch(`${fakeProxy.url}/chat/completions`, { method: "POST", body: sent });
      const raw = await res.text();
      expect(raw).toBe(sse.join(""));
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(fake.seen[0]).toMatchObject({ url: "/v1/chat/completions", body: sent });
      expect(fake.seen[0]?.headers.authorization).toBe("Bearer sk-upstream");
      const usage = createUsageReader();
      usage.push(raw);
      expect(usage.usage()).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
      // invalid requests are refused before they reach the upstream
      const bad = await fetch(`${fakeProxy.url}/chat/completions`, { method: "POST", body: "{oops" });
      expect(bad.status).toBe(400);
      expect(fake.seen).toHaveLength(1);
    } finally {
      await fakeProxy.close();
      await fake.close();
    }
    const notFound = await fetch(`${proxy.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ ...ask("x"), model: "nope" }),
    });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    await expect(upstream.chat({ ...ask("x"), model: "nope" })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
  });

  it("answers 503 when the upstream is unreachable", async () => {
    const fake = await fakeUpstream(200, "application/json", ["{}"]);
    await fake.close(); // the port is now closed
    const gone = createUpstreamBackend({ baseUrl: fake.url });
    await expect(gone.chat(ask("x"))).rejects.toMatchObject({ status: 503, code: "upstream_unavailable" });
    const goneServer = await createBackendServer(gone);
    try {
      const res = await fetch(`${goneServer.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify(ask("x")),
      });
      expect(res.status).toBe(503);
    } finally {
      await goneServer.close();
    }
  });

  it("a client disconnecting from the proxy cancels the upstream generation", async () => {
    const before = embedded.stats();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${proxy.url}/chat/completions`, { method: "POST" }, (res) => {
        let seen = "";
        res.on("data", (d: Buffer) => {
          seen += d.toString();
          if (seen.split("\n\n").length > 3) {
            req.destroy();
            resolve();
          }
        });
        res.on("end", () => reject(new Error("the stream ended before the client hung up")));
      });
      req.on("error", () => {});
      req.end(JSON.stringify(askStream("Long", { temperature: 0, max_tokens: 400 })));
    });
    await until(() => embedded.stats().busy === 0, "the upstream's sequence to be freed");
    expect(embedded.stats()).toMatchObject({ cancelled: before.cancelled + 1, completed: before.completed });
    const next = (await upstream.chat(ask("next", { max_tokens: 2 }))) as ChatCompletion;
    expect(next.usage.completion_tokens).toBe(2);
  });
});
