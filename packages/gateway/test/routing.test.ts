// Model fallbacks (`models`, aliases), routing preferences (sort, max_price, allow_fallbacks).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Catalog, type GatewayError, type ModelPrice, resolveCandidates } from "../src/index.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

const price = (perInputToken: bigint, perOutputToken: bigint): ModelPrice => ({
  perRequest: 0n,
  perInputToken,
  perOutputToken,
});

describe("resolveCandidates", () => {
  const catalog: Catalog = new Map([
    ["big", { model: { id: "big", suppliers: 2 }, price: price(5n, 50n) }],
    ["small", { model: { id: "small", suppliers: 3 }, price: price(1n, 5n) }],
    ["down", { model: { id: "down", suppliers: 0 }, price: price(1n, 1n) }],
  ]);
  const route = (requested: string[], extra: Partial<Parameters<typeof resolveCandidates>[0]> = {}) =>
    resolveCandidates({
      requested,
      aliases: { best: ["big", "small"] },
      allowed: null,
      catalog,
      preferences: {},
      estimate: { inputTokens: 100, outputTokens: 100 },
      ...extra,
    }).map((c) => c.model.id);
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as GatewayError;
    }
    throw new Error("expected a refusal");
  };

  it("keeps the client's order, expands aliases and drops models without suppliers", () => {
    expect(route(["big", "small"])).toEqual(["big", "small"]);
    expect(route(["best"])).toEqual(["big", "small"]);
    expect(route(["down", "small", "nope"])).toEqual(["small"]);
  });

  it("sorts by price for this request's size, and honours max_price and allow_fallbacks", () => {
    expect(route(["best"], { preferences: { sort: "price" } })).toEqual(["small", "big"]);
    expect(route(["best"], { preferences: { maxPrice: { completion: 10n } } })).toEqual(["small"]);
    expect(route(["big", "small"], { preferences: { allowFallbacks: false } })).toEqual(["big"]);
  });

  it("checks the key's allow-list by model or by alias", () => {
    expect(route(["best"], { allowed: ["best"] })).toEqual(["big", "small"]);
    expect(route(["best"], { allowed: ["small"] })).toEqual(["small"]);
    expect(refusal(() => route(["big"], { allowed: ["small"] }))).toMatchObject({
      code: "model_not_allowed",
    });
  });

  it("explains why nothing is left", () => {
    expect(refusal(() => route(["nope"]))).toMatchObject({ code: "model_not_found", status: 404 });
    expect(refusal(() => route(["down"]))).toMatchObject({ code: "no_suppliers_available", status: 503 });
    expect(refusal(() => route(["big"], { preferences: { maxPrice: { prompt: 1n } } }))).toMatchObject({
      code: "no_model_within_max_price",
    });
  });
});

describe("fallbacks through the API", () => {
  let t: TestGateway;
  const chat = { messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
  beforeAll(async () => {
    t = await startTestGateway({
      fake: { models: ["big", "small"] },
      prices: { big: price(5n, 50n), small: price(1n, 5n) },
      gateway: { aliases: { best: ["big", "small"] } },
    });
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.set("big", "ok");
    t.fake.set("small", "ok");
  });

  const served = async (body: Record<string, unknown>) => {
    const res = await t.post("/v1/chat/completions", { ...chat, ...body });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { model: string };
    expect(res.headers.get("x-decai-model")).toBe(json.model);
    return json.model;
  };

  it("falls back along `models` when the first is down or broken", async () => {
    expect(await served({ model: "big", models: ["small"] })).toBe("big");
    t.fake.set("big", "down");
    expect(await served({ model: "big", models: ["small"] })).toBe("small");
    t.fake.set("big", "fail");
    expect(await served({ models: ["big", "small"] })).toBe("small");
    expect(t.gateway.metrics.fallbacks.get({ model: "big", kind: "unavailable" })).toBe(1);
    expect(t.gateway.metrics.fallbacks.get({ model: "big", kind: "failed" })).toBe(1);
    await t.gateway.idle();
    const [row] = await t.store.usage({ keyId: t.keyId, limit: 1 });
    expect(row).toMatchObject({ requestedModel: "big", model: "small", outcome: "ok" });
  });

  it("resolves an alias, and does not fall back when told not to", async () => {
    t.fake.set("big", "down");
    expect(await served({ model: "best" })).toBe("small");
    const res = await t.post("/v1/chat/completions", {
      ...chat,
      model: "best",
      provider: { allow_fallbacks: false },
    });
    expect(res.status).toBe(503);
  });

  it("sorts by price and filters by max price", async () => {
    expect(await served({ model: "best", provider: { sort: "price" } })).toBe("small");
    expect(await served({ model: "best", provider: { max_price: { completion: "5" } } })).toBe("small");
    const res = await t.post("/v1/chat/completions", {
      ...chat,
      model: "big",
      provider: { max_price: { prompt: 1 } },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("no_model_within_max_price");
    const bad = await t.post("/v1/chat/completions", {
      ...chat,
      model: "big",
      provider: { max_price: { prompt: -1 } },
    });
    expect(bad.status).toBe(400);
  });

  it("does not fall back when the upstream rejects the request itself", async () => {
    t.fake.set("big", "reject");
    const res = await t.post("/v1/chat/completions", { ...chat, models: ["big", "small"] });
    expect(res.status).toBe(400);
    expect(t.fake.received.at(-1)?.body.model).toBe("big");
  });

  it("forwards the body without the gateway's own fields", async () => {
    await served({ model: "best", provider: { sort: "price" }, route: "fallback", user: "u1" });
    const forwarded = t.fake.received.at(-1)?.body;
    expect(forwarded).toEqual({ model: "small", ...chat, user: "u1" });
  });
});
