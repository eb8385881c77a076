// The PostgreSQL store against a real PostgreSQL (Debian's), started here: the store contract, and two gateway
// instances sharing one database behind a "load balancer" that never overspend together.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHttpUpstream,
  createKey,
  Gateway,
  PostgresStore,
  PostgresVerificationStore,
} from "../src/index.js";
import { type FakeOpenAi, startFakeOpenAi } from "./helpers/fakeOpenAi.js";
import { skipPostgres, startPostgres, type TestPostgres } from "./helpers/postgres.js";
import { storeContract } from "./helpers/storeContract.js";

describe.skipIf(skipPostgres())("PostgresStore", () => {
  let pg: TestPostgres;
  let store: PostgresStore;
  beforeAll(async () => {
    pg = await startPostgres();
    store = await PostgresStore.connect({ connectionString: pg.url });
  });
  afterAll(async () => {
    await store?.close();
    pg?.stop();
  });

  storeContract(() => store);

  it("migrates idempotently when several gateways start at once", async () => {
    const stores = await Promise.all(
      Array.from({ length: 3 }, () => PostgresStore.connect({ connectionString: pg.url })),
    );
    await Promise.all(stores.map((s) => s.close()));
  });

  it("starts another gateway while others write, without taking a lock on their tables", async () => {
    const batches = await store.openBatchStore();
    await PostgresVerificationStore.open(store.pool);
    // A writer holds row locks on a table of every module: re-running `CREATE INDEX IF NOT EXISTS` would wait on
    // it (and, under load, deadlock); a gateway whose schema is current must not run any DDL.
    const writer = await store.pool.connect();
    try {
      await writer.query("BEGIN");
      await writer.query("UPDATE usage SET status = status");
      await writer.query("UPDATE batch_lines SET attempts = attempts");
      await writer.query("UPDATE verification_reputation SET updated_at = updated_at");
      await writer.query("LOCK TABLE usage, batch_lines, verification_reputation IN ROW EXCLUSIVE MODE");
      const late = await PostgresStore.connect({ connectionString: pg.url, lock_timeout: 2_000 });
      try {
        await late.openBatchStore();
        await PostgresVerificationStore.open(late.pool);
      } finally {
        await late.close();
      }
    } finally {
      await writer.query("ROLLBACK");
      writer.release();
    }
    const { rows } = await store.pool.query<{ module: string }>(
      "SELECT module FROM gateway_schema ORDER BY module",
    );
    expect(rows.map((r) => r.module)).toEqual(["batch", "core", "verification"]);
    expect(batches.kind).toBe("postgres");
  });

  describe("two gateways behind a load balancer", () => {
    let fake: FakeOpenAi;
    let gateways: Gateway[];
    let stores: PostgresStore[];
    beforeAll(async () => {
      fake = await startFakeOpenAi({ outputTokens: 3 });
      stores = await Promise.all(
        [1, 2].map(() => PostgresStore.connect({ connectionString: pg.url, max: 5 })),
      );
      gateways = await Promise.all(
        stores.map((s) =>
          Gateway.start({
            store: s,
            upstream: createHttpUpstream({ baseUrl: fake.url, models: [{ id: "tiny-llama" }] }),
            pricing: () => ({ perRequest: 0n, perInputToken: 0n, perOutputToken: 10n }),
          }),
        ),
      );
    });
    afterAll(async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await Promise.all(stores.map((s) => s.close()));
      await fake.close();
    });

    const burst = async (key: string, n: number) => {
      const responses = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          fetch(`${(gateways[i % 2] as Gateway).url}/v1/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({
              model: "tiny-llama",
              messages: [{ role: "user", content: "hi" }],
              max_tokens: 5,
            }),
          }),
        ),
      );
      const bodies = await Promise.all(
        responses.map((r) => r.json() as Promise<{ error?: { code: string } }>),
      );
      await Promise.all(gateways.map((g) => g.idle()));
      return responses.map((r, i) => ({ status: r.status, code: bodies[i]?.error?.code }));
    };

    it("50 parallel requests over both never overspend the shared budget", async () => {
      // Worst case 50 per request (5 output tokens × 10), real cost 30: at least 10 and at most 16 fit in 500.
      const { key, record } = await createKey(stores[0] as PostgresStore, {
        limits: { costBudget: "500", period: "day" },
      });
      const results = await burst(key, 50);
      const ok = results.filter((r) => r.status === 200).length;
      expect(
        results
          .filter((r) => r.status !== 200)
          .every((r) => r.status === 429 && r.code === "budget_exceeded"),
      ).toBe(true);
      const spend = await (stores[1] as PostgresStore).spend(record.id, Date.now());
      expect(spend.costReserved).toBe(0n);
      expect(spend.costSpent).toBe(BigInt(ok) * 30n);
      expect(spend.costSpent).toBeLessThanOrEqual(500n);
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(await (stores[0] as PostgresStore).usage({ keyId: record.id, limit: 100 })).toHaveLength(50);
    });

    it("50 parallel requests over both admit exactly the RPM limit", async () => {
      const { key } = await createKey(stores[1] as PostgresStore, { limits: { rpm: 7 } });
      const results = await burst(key, 50);
      expect(results.filter((r) => r.status === 200)).toHaveLength(7);
      expect(results.filter((r) => r.code === "rate_limit_exceeded")).toHaveLength(43);
    });
  });
});
