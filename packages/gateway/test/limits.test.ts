// Budgets, rate limits and allowed models, enforced through the HTTP API.
import { afterEach, describe, expect, it } from "vitest";
import type { KeyLimitsInput } from "../src/index.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

const chat = { model: "tiny-llama", messages: [{ role: "user", content: "Hello" }], max_tokens: 5 };
const noon = Date.UTC(2026, 10, 25, 12, 0, 0);
// Output only, 10 per token: a request reserves 50 (max_tokens 5) and really costs 30 (3 tokens).
const prices = { "tiny-llama": { perRequest: 0n, perInputToken: 0n, perOutputToken: 10n } };

async function errorOf(res: Response) {
  return {
    status: res.status,
    ...((await res.json()) as { error: { code: string; message: string } }).error,
  };
}

describe("limits through the API", () => {
  let t: TestGateway | undefined;
  let now = noon;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    now = noon;
  });
  const start = (limits: KeyLimitsInput, fake = { outputTokens: 3 }) =>
    startTestGateway({ limits, prices, fake, gateway: { now: () => now } }).then((g) => {
      t = g;
      return g;
    });

  it("a daily cost budget: 429 budget_exceeded with retry-after until midnight UTC", async () => {
    const g = await start({ costBudget: "110", period: "day" });
    // Each request holds its worst case (50) and settles at 30 before the client has its answer.
    for (let i = 0; i < 3; i++) expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    expect(await g.store.spend(g.keyId, now)).toMatchObject({ costSpent: 90n, costReserved: 0n });
    // 90 spent: the next worst case (50) does not fit.
    const res = await g.post("/v1/chat/completions", chat);
    expect(await errorOf(res)).toMatchObject({ status: 429, code: "budget_exceeded" });
    expect(res.headers.get("retry-after")).toBe(String(12 * 3600));
    expect(res.headers.get("x-should-retry")).toBe("false");
    // A smaller worst case still fits.
    expect((await g.post("/v1/chat/completions", { ...chat, max_tokens: 1 })).status).toBe(200);
    now = Date.UTC(2026, 10, 26, 0, 0, 1);
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
  });

  it("a lifetime budget: 429 that tells clients not to retry", async () => {
    const g = await start({ costBudget: "60" });
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    await g.gateway.idle();
    const res = await g.post("/v1/chat/completions", chat);
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 429, code: "budget_exceeded" });
    expect(e.message).toContain("raise it");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("retry-after")).toBeNull();
  });

  it("a token budget counts input and output tokens", async () => {
    // The fake reports 7 prompt + 3 completion tokens per request.
    const g = await start({ tokenBudget: 1000, period: "month" });
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    await g.gateway.idle();
    expect((await g.store.spend(g.keyId, now)).tokensSpent).toBe(10);
    const tooBig = await errorOf(await g.post("/v1/chat/completions", { ...chat, max_tokens: 5000 }));
    expect(tooBig).toMatchObject({ status: 429, code: "budget_exceeded" });
    expect(tooBig.message).toContain("lower max_tokens");
  });

  it("RPM: 429 rate_limit_exceeded with retry-after, cleared when the window slides", async () => {
    const g = await start({ rpm: 2 });
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    now += 20_000;
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    now += 10_000;
    const res = await g.post("/v1/chat/completions", chat);
    expect(await errorOf(res)).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    expect(res.headers.get("retry-after")).toBe("30");
    now += 30_001;
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
  });

  it("TPM holds each request's worst case, then counts the real tokens", async () => {
    // Worst case of `chat`: 84 body bytes + 5 = 89 tokens; real: 7 + 3 = 10.
    const g = await start({ tpm: 100 });
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200);
    now += 1000;
    expect((await g.post("/v1/chat/completions", chat)).status).toBe(200); // 10 + 89 <= 100
    now += 1000;
    const res = await g.post("/v1/chat/completions", chat); // 20 + 89 > 100
    expect(await errorOf(res)).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    // Once the first request leaves the window: 10 + 89 fits.
    expect(res.headers.get("retry-after")).toBe("58");
    const alone = await g.post("/v1/chat/completions", { ...chat, max_tokens: 200 });
    expect(await errorOf(alone)).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    expect(alone.headers.get("x-should-retry")).toBe("false");
  });

  it("gives requests without max_tokens a bound when the key has a budget", async () => {
    const g = await start({ costBudget: "100000" });
    const { max_tokens: _, ...unbounded } = chat;
    expect((await g.post("/v1/chat/completions", unbounded)).status).toBe(200);
    expect(g.fake.received.at(-1)?.body.max_tokens).toBe(1024);
    await g.gateway.idle();
    expect(await g.store.spend(g.keyId, now)).toMatchObject({ costSpent: 30n, costReserved: 0n });
  });

  it("leaves requests of unlimited keys as they are", async () => {
    const g = await start({});
    const { max_tokens: _, ...unbounded } = chat;
    expect((await g.post("/v1/chat/completions", unbounded)).status).toBe(200);
    expect(g.fake.received.at(-1)?.body).not.toHaveProperty("max_tokens");
  });

  it("allowed models: 403 model_not_allowed for others, and /v1/models lists only the allowed", async () => {
    const g = await startTestGateway({
      fake: { models: ["tiny-llama", "other"] },
      limits: { models: ["other"] },
    });
    t = g;
    expect(await errorOf(await g.post("/v1/chat/completions", chat))).toMatchObject({
      status: 403,
      code: "model_not_allowed",
    });
    expect((await g.post("/v1/chat/completions", { ...chat, model: "other" })).status).toBe(200);
    const list = await fetch(`${g.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${g.key}` } });
    expect(((await list.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(["other"]);
  });

  it("50 parallel requests on SQLite never overspend and admit exactly the RPM limit", async () => {
    const g = await start({ costBudget: "500", period: "day" });
    const burst = () =>
      Promise.all(
        Array.from({ length: 50 }, () => g.post("/v1/chat/completions", chat).then((r) => r.status)),
      );
    const statuses = await burst();
    await g.gateway.idle();
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const spend = await g.store.spend(g.keyId, now);
    expect(spend).toMatchObject({ costReserved: 0n, costSpent: BigInt(ok) * 30n });
    expect(spend.costSpent).toBeLessThanOrEqual(500n);
    expect(ok).toBeGreaterThanOrEqual(10);

    const r = await start({ rpm: 7 });
    const rpm = await Promise.all(Array.from({ length: 50 }, () => r.post("/v1/chat/completions", chat)));
    expect(rpm.filter((x) => x.status === 200)).toHaveLength(7);
  });
});
