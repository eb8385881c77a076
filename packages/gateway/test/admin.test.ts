// The admin API and the `keys` CLI over it: create, list, show, update, revoke, usage; admin token checks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminApiError, AdminClient, hashApiKey, runKeysCommand } from "../src/index.js";
import { adminToken, startTestGateway, type TestGateway } from "./helpers/gateway.js";

const chat = { model: "tiny-llama", messages: [{ role: "user", content: "hi" }], max_tokens: 2 };

describe("admin API", () => {
  let t: TestGateway;
  let admin: AdminClient;
  beforeAll(async () => {
    t = await startTestGateway({ gateway: { keySecret: "server-secret" } });
    admin = new AdminClient({ url: t.gateway.url, token: adminToken });
  });
  afterAll(() => t.close());

  const call = (key: string) =>
    fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(chat),
    });

  it("creates a key that works, shown once and stored only as an HMAC", async () => {
    const created = await admin.createKey({
      name: "acme",
      limits: { costBudget: "1000000000000000000000", period: "month", rpm: 60, models: ["tiny-llama"] },
    });
    expect(created.key).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 7));
    expect(created.limits).toEqual({
      costBudget: "1000000000000000000000",
      tokenBudget: null,
      period: "month",
      rpm: 60,
      tpm: null,
      models: ["tiny-llama"],
    });
    expect((await call(created.key)).status).toBe(200);
    const stored = await t.store.key(created.id);
    expect(stored?.hash).toBe(hashApiKey(created.key, "server-secret"));
    const all = JSON.stringify(await t.store.listKeys(), (_, v) => (typeof v === "bigint" ? String(v) : v));
    expect(all).toContain(created.id);
    expect(all).not.toContain(created.key);
    // The admin API never returns the key or its hash again.
    const shown = await admin.getKey(created.id);
    expect(JSON.stringify(shown)).not.toContain(created.key);
    expect(shown).not.toHaveProperty("hash");
    expect(shown.spend?.tokensSpent).toBeGreaterThan(0);
  });

  it("lists, updates and revokes keys; a revoked key stops working", async () => {
    const created = await admin.createKey({ name: "temp" });
    expect((await admin.listKeys()).map((k) => k.id)).toContain(created.id);
    const updated = await admin.updateKey(created.id, { name: "renamed", limits: { rpm: 1 } });
    expect(updated).toMatchObject({ name: "renamed", limits: { rpm: 1, period: "none" } });
    expect((await call(created.key)).status).toBe(200);
    expect((await call(created.key)).status).toBe(429);
    const revoked = await admin.revokeKey(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    const res = await call(created.key);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("api_key_revoked");
  });

  it("serves the usage log, filtered by key", async () => {
    const created = await admin.createKey({ name: "usage" });
    await call(created.key);
    await t.gateway.idle();
    const rows = await admin.usage({ key: created.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ keyId: created.id, model: "tiny-llama", outcome: "ok", cost: "0" });
  });

  it("refuses bad admin tokens, bad limits and unknown keys", async () => {
    const wrong = new AdminClient({ url: t.gateway.url, token: "nope" });
    await expect(wrong.listKeys()).rejects.toMatchObject({ status: 401, code: "invalid_admin_token" });
    await expect(admin.createKey({ limits: { period: "week" as "day" } })).rejects.toMatchObject({
      status: 400,
      code: "invalid_value",
    });
    await expect(admin.createKey({ limits: { rpm: -1 } })).rejects.toMatchObject({ status: 400 });
    await expect(admin.revokeKey("key_missing")).rejects.toBeInstanceOf(AdminApiError);
    await expect(admin.getKey("key_missing")).rejects.toMatchObject({ status: 404, code: "key_not_found" });
    await expect(admin.usage({ limit: 0 })).rejects.toMatchObject({ status: 400 });
  });

  it("is off without an admin token", async () => {
    const off = await startTestGateway({ gateway: { adminToken: undefined } });
    try {
      const res = await fetch(`${off.gateway.url}/admin/keys`, { headers: { authorization: "Bearer x" } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("admin_disabled");
    } finally {
      await off.close();
    }
  });
});

describe("keys CLI", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCommand(argv, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: { DECAI_GATEWAY_URL: t.gateway.url, DECAI_GATEWAY_ADMIN_TOKEN: adminToken },
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("creates, lists, shows, updates and revokes keys", async () => {
    const created = await run(
      "create",
      "--name",
      "cli",
      "--cost-budget",
      "5000",
      "--period",
      "day",
      "--rpm",
      "9",
    );
    expect(created.code).toBe(0);
    const key = /API key \(shown once, store it now\): (dk_\S+)/.exec(created.out)?.[1] as string;
    expect(key).toBeDefined();
    const id = /^(key_[0-9a-f]{16})/.exec(created.out)?.[1] as string;
    expect(created.out).toContain("budget: 5000 units/day");
    const listed = await run("list", "--json");
    expect((JSON.parse(listed.out) as { id: string }[]).map((k) => k.id)).toContain(id);
    const updated = await run("update", id, "--rpm", "none", "--models", "tiny-llama,other");
    expect(updated.out).toContain("rpm ∞");
    expect(updated.out).toContain("models: tiny-llama, other");
    expect((await run("show", id)).out).toContain("spent since");
    expect((await run("revoke", id)).out).toContain(`revoked ${id}`);
    expect((await t.store.key(id))?.revokedAt).not.toBeNull();
  });

  it("shows the usage log", async () => {
    await t.post("/v1/chat/completions", chat);
    await t.gateway.idle();
    const usage = await run("usage", "--key", t.keyId);
    expect(usage.code).toBe(0);
    expect(usage.out).toContain(`${t.keyId} tiny-llama ok`);
  });

  it("explains usage errors and failures", async () => {
    expect(await run("create", "--rpm", "lots")).toMatchObject({ code: 2 });
    expect((await run("revoke")).err).toContain("needs a key id");
    expect((await run("frobnicate")).code).toBe(2);
    const noToken = await runKeysCommand(["list"], { out: () => {}, err: () => {}, env: {} });
    expect(noToken).toBe(2);
    const failed = await runKeysCommand(["list"], {
      out: () => {},
      err: (s) => expect(s).toContain("check DECAI_GATEWAY_ADMIN_TOKEN"),
      env: { DECAI_GATEWAY_URL: t.gateway.url, DECAI_GATEWAY_ADMIN_TOKEN: "wrong" },
    });
    expect(failed).toBe(1);
  });
});
