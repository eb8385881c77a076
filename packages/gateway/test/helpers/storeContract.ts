// The behaviour every GatewayStore must have, run against SQLite and PostgreSQL alike.
import { expect, it } from "vitest";
import {
  createKey,
  GatewayError,
  type GatewayStore,
  type KeyLimitsInput,
  type Reservation,
  type UsageRecord,
} from "../../src/index.js";

const day = Date.UTC(2026, 10, 25, 12, 0, 0);

export function usageOf(keyId: string, fields: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: `req_${Math.random().toString(16).slice(2)}`,
    keyId,
    endpoint: "chat.completions",
    requestedModel: "tiny-llama",
    model: "tiny-llama",
    supplier: "0xsupplier",
    stream: false,
    inputTokens: 7,
    outputTokens: 5,
    ttftMs: 12.5,
    latencyMs: 20.25,
    overheadMs: 0.5,
    cost: 42n,
    outcome: "ok",
    status: 200,
    createdAt: day,
    ...fields,
  };
}

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** Registers the contract tests; `store()` returns the store under test (opened in a beforeAll). */
export function storeContract(store: () => GatewayStore): void {
  const key = async (limits: KeyLimitsInput = {}, name = "k") =>
    (await createKey(store(), { name, limits }, { now: day })).record;

  it("stores keys by hash, lists, updates and revokes them", async () => {
    const s = store();
    const a = await key({ costBudget: "1000", period: "day", rpm: 5, models: ["tiny-llama"] }, "alpha");
    expect(await s.keyByHash(a.hash)).toEqual(a);
    expect(await s.key(a.id)).toEqual(a);
    expect((await s.listKeys()).map((k) => k.id)).toContain(a.id);
    const updated = await s.updateKey(a.id, { name: "beta", limits: { ...a.limits, rpm: 9 } });
    expect(updated).toMatchObject({
      name: "beta",
      limits: { rpm: 9, costBudget: 1000n, models: ["tiny-llama"] },
    });
    expect((await s.key(a.id))?.limits.rpm).toBe(9);
    const revoked = await s.revokeKey(a.id, day + 5);
    expect(revoked?.revokedAt).toBe(day + 5);
    expect((await s.revokeKey(a.id, day + 9))?.revokedAt).toBe(day + 5);
    expect(await s.revokeKey("key_missing", day)).toBeUndefined();
    expect(await s.updateKey("key_missing", { name: "x" })).toBeUndefined();
  });

  it("reserves, then settles what was really used", async () => {
    const s = store();
    const k = await key({ costBudget: "1000", tokenBudget: 500, period: "day" });
    const r = await s.reserve(k.id, { cost: 300n, tokens: 100 }, day);
    expect(await s.spend(k.id, day)).toMatchObject({
      costReserved: 300n,
      tokensReserved: 100,
      costSpent: 0n,
    });
    await s.settle(r, { cost: 120n, tokens: 40 }, usageOf(k.id, { cost: 120n }));
    expect(await s.spend(k.id, day)).toEqual({
      periodStart: Date.UTC(2026, 10, 25),
      costSpent: 120n,
      costReserved: 0n,
      tokensSpent: 40,
      tokensReserved: 0,
    });
    const [row] = await s.usage({ keyId: k.id });
    expect(row).toEqual(usageOf(k.id, { cost: 120n, id: row?.id }));
  });

  it("refuses what would overspend, with retry-after to the next period", async () => {
    const s = store();
    const k = await key({ costBudget: "1000", period: "day" });
    const r = await s.reserve(k.id, { cost: 900n, tokens: 1 }, day);
    // Held by the in-flight request: retry soon.
    const held = await refusal(s.reserve(k.id, { cost: 200n, tokens: 1 }, day));
    expect(held).toMatchObject({ code: "budget_exceeded", status: 429, retryAfterSeconds: 1 });
    await s.settle(r, { cost: 900n, tokens: 1 }, usageOf(k.id));
    const spent = await refusal(s.reserve(k.id, { cost: 200n, tokens: 1 }, day));
    expect(spent).toMatchObject({ code: "budget_exceeded", retryAfterSeconds: 12 * 3600, retryable: false });
    // A new day is a new budget.
    await s.reserve(k.id, { cost: 1000n, tokens: 1 }, Date.UTC(2026, 10, 26, 0, 0, 1));
  });

  it("never lets 50 parallel reservations overspend a budget", async () => {
    const s = store();
    const k = await key({ costBudget: "1000", tokenBudget: 100_000, period: "month" });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => s.reserve(k.id, { cost: 70n, tokens: 10 }, day)),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(14); // floor(1000 / 70)
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as GatewayError).code).toBe("budget_exceeded");
    }
    expect((await s.spend(k.id, day)).costReserved).toBe(980n);
    // Settle them all in parallel too: nothing is lost.
    await Promise.all(
      ok.map((r) =>
        s.settle((r as PromiseFulfilledResult<Reservation>).value, { cost: 50n, tokens: 5 }, usageOf(k.id)),
      ),
    );
    expect(await s.spend(k.id, day)).toMatchObject({ costSpent: 700n, costReserved: 0n, tokensSpent: 70 });
  });

  it("enforces RPM exactly under concurrency, and TPM over a sliding window", async () => {
    const s = store();
    const k = await key({ rpm: 7 });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => s.reserve(k.id, { cost: 0n, tokens: 1 }, day)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
    const late = await refusal(s.reserve(k.id, { cost: 0n, tokens: 1 }, day + 30_000));
    expect(late).toMatchObject({ code: "rate_limit_exceeded", retryAfterSeconds: 30 });
    await s.reserve(k.id, { cost: 0n, tokens: 1 }, day + 60_001);

    const t = await key({ tpm: 100 });
    const a = await s.reserve(t.id, { cost: 0n, tokens: 80 }, day);
    await refusal(s.reserve(t.id, { cost: 0n, tokens: 30 }, day + 1000));
    // Settling for less frees the window for the difference.
    await s.settle(a, { cost: 0n, tokens: 20 }, usageOf(t.id));
    await s.reserve(t.id, { cost: 0n, tokens: 30 }, day + 2000);
  });

  it("keeps no rate events for a key without RPM/TPM limits: a limit set later counts from then on", async () => {
    const s = store();
    const k = await key();
    for (let i = 0; i < 20; i++) await s.reserve(k.id, { cost: 0n, tokens: 1 }, day + i);
    await s.updateKey(k.id, { limits: { ...k.limits, rpm: 5 } });
    for (let i = 0; i < 5; i++) await s.reserve(k.id, { cost: 0n, tokens: 1 }, day + 100 + i);
    expect(await refusal(s.reserve(k.id, { cost: 0n, tokens: 1 }, day + 200))).toMatchObject({
      code: "rate_limit_exceeded",
    });
  });

  it("refuses keys revoked after authentication", async () => {
    const s = store();
    const k = await key();
    await s.revokeKey(k.id, day);
    expect(await refusal(s.reserve(k.id, { cost: 0n, tokens: 1 }, day))).toMatchObject({
      code: "api_key_revoked",
    });
    expect(await refusal(s.reserve("key_nope", { cost: 0n, tokens: 1 }, day))).toMatchObject({
      code: "invalid_api_key",
    });
  });

  it("keeps amounts beyond 64 bits exactly", async () => {
    const s = store();
    const big = 10n ** 30n;
    const k = await key({ costBudget: (big * 3n).toString() });
    const r = await s.reserve(k.id, { cost: big * 2n, tokens: 1 }, day);
    await s.settle(r, { cost: big + 1n, tokens: 1 }, usageOf(k.id, { cost: big + 1n }));
    expect(await s.spend(k.id, day)).toMatchObject({ costSpent: big + 1n, costReserved: 0n });
    expect((await s.key(k.id))?.limits.costBudget).toBe(big * 3n);
    expect((await s.usage({ keyId: k.id }))[0]?.cost).toBe(big + 1n);
  });

  it("releases reservations left by a crashed gateway", async () => {
    const s = store();
    const k = await key({ costBudget: "100" });
    const old = await s.reserve(k.id, { cost: 60n, tokens: 1 }, day - 3_600_000);
    await s.reserve(k.id, { cost: 30n, tokens: 1 }, day);
    expect(await s.releaseStale(day - 60_000)).toBeGreaterThanOrEqual(1);
    expect((await s.spend(k.id, day)).costReserved).toBe(30n);
    // A late settlement of a released reservation still charges (and does not go below zero).
    await s.settle(old, { cost: 10n, tokens: 1 }, usageOf(k.id));
    expect(await s.spend(k.id, day)).toMatchObject({ costSpent: 10n, costReserved: 30n });
  });

  it("queries the usage log newest first, by key and time", async () => {
    const s = store();
    const k = await key();
    for (let i = 0; i < 5; i++) {
      await s.recordUsage(
        usageOf(k.id, { id: `r${i}`, createdAt: day + i, outcome: i === 4 ? "rate_limit_exceeded" : "ok" }),
      );
    }
    expect((await s.usage({ keyId: k.id })).map((u) => u.id)).toEqual(["r4", "r3", "r2", "r1", "r0"]);
    expect((await s.usage({ keyId: k.id, since: day + 1, until: day + 3 })).map((u) => u.id)).toEqual([
      "r2",
      "r1",
    ]);
    expect((await s.usage({ keyId: k.id, limit: 2 })).map((u) => u.id)).toEqual(["r4", "r3"]);
    expect((await s.usage({ keyId: k.id, limit: 1 }))[0]).toMatchObject({ outcome: "rate_limit_exceeded" });
    await s.ping();
  });
}
