// Batches on PostgreSQL: two gateways share one database and one batch, claim its lines without overlap, take over
// the lines of a gateway that died, and bill every line once.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BatchStore, batchStoreFor, type Gateway, PostgresStore } from "../../src/index.js";
import { skipPostgres, startPostgres, type TestPostgres } from "../helpers/postgres.js";
import {
  clientFor,
  readJsonl,
  scriptedUpstream,
  startBatchGateway,
  tierModels,
  uploadChatBatch,
  waitForBatch,
} from "./helpers.js";

describe.skipIf(skipPostgres())("batches on PostgreSQL", () => {
  let pg: TestPostgres;
  let stores: PostgresStore[];
  let gateways: Gateway[];
  const upstream = scriptedUpstream(tierModels(2, 3), { latencyMs: 10 });

  beforeAll(async () => {
    pg = await startPostgres();
    stores = await Promise.all([1, 2].map(() => PostgresStore.connect({ connectionString: pg.url, max: 5 })));
    gateways = await Promise.all(
      stores.map((store) =>
        startBatchGateway({ store, upstream, options: { batch: { pollMs: 20, leaseMs: 400 } } }),
      ),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await Promise.all((stores ?? []).map((s) => s.close()));
    pg?.stop();
  });

  it("shares one batch between two gateways, takes over a dead gateway's claims, bills each line once", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const { openai, keyId } = await clientFor(stores[0] as PostgresStore, a, { costBudget: "100000000" });
    const file = await uploadChatBatch(openai, 120);
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    // A third gateway claimed lines and died: its lease runs out and the others run them.
    const dead = (await batchStoreFor(stores[1] as PostgresStore)) as BatchStore;
    expect(await dead.claimLines(batch.id, 5, "claim_dead", Date.now())).toHaveLength(5);

    // Progress is the same seen from either gateway.
    const viaB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: openai.apiKey, maxRetries: 0 });
    const done = await waitForBatch(viaB, batch.id);
    expect(done.request_counts).toEqual({ total: 120, completed: 120, failed: 0 });
    const output = await readJsonl(openai, done.output_file_id as string);
    expect(output.map((o) => o.custom_id)).toEqual(Array.from({ length: 120 }, (_, i) => `req-${i}`));

    const usage = await (stores[0] as PostgresStore).usage({ keyId, limit: 1000 });
    expect(usage).toHaveLength(120);
    expect(new Set(usage.map((u) => u.id)).size).toBe(120);
    const spend = await (stores[1] as PostgresStore).spend(keyId, Date.now());
    expect(spend.costSpent).toBe(usage.reduce((sum, u) => sum + u.cost, 0n));
    expect(spend.costReserved).toBe(0n);
    expect(spend.tokensReserved).toBe(0);
    // Each line was recorded by exactly one gateway (each counts the lines it finished).
    const finished = (g: Gateway) =>
      [...g.metrics.registry.render().matchAll(/^decai_gateway_batch_lines_total\{[^}]*\} (\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    expect(finished(a) + finished(b)).toBe(120);
    expect((a.batches?.runner.inFlight ?? 0) + (b.batches?.runner.inFlight ?? 0)).toBe(0);
  }, 60_000);

  it("cancels from one gateway what the other is running", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    upstream.script.latencyMs = 60;
    try {
      const { openai, keyId } = await clientFor(stores[0] as PostgresStore, a, { costBudget: "100000000" });
      const file = await uploadChatBatch(openai, 60);
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const viaB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: openai.apiKey, maxRetries: 0 });
      for (;;) {
        if (((await viaB.batches.retrieve(batch.id)).request_counts?.completed ?? 0) >= 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await viaB.batches.cancel(batch.id);
      const done = await waitForBatch(openai, batch.id);
      expect(done.status).toBe("cancelled");
      const completed = done.request_counts?.completed ?? 0;
      expect(completed).toBeLessThan(60);
      const spend = await (stores[0] as PostgresStore).spend(keyId, Date.now());
      expect(spend.costReserved).toBe(0n);
      expect((await (stores[0] as PostgresStore).usage({ keyId, limit: 1000 })).length).toBe(completed);
    } finally {
      upstream.script.latencyMs = 10;
    }
  }, 60_000);
});
