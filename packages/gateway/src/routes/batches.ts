// OpenAI's Batch API: `POST /v1/batches` (validate the input file, hold the whole batch's budget, queue it),
// `GET /v1/batches[/{id}]` (progress as lines complete) and `POST /v1/batches/{id}/cancel`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type BatchApiContext, ensureOwner, listOf, newId, only, pageOf } from "../batch/api.js";
import { batchEndpoints, parseInputFile } from "../batch/jsonl.js";
import { batchObject } from "../batch/objects.js";
import { planBatch, requiredString } from "../batch/plan.js";
import type { BatchLineError, BatchRecord } from "../batch/types.js";
import { GatewayError } from "../errors.js";
import { parseJsonObject, readBody, sendJson } from "../http/body.js";
import { validate } from "../http/schema.js";
import type { ApiKeyRecord } from "../keys/types.js";

const createSchema = {
  input_file_id: { type: "string", required: true },
  endpoint: { type: "string", required: true },
  completion_window: { type: "string", required: true },
  metadata: { type: "object" },
  output_expires_after: { type: "object" },
} as const;

/**
 * Serves `/v1/batches`, `/v1/batches/{id}` and `/v1/batches/{id}/cancel` for `key`.
 *
 * @example
 * if (path === "/v1/batches" || path.startsWith("/v1/batches/")) return handleBatches(req, res, url, path, key, ctx);
 */
export async function handleBatches(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  key: ApiKeyRecord,
  ctx: BatchApiContext,
): Promise<void> {
  if (path === "/v1/batches") {
    if (req.method === "POST") return create(req, res, key, ctx);
    only(req, "GET", path);
    const page = pageOf(url);
    const rows = await ctx.store.listBatches(key.id, { ...page, limit: page.limit + 1 });
    sendJson(res, 200, listOf(rows, page.limit, batchObject));
    return;
  }
  const [id = "", sub, ...rest] = path.slice("/v1/batches/".length).split("/");
  if (rest.length || (sub !== undefined && sub !== "cancel")) {
    throw new GatewayError("unknown_url", `Unknown path ${path}: use /v1/batches/{batch_id}[/cancel].`);
  }
  const batch = ensureOwner(await ctx.store.batch(id), key.id, "batch", id);
  if (sub === "cancel") {
    only(req, "POST", path);
    if (!["validating", "in_progress", "cancelling"].includes(batch.status)) {
      throw new GatewayError(
        "invalid_value",
        `Batch ${id} is ${batch.status}: only a running batch can be cancelled.`,
      );
    }
    const cancelled = (await ctx.store.cancel(id, ctx.now())) ?? batch;
    ctx.wake();
    sendJson(res, 200, batchObject(cancelled));
    return;
  }
  only(req, "GET", path);
  sendJson(res, 200, batchObject(batch));
}

async function create(req: IncomingMessage, res: ServerResponse, key: ApiKeyRecord, ctx: BatchApiContext) {
  const body = parseJsonObject(await readBody(req, 1 << 20));
  validate(body, createSchema);
  const fileId = requiredString(body.input_file_id, "input_file_id");
  const endpoint = requiredString(body.endpoint, "endpoint");
  const spec = batchEndpoints.get(endpoint);
  if (!spec) {
    throw new GatewayError(
      "invalid_value",
      `endpoint must be one of ${[...batchEndpoints.keys()].join(", ")}.`,
      { param: "endpoint" },
    );
  }
  if (body.completion_window !== "24h") {
    throw new GatewayError("invalid_value", "completion_window must be 24h.", { param: "completion_window" });
  }
  const metadata = body.metadata as Record<string, unknown> | undefined | null;
  if (
    metadata &&
    (Object.keys(metadata).length > 16 || Object.values(metadata).some((v) => typeof v !== "string"))
  ) {
    throw new GatewayError("invalid_value", "metadata holds at most 16 string values.", {
      param: "metadata",
    });
  }
  const file = ensureOwner(await ctx.store.file(fileId), key.id, "file", fileId);
  if (file.purpose !== "batch") {
    throw new GatewayError(
      "invalid_value",
      `File ${fileId} is not a batch input (purpose ${file.purpose}).`,
      {
        param: "input_file_id",
      },
    );
  }
  const content = (await ctx.store.fileContent(file.id)) ?? Buffer.alloc(0);
  const parsed = parseInputFile(content, endpoint);
  const now = ctx.now();
  const record: BatchRecord = {
    id: newId("batch_"),
    keyId: key.id,
    endpoint: spec.endpoint,
    inputFileId: file.id,
    completionWindow: "24h",
    status: "in_progress",
    metadata: (metadata as Record<string, string> | null | undefined) ?? null,
    model: parsed.lines[0]?.model ?? null,
    errors: null,
    outputFileId: null,
    errorFileId: null,
    createdAt: now,
    inProgressAt: now,
    finalizingAt: null,
    completedAt: null,
    failedAt: null,
    expiredAt: null,
    cancellingAt: null,
    cancelledAt: null,
    expiresAt: now + ctx.completionWindowMs,
    total: parsed.lines.length,
    completed: 0,
    failed: 0,
    inputTokens: 0,
    outputTokens: 0,
    periodStart: 0,
    heldCost: 0n,
    heldTokens: 0,
  };
  let errors: BatchLineError[] = parsed.errors;
  let plan: ReturnType<typeof planBatch> | undefined;
  if (errors.length === 0) {
    plan = planBatch(parsed.lines, {
      spec,
      catalog: await ctx.catalog(),
      key,
      aliases: ctx.aliases,
      defaultMaxTokens: ctx.defaultMaxTokens,
    });
    errors = plan.errors;
  }
  if (!plan || errors.length > 0) {
    // OpenAI's way: the batch exists, failed at validation, with the reasons in `errors`; nothing is held.
    const failed: BatchRecord = {
      ...record,
      status: "failed",
      inProgressAt: null,
      failedAt: now,
      errors,
      total: 0,
    };
    await ctx.store.insertFailedBatch(failed);
    sendJson(res, 200, batchObject(failed));
    return;
  }
  await ctx.store.createBatch(record, plan.lines, plan.hold, now);
  ctx.wake();
  sendJson(res, 200, batchObject((await ctx.store.batch(record.id)) ?? record));
}
