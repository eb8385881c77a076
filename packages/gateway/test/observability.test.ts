// /metrics, /health, structured logs, and the overhead header.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayMetrics, createLogger, overheadHeader } from "../src/index.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

describe("observability", () => {
  let t: TestGateway;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    t = await startTestGateway({
      prices: { "tiny-llama": { perRequest: 0n, perInputToken: 1n, perOutputToken: 2n } },
      gateway: {
        metrics: createGatewayMetrics(),
        logger: createLogger({ level: "info", write: (line) => lines.push(JSON.parse(line)) }),
      },
    });
  });
  afterAll(() => t.close());

  const chat = { model: "tiny-llama", messages: [{ role: "user", content: "hi" }], max_tokens: 3 };

  it("counts requests, refusals, tokens, cost and latencies in Prometheus format", async () => {
    expect((await t.post("/v1/chat/completions", chat)).status).toBe(200);
    expect((await t.post("/v1/chat/completions", { ...chat, model: "nope" })).status).toBe(404);
    const res = await fetch(`${t.gateway.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toContain(
      'decai_gateway_requests_total{endpoint="chat.completions",model="tiny-llama",outcome="ok"} 1',
    );
    expect(text).toContain('decai_gateway_refusals_total{reason="model_not_found"} 1');
    expect(text).toContain('decai_gateway_tokens_total{model="tiny-llama",direction="input"} 7');
    expect(text).toContain('decai_gateway_tokens_total{model="tiny-llama",direction="output"} 3');
    expect(text).toContain('decai_gateway_cost_total{model="tiny-llama"} 13');
    expect(text).toContain("decai_gateway_overhead_seconds_count 1");
    expect(text).toMatch(
      /decai_gateway_request_duration_seconds_count\{endpoint="chat.completions",stream="false"\} 1/,
    );
    expect(text).toContain("decai_gateway_requests_in_flight 0");
  });

  it("reports the gateway's own overhead, below the total latency", async () => {
    const res = await t.post("/v1/chat/completions", chat);
    const overhead = Number(res.headers.get(overheadHeader));
    expect(overhead).toBeGreaterThan(0);
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row?.overheadMs).toBeLessThan(row?.latencyMs ?? 0);
  });

  it("answers /health with the store's state and the live models", async () => {
    const res = await fetch(`${t.gateway.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      store: { kind: "sqlite", status: "ok" },
      models: ["tiny-llama"],
      inFlight: 0,
    });
  });

  it("writes one JSON log line per request, naming the key by id and never by secret", async () => {
    const served = lines.filter((l) => l.msg === "request served");
    expect(served.length).toBeGreaterThan(0);
    expect(served[0]).toMatchObject({ level: "info", key: t.keyId, model: "tiny-llama", outcome: "ok" });
    expect(typeof served[0]?.time).toBe("string");
    expect(lines.some((l) => l.msg === "request refused" && l.code === "model_not_found")).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(t.key);
  });

  it("reports a failing store as degraded", async () => {
    const broken = await startTestGateway();
    try {
      await broken.store.close();
      const res = await fetch(`${broken.gateway.url}/health`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe("degraded");
    } finally {
      await broken.gateway.stop();
      await broken.fake.close();
    }
  });
});
