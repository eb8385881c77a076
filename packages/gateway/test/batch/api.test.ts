// The Files + Batch API through the official `openai` client, unchanged: uploads, batches that run on the batch
// tier first, progress, output and error files, validation, budgets held up front and reconciled, cancellation.
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, SqliteStore } from "../../src/index.js";
import {
  clientFor,
  readJsonl,
  scriptedUpstream,
  startBatchGateway,
  tierModels,
  tierPrices,
  uploadChatBatch,
  waitForBatch,
} from "./helpers.js";

describe("Files and Batch API with the openai client", () => {
  const store = SqliteStore.open(":memory:");
  const upstream = scriptedUpstream(tierModels(2, 2), { latencyMs: 5 });
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startBatchGateway({ store, upstream });
  });
  afterAll(async () => {
    await gateway.stop();
    await store.close();
  });

  it("uploads, retrieves, lists and returns a file; other keys cannot see it", async () => {
    const { openai } = await clientFor(store, gateway);
    const content = '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n';
    const file = await openai.files.create({
      file: await toFile(Buffer.from(content), "in.jsonl"),
      purpose: "batch",
    });
    expect(file).toMatchObject({
      object: "file",
      purpose: "batch",
      filename: "in.jsonl",
      bytes: content.length,
    });
    expect(file.id).toMatch(/^file-[0-9a-f]{24}$/);
    expect(await openai.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: content.length });
    expect(await (await openai.files.content(file.id)).text()).toBe(content);
    const listed = await openai.files.list();
    expect(listed.data.map((f) => f.id)).toContain(file.id);

    const other = (await clientFor(store, gateway)).openai;
    await expect(other.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      openai.files.create({ file: await toFile(Buffer.from("x"), "x.txt"), purpose: "assistants" }),
    ).rejects.toMatchObject({ status: 400, param: "purpose" });
    expect(await openai.files.delete(file.id)).toMatchObject({ id: file.id, deleted: true });
    await expect(openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
  });

  it("runs a batch on the batch tier first, billing each line once at the price of the tier that served it", async () => {
    const { openai, keyId } = await clientFor(store, gateway, { costBudget: "1000000" });
    const input = await uploadChatBatch(openai, 30);
    upstream.script.calls.length = 0;
    const created = await openai.batches.create({
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { job: "eval-1" },
    });
    expect(created).toMatchObject({ object: "batch", status: "in_progress", metadata: { job: "eval-1" } });
    expect(created.request_counts).toEqual({ total: 30, completed: 0, failed: 0 });
    // The whole batch's worst case is held up front (recorded with the batch, in the same transaction).
    const held = BigInt((created as unknown as { decai: { held_cost: string } }).decai.held_cost);
    expect(held).toBeGreaterThan(30n * (100n * 3n + 4n * 9n));

    const done = await waitForBatch(openai, created.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
    expect(done.usage).toMatchObject({ input_tokens: 30 * 7, output_tokens: 30 * 4, total_tokens: 30 * 11 });
    const output = await readJsonl(openai, done.output_file_id as string);
    expect(output.map((o) => o.custom_id)).toEqual(Array.from({ length: 30 }, (_, i) => `req-${i}`));
    const first = output[0] as {
      response: { status_code: number; body: { choices: { message: { content: string } }[] } };
    };
    expect(first.response.status_code).toBe(200);
    expect(first.response.body.choices[0]?.message.content).toBe("echo: question 0");
    expect(await readJsonl(openai, done.error_file_id as string)).toEqual([]);
    expect((await openai.files.retrieve(done.output_file_id as string)).purpose).toBe("batch_output");

    // Batch-tier suppliers first; the interactive model only got what its idle capacity allowed.
    const byModel = (m: string) => upstream.script.calls.filter((c) => c.model === m).length;
    expect(byModel("tiny-llama:batch")).toBeGreaterThanOrEqual(byModel("tiny-llama"));
    expect(upstream.script.peak.get("tiny-llama:batch")).toBeLessThanOrEqual(2 * 2);
    expect(upstream.script.peak.get("tiny-llama") ?? 0).toBeLessThanOrEqual(2 * 1);

    // Billed once per line, at the served tier's price; nothing left held.
    const usage = await store.usage({ keyId, limit: 1000 });
    expect(usage).toHaveLength(30);
    expect(new Set(usage.map((u) => u.id)).size).toBe(30);
    for (const u of usage) {
      const price = tierPrices[u.model as string];
      expect(u.cost).toBe(7n * (price?.perInputToken ?? 0n) + 4n * (price?.perOutputToken ?? 0n));
    }
    const spend = await store.spend(keyId, Date.now());
    expect(spend.costSpent).toBe(usage.reduce((sum, u) => sum + u.cost, 0n));
    expect(spend.tokensSpent).toBe(30 * 11);
    expect(spend.costReserved).toBe(0n);
    expect(spend.tokensReserved).toBe(0);

    const page = await openai.batches.list({ limit: 5 });
    expect(page.data[0]?.id).toBe(created.id);
  });

  it("fails a batch whose input has bad lines, with OpenAI's errors and nothing held", async () => {
    const { openai, keyId } = await clientFor(store, gateway, { costBudget: "1000000" });
    const good = {
      custom_id: "ok",
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "tiny-llama", messages: [{ role: "user", content: "hi" }] },
    };
    const lines = [
      good,
      { ...good, custom_id: "ok" },
      { ...good, custom_id: "wrong-url", url: "/v1/embeddings" },
      { ...good, custom_id: "no-model", body: { messages: [] } },
      { ...good, custom_id: "unknown", body: { ...good.body, model: "gpt-9" } },
    ].map((l) => JSON.stringify(l));
    lines.push("not json");
    const file = await openai.files.create({
      file: await toFile(Buffer.from(lines.join("\n")), "bad.jsonl"),
      purpose: "batch",
    });
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch.status).toBe("failed");
    const codes = batch.errors?.data?.map((e) => [e.line, e.code]);
    expect(codes).toEqual([
      [2, "duplicate_custom_id"],
      [3, "mismatched_url"],
      [4, "missing_required_parameter"],
      [6, "invalid_json_line"],
    ]);
    // The unknown model is caught once the lines parse: a second file with only that problem.
    const file2 = await openai.files.create({
      file: await toFile(Buffer.from([lines[0], lines[4]].join("\n")), "m.jsonl"),
      purpose: "batch",
    });
    const batch2 = await openai.batches.create({
      input_file_id: file2.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch2.errors?.data?.[0]).toMatchObject({ code: "model_not_found", line: 2 });
    expect((await store.spend(keyId, Date.now())).costReserved).toBe(0n);
    await expect(
      openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "1h" as "24h",
      }),
    ).rejects.toMatchObject({ status: 400, param: "completion_window" });
    await expect(
      openai.batches.create({
        input_file_id: "file-nope",
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("refuses a batch the key's budget cannot hold as a whole", async () => {
    // 30 lines × (at least 100 body bytes × 3 + 4 × 9) ≫ 500.
    const { openai, keyId } = await clientFor(store, gateway, { costBudget: "500" });
    const file = await uploadChatBatch(openai, 30);
    await expect(
      openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      }),
    ).rejects.toMatchObject({ status: 429, code: "budget_exceeded" });
    expect((await store.spend(keyId, Date.now())).costReserved).toBe(0n);
    expect(await openai.batches.list()).toMatchObject({ data: [] });
  });

  it("records refused lines in the error file, unbilled", async () => {
    const { openai, keyId } = await clientFor(store, gateway);
    upstream.script.rejectPrompt = "question 3";
    try {
      const file = await uploadChatBatch(openai, 6);
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const done = await waitForBatch(openai, batch.id);
      expect(done.request_counts).toEqual({ total: 6, completed: 5, failed: 1 });
      const errors = await readJsonl(openai, done.error_file_id as string);
      expect(errors).toEqual([
        expect.objectContaining({
          custom_id: "req-3",
          error: { code: "context_length_exceeded", message: "This prompt is too long for the context." },
          response: expect.objectContaining({ status_code: 400 }),
        }),
      ]);
      const usage = await store.usage({ keyId, limit: 100 });
      expect(usage.find((u) => u.outcome === "upstream_error")?.cost).toBe(0n);
    } finally {
      upstream.script.rejectPrompt = undefined;
    }
  });

  it("waits out a busy batch tier on the idle interactive suppliers, then cancels with partial results", async () => {
    const { openai, keyId } = await clientFor(store, gateway, { costBudget: "1000000" });
    upstream.script.busy.add("tiny-llama:batch");
    upstream.script.latencyMs = 40;
    upstream.script.calls.length = 0;
    try {
      const file = await uploadChatBatch(openai, 40);
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      await waitForBatch(openai, batch.id, ["in_progress"]);
      for (let i = 0; i < 400; i++) {
        if (((await openai.batches.retrieve(batch.id)).request_counts?.completed ?? 0) >= 3) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const cancelling = await openai.batches.cancel(batch.id);
      expect(["cancelling", "cancelled"]).toContain(cancelling.status);
      const done = await waitForBatch(openai, batch.id);
      expect(done.status).toBe("cancelled");
      const { completed = 0, failed = 0, total } = done.request_counts ?? {};
      expect(total).toBe(40);
      expect(completed).toBeGreaterThan(0);
      expect(completed).toBeLessThan(40);
      // Served by the interactive model while the batch tier refused; billed at its price, once.
      const served = upstream.script.calls.filter((c) => c.model === "tiny-llama").length;
      expect(served).toBeGreaterThanOrEqual(completed);
      const output = await readJsonl(openai, done.output_file_id as string);
      const errors = await readJsonl(openai, done.error_file_id as string);
      expect(output).toHaveLength(completed);
      expect(errors).toHaveLength(40 - completed - failed);
      expect(errors[0]?.error).toMatchObject({ code: "batch_cancelled" });
      const ids = [...output, ...errors].map((l) => l.custom_id).sort();
      expect(new Set(ids).size).toBe(40);
      const spend = await store.spend(keyId, Date.now());
      expect(spend.costReserved).toBe(0n);
      expect(spend.costSpent).toBe(BigInt(completed) * (7n * 3n + 4n * 9n));
    } finally {
      upstream.script.busy.clear();
      upstream.script.latencyMs = 5;
    }
  });
});
