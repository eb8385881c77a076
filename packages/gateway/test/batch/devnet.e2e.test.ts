// The first "must show": a 200-line batch submitted with the official `openai` client through a real
// network (anvil, contracts, RelayMiners), the gateway restarted halfway, exactly 200 output lines with matching
// custom_ids, each billed once; meanwhile interactive requests keep running, and their latency with and without
// the batch is measured and printed (not asserted: timings depend on the machine).
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDecaiNetwork, createKey, Gateway, SqliteStore } from "../../src/index.js";
import { readJsonl, waitForBatch } from "./helpers.js";
import { SERVICE, startBatchNetwork } from "./network.js";

const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as never;

describe("a 200-line batch through a devnet, gateway restarted halfway", () => {
  let world: Awaited<ReturnType<typeof startBatchNetwork>>;
  let gateway: Gateway;
  let store: SqliteStore;

  beforeAll(async () => {
    world = await startBatchNetwork({ interactive: 2, batch: 2, latencyMs: 25 });
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop().catch(() => {});
    await store?.close().catch(() => {});
    await world?.stop();
  });

  /** A gateway on the SQLite file, relaying through its own SDK client (a fresh process would). */
  async function startGateway() {
    store = SqliteStore.open(join(world.dir, "gateway.sqlite"));
    const { upstream, pricing } = connectDecaiNetwork({
      client: world.net.publicClient,
      deployment: world.net.deployment,
      gatewayKey: world.gatewayKey,
      application: world.application,
    });
    gateway = await Gateway.start({
      store,
      upstream,
      pricing,
      logger: quiet,
      batch: { pollMs: 20 },
    });
    return gateway;
  }

  it("runs every line exactly once, bills each once, and measures interactive latency", async () => {
    await startGateway();
    const batchKey = await createKey(store, {
      name: "batch",
      limits: { costBudget: "10000000000000000000000" },
    });
    const chatKey = await createKey(store, { name: "chat" });
    const client = (key: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });

    const models = await client(chatKey.key).models.list();
    const tiers = Object.fromEntries(
      models.data.map((m) => [
        m.id,
        m as unknown as { decai: { tier: string }; pricing: { completion: string } },
      ]),
    );
    expect(tiers[SERVICE]?.decai.tier).toBe("interactive");
    expect(tiers[`${SERVICE}:batch`]?.decai.tier).toBe("batch");
    expect(BigInt(tiers[`${SERVICE}:batch`]?.pricing.completion ?? "0")).toBeLessThan(
      BigInt(tiers[SERVICE]?.pricing.completion ?? "0"),
    );

    // Interactive traffic: one request at a time, latencies kept per phase.
    const phase = {
      name: "before" as "before" | "during" | "paused",
      latencies: { before: [] as number[], during: [] as number[] },
    };
    let failures = 0;
    let running = true;
    let busy = false; // an interactive request is out
    const ask = async (i: number) => {
      const t0 = performance.now();
      await client(chatKey.key).chat.completions.create({
        model: SERVICE,
        messages: [{ role: "user", content: `interactive ${i}` }],
        max_tokens: 8,
      });
      return performance.now() - t0;
    };
    const interactive = (async () => {
      for (let i = 0; running; i++) {
        if (phase.name === "paused") {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const during = phase.name;
        busy = true;
        try {
          phase.latencies[during].push(await ask(i));
        } catch {
          failures++;
        } finally {
          busy = false;
        }
      }
    })();
    while (phase.latencies.before.length < 30) await new Promise((r) => setTimeout(r, 20));

    // The batch: 200 chat lines, through the openai client's files and batches.
    const batchClient = client(batchKey.key);
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        custom_id: `line-${i}`,
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: SERVICE, messages: [{ role: "user", content: `batch question ${i}` }], max_tokens: 8 },
      }),
    );
    const file = await batchClient.files.create({
      file: await toFile(Buffer.from(lines.join("\n")), "in.jsonl"),
      purpose: "batch",
    });
    phase.name = "during";
    const batch = await batchClient.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    for (;;) {
      const now = await batchClient.batches.retrieve(batch.id);
      if ((now.request_counts?.completed ?? 0) >= 100) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    // Restart: stop (lines in flight are given back), reopen the same file in a new gateway.
    // The interactive client waits out the restart (its request in flight finishes first).
    phase.name = "paused";
    while (busy) await new Promise((r) => setTimeout(r, 5));
    await gateway.stop();
    await store.close();
    await startGateway();
    phase.name = "during";
    const restarted = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: batchKey.key, maxRetries: 0 });
    const done = await waitForBatch(restarted, batch.id, undefined, 60_000);
    running = false;
    await interactive;

    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 200, completed: 200, failed: 0 });
    const output = await readJsonl(restarted, done.output_file_id as string);
    expect(output).toHaveLength(200);
    expect(output.map((o) => o.custom_id).sort()).toEqual(
      Array.from({ length: 200 }, (_, i) => `line-${i}`).sort(),
    );
    expect(output.every((o) => (o.response as { status_code: number }).status_code === 200)).toBe(true);

    // Billed once each: 200 usage rows with distinct ids, the spend is their sum, nothing left held.
    const usage = await store.usage({ keyId: batchKey.record.id, limit: 10_000 });
    expect(usage).toHaveLength(200);
    expect(new Set(usage.map((u) => u.id)).size).toBe(200);
    const spend = await store.spend(batchKey.record.id, Date.now());
    expect(spend.costSpent).toBe(usage.reduce((sum, u) => sum + u.cost, 0n));
    expect(spend.costReserved).toBe(0n);
    expect(spend.tokensReserved).toBe(0);
    const onBatchTier = usage.filter((u) => u.model === `${SERVICE}:batch`).length;
    expect(onBatchTier).toBeGreaterThan(0);
    expect(failures).toBe(0);

    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const at = (q: number) =>
        (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN).toFixed(1);
      return `n=${s.length} p50=${at(0.5)} ms p95=${at(0.95)} ms`;
    };
    console.log(
      `[batch devnet] interactive latency without the batch: ${stats(phase.latencies.before)}; with it: ${stats(phase.latencies.during)}; ` +
        `batch lines on the batch tier: ${onBatchTier}/200, on idle interactive suppliers: ${200 - onBatchTier}/200`,
    );
  }, 120_000);
});
