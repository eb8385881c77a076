// A batch survives its gateway: stopped mid-batch (lines in flight given back) and crashed (lines left claimed by a
// process that is gone), a new gateway on the same SQLite file finishes it with every line run to exactly one
// recorded result and billed once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { type BatchStore, batchStoreFor, SqliteStore } from "../../src/index.js";
import {
  clientFor,
  readJsonl,
  scriptedUpstream,
  startBatchGateway,
  tierModels,
  uploadChatBatch,
  waitForBatch,
} from "./helpers.js";

describe("batches across gateway restarts (SQLite)", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-batch-restart-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finishes a 200-line batch after a stop and a crash, each line once", async () => {
    const path = join(dir, "gateway.sqlite");
    const upstream = scriptedUpstream(tierModels(2, 2), { latencyMs: 15 });
    let store = SqliteStore.open(path);
    let gateway = await startBatchGateway({ store, upstream });
    const { openai: first, keyId } = await clientFor(store, gateway, { costBudget: "10000000" });
    const file = await uploadChatBatch(first, 200);
    const batch = await first.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    for (;;) {
      const now = await first.batches.retrieve(batch.id);
      if ((now.request_counts?.completed ?? 0) >= 60) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // 1. A clean stop: the lines in flight are aborted and given back.
    await gateway.stop();
    await store.close();
    const afterStop = (await first.batches.retrieve(batch.id).catch(() => undefined)) ?? undefined;
    expect(afterStop).toBeUndefined(); // the gateway is down

    // 2. A crash: a gateway that died holding claims (no result recorded for them).
    store = SqliteStore.open(path);
    const batches = (await batchStoreFor(store)) as BatchStore;
    const midway = await batches.batch(batch.id);
    expect(midway?.status).toBe("in_progress");
    const orphaned = await batches.claimLines(batch.id, 7, "claim_of_a_dead_gateway", Date.now());
    expect(orphaned).toHaveLength(7);
    const doneBefore = midway?.completed ?? 0;
    expect(doneBefore).toBeGreaterThanOrEqual(60);
    expect(doneBefore).toBeLessThan(200);

    gateway = await startBatchGateway({ store, upstream });
    // The same key, against the new gateway.
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: first.apiKey, maxRetries: 0 });
    const done = await waitForBatch(openai, batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 200, completed: 200, failed: 0 });

    const output = await readJsonl(openai, done.output_file_id as string);
    expect(output).toHaveLength(200);
    expect(output.map((o) => o.custom_id)).toEqual(Array.from({ length: 200 }, (_, i) => `req-${i}`));
    for (const o of output) {
      const body = (o.response as { body: { choices: { message: { content: string } }[] } }).body;
      expect(body.choices[0]?.message.content).toBe(`echo: question ${String(o.custom_id).slice(4)}`);
    }
    // Billed once each: one usage row per line, and the spend is exactly their sum, nothing left held.
    const usage = await store.usage({ keyId, limit: 10_000 });
    expect(usage).toHaveLength(200);
    expect(new Set(usage.map((u) => u.id)).size).toBe(200);
    const spend = await store.spend(keyId, Date.now());
    expect(spend.costSpent).toBe(usage.reduce((sum, u) => sum + u.cost, 0n));
    expect(spend.tokensSpent).toBe(200 * 11);
    expect(spend.costReserved).toBe(0n);
    expect(spend.tokensReserved).toBe(0);
    // Lines in flight at the stop or held by the dead gateway ran again (the upstream saw more than 200 calls).
    expect(upstream.script.calls.length).toBeGreaterThanOrEqual(200);
    await gateway.stop();
    await store.close();
  }, 60_000);
});
