// The JSON objects of the Files and Batch API, exactly as the official `openai` clients read them (Unix seconds).
import type { BatchRecord, FileRecord } from "./types.js";

const seconds = (ms: number | null) => (ms === null ? undefined : Math.floor(ms / 1000));

/**
 * OpenAI's `file` object.
 *
 * @example
 * fileObject(record); // { id: "file-…", object: "file", bytes: 1234, created_at: 1767225600, filename: "in.jsonl", purpose: "batch", status: "processed" }
 */
export function fileObject(file: FileRecord): Record<string, unknown> {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: seconds(file.createdAt),
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    expires_at: null,
  };
}

/**
 * OpenAI's `batch` object, with `request_counts` and `usage` as the lines complete, and the Decai extras under
 * `decai` (the budget still held for unfinished lines, in payment-token base units).
 *
 * @example
 * batchObject(record); // { id: "batch_…", object: "batch", status: "in_progress", request_counts: { total: 200, completed: 57, failed: 0 }, … }
 */
export function batchObject(b: BatchRecord): Record<string, unknown> {
  return {
    id: b.id,
    object: "batch",
    endpoint: b.endpoint === "chat.completions" ? "/v1/chat/completions" : `/v1/${b.endpoint}`,
    model: b.model,
    errors: b.errors ? { object: "list", data: b.errors } : null,
    input_file_id: b.inputFileId,
    completion_window: b.completionWindow,
    status: b.status,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: seconds(b.createdAt),
    in_progress_at: seconds(b.inProgressAt) ?? null,
    expires_at: seconds(b.expiresAt),
    finalizing_at: seconds(b.finalizingAt) ?? null,
    completed_at: seconds(b.completedAt) ?? null,
    failed_at: seconds(b.failedAt) ?? null,
    expired_at: seconds(b.expiredAt) ?? null,
    cancelling_at: seconds(b.cancellingAt) ?? null,
    cancelled_at: seconds(b.cancelledAt) ?? null,
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    usage: {
      input_tokens: b.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: b.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: b.inputTokens + b.outputTokens,
    },
    metadata: b.metadata,
    decai: { held_cost: b.heldCost.toString(), held_tokens: b.heldTokens },
  };
}
