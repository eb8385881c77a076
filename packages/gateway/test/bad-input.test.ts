// Every way a request can be wrong, each answered in OpenAI's error shape with the right status and code.
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

const chat = { model: "tiny-llama", messages: [{ role: "user", content: "Hello" }] };

async function errorOf(res: Response) {
  const body = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string };
  };
  return { status: res.status, ...body.error };
}

describe("bad input", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      fake: { models: ["tiny-llama", "other"] },
      gateway: { maxBodyBytes: 4096 },
    });
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.set("tiny-llama", "ok");
    t.fake.set("other", "ok");
  });

  it("unknown model: 404 model_not_found", async () => {
    const e = await errorOf(await t.post("/v1/chat/completions", { ...chat, model: "gpt-9" }));
    expect(e).toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      type: "not_found_error",
    });
    expect(e.message).toContain("GET /v1/models");
  });

  it("missing API key: 401 missing_api_key", async () => {
    const res = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat),
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "missing_api_key" });
  });

  it("malformed or unknown API key: 401 invalid_api_key", async () => {
    for (const key of ["sk-not-ours", `dk_${"A".repeat(43)}`]) {
      const res = await t.post("/v1/chat/completions", chat, { authorization: `Bearer ${key}` });
      expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_api_key" });
    }
  });

  it("revoked API key: 401 api_key_revoked", async () => {
    const other = await startTestGateway();
    try {
      await other.store.revokeKey(other.keyId, Date.now());
      const e = await errorOf(await other.post("/v1/chat/completions", chat));
      expect(e).toMatchObject({ status: 401, code: "api_key_revoked" });
      expect(e.message).toContain("revoked");
    } finally {
      await other.close();
    }
  });

  it("malformed JSON: 400 invalid_json", async () => {
    const e = await errorOf(await t.post("/v1/chat/completions", '{"model": "tiny-llama", '));
    expect(e).toMatchObject({ status: 400, code: "invalid_json", type: "invalid_request_error" });
    const notObject = await errorOf(await t.post("/v1/chat/completions", "[1, 2]"));
    expect(notObject).toMatchObject({ status: 400, code: "invalid_json" });
  });

  it("wrong types: 400 invalid_type naming the parameter", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...chat, max_tokens: "10" }, "max_tokens"],
      [{ ...chat, stream: "yes" }, "stream"],
      [{ ...chat, messages: "hi" }, "messages"],
      [{ ...chat, messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
      [{ ...chat, models: ["a", 3] }, "models[1]"],
      [{ ...chat, temperature: "hot" }, "temperature"],
    ];
    for (const [body, param] of cases) {
      const e = await errorOf(await t.post("/v1/chat/completions", body));
      expect(e, param).toMatchObject({ status: 400, code: "invalid_type", param });
    }
  });

  it("values out of range and missing parameters: 400", async () => {
    expect(await errorOf(await t.post("/v1/chat/completions", { ...chat, temperature: 3 }))).toMatchObject({
      status: 400,
      code: "invalid_value",
      param: "temperature",
    });
    expect(await errorOf(await t.post("/v1/chat/completions", { model: "tiny-llama" }))).toMatchObject({
      status: 400,
      code: "missing_required_parameter",
      param: "messages",
    });
    expect(await errorOf(await t.post("/v1/embeddings", { input: "x" }))).toMatchObject({
      status: 400,
      code: "missing_required_parameter",
      param: "model",
    });
  });

  it("unsupported or unknown parameter: 400 unsupported_parameter", async () => {
    const audio = await errorOf(await t.post("/v1/chat/completions", { ...chat, audio: { voice: "alloy" } }));
    expect(audio).toMatchObject({ status: 400, code: "unsupported_parameter", param: "audio" });
    expect(audio.message).toContain("not supported");
    const unknown = await errorOf(await t.post("/v1/chat/completions", { ...chat, frobnicate: true }));
    expect(unknown).toMatchObject({ status: 400, code: "unsupported_parameter", param: "frobnicate" });
    const provider = await errorOf(
      await t.post("/v1/chat/completions", { ...chat, provider: { sort: "price", only: ["x"] } }),
    );
    expect(provider).toMatchObject({ status: 400, code: "unsupported_parameter", param: "provider.only" });
  });

  it("body too large: 413 request_too_large, declared or streamed", async () => {
    const big = { ...chat, messages: [{ role: "user", content: "x".repeat(5000) }] };
    expect(await errorOf(await t.post("/v1/chat/completions", big))).toMatchObject({
      status: 413,
      code: "request_too_large",
    });
    // Chunked upload without content-length: refused once it passes the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${t.gateway.url}/v1/chat/completions`);
      const req = request(
        url,
        { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(JSON.stringify(big).slice(0, 3000));
      req.write("x".repeat(3000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it("all suppliers down: 503 no_suppliers_available with a clear message", async () => {
    t.fake.set("tiny-llama", "down");
    t.fake.set("other", "down");
    const res = await t.post("/v1/chat/completions", { ...chat, models: ["other"] });
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 503, code: "no_suppliers_available" });
    expect(e.message).toContain("`tiny-llama`, `other`");
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("models with no supplier at all: 503 before any call", async () => {
    const none = await startTestGateway({ suppliers: { "tiny-llama": 0 } });
    try {
      const res = await none.post("/v1/chat/completions", chat);
      expect(await errorOf(res)).toMatchObject({ status: 503, code: "no_suppliers_available" });
      expect(none.fake.received).toHaveLength(0);
      // and /v1/models lists only services that have suppliers
      const list = await fetch(`${none.gateway.url}/v1/models`, {
        headers: { authorization: `Bearer ${none.key}` },
      });
      expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    } finally {
      await none.close();
    }
  });

  it("an upstream that breaks: 502 upstream_error; one that refuses the request: its 4xx", async () => {
    t.fake.set("tiny-llama", "fail");
    expect(await errorOf(await t.post("/v1/chat/completions", chat))).toMatchObject({
      status: 502,
      code: "upstream_error",
    });
    t.fake.set("tiny-llama", "reject");
    const e = await errorOf(await t.post("/v1/chat/completions", chat));
    expect(e).toMatchObject({ status: 400, param: "messages" });
    expect(e.message).toBe("prompt is too long for the context");
  });

  it("wrong method and unknown path", async () => {
    const get = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${t.key}` },
    });
    expect(await errorOf(get)).toMatchObject({ status: 405, code: "method_not_allowed" });
    const unknown = await t.post("/v1/images/generations", { prompt: "x" });
    expect(await errorOf(unknown)).toMatchObject({ status: 404, code: "unknown_url" });
  });

  it("logs refused requests of a known key in the usage log", async () => {
    await t.post("/v1/chat/completions", { ...chat, model: "nope" });
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({ requestedModel: "nope", outcome: "model_not_found", status: 404, cost: 0n });
  });
});
