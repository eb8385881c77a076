// Rows of the batch tables as both stores read them (PostgreSQL returns BIGINT and NUMERIC as strings, JSONB
// parsed; SQLite numbers and JSON text), and the admission of a whole batch against a key's budgets.
import { checkBudget, type ReserveAmount } from "../budget.js";
import { GatewayError } from "../errors.js";
import type { ApiKeyRecord, KeySpend } from "../keys/types.js";
import type { Endpoint } from "../usage.js";
import type { BatchRecord, BatchStatus, FilePurpose, FileRecord, LineRecord, LineStatus } from "./types.js";

type Num = number | string;
type Json = string | Record<string, unknown> | unknown[] | null;

const json = <T>(value: Json): T | null =>
  value === null ? null : ((typeof value === "string" ? JSON.parse(value) : value) as T);
const opt = (value: Num | null): number | null => (value === null ? null : Number(value));

/** A `batch_files` row. */
export type FileRow = {
  id: string;
  key_id: string;
  purpose: string;
  filename: string;
  bytes: Num;
  created_at: Num;
  batch_id: string | null;
  kind: string;
};

export const fileFromRow = (r: FileRow): FileRecord => ({
  id: r.id,
  keyId: r.key_id,
  purpose: r.purpose as FilePurpose,
  filename: r.filename,
  bytes: Number(r.bytes),
  createdAt: Number(r.created_at),
  batchId: r.batch_id,
  kind: r.kind as FileRecord["kind"],
});

/** The columns of `batch_files` besides `content`, in insert order. */
export const fileColumns = ["id", "key_id", "purpose", "filename", "bytes", "created_at", "batch_id", "kind"];

export const fileValues = (f: FileRecord): unknown[] => [
  f.id,
  f.keyId,
  f.purpose,
  f.filename,
  f.bytes,
  f.createdAt,
  f.batchId,
  f.kind,
];

/** A `batches` row. */
export type BatchRow = {
  id: string;
  key_id: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  status: string;
  metadata: Json;
  model: string | null;
  errors: Json;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: Num;
  in_progress_at: Num | null;
  finalizing_at: Num | null;
  completed_at: Num | null;
  failed_at: Num | null;
  expired_at: Num | null;
  cancelling_at: Num | null;
  cancelled_at: Num | null;
  expires_at: Num;
  total: Num;
  completed: Num;
  failed: Num;
  input_tokens: Num;
  output_tokens: Num;
  period_start: Num;
  held_cost: Num;
  held_tokens: Num;
};

export const batchFromRow = (r: BatchRow): BatchRecord => ({
  id: r.id,
  keyId: r.key_id,
  endpoint: r.endpoint as Endpoint,
  inputFileId: r.input_file_id,
  completionWindow: r.completion_window,
  status: r.status as BatchStatus,
  metadata: json(r.metadata),
  model: r.model,
  errors: json(r.errors),
  outputFileId: r.output_file_id,
  errorFileId: r.error_file_id,
  createdAt: Number(r.created_at),
  inProgressAt: opt(r.in_progress_at),
  finalizingAt: opt(r.finalizing_at),
  completedAt: opt(r.completed_at),
  failedAt: opt(r.failed_at),
  expiredAt: opt(r.expired_at),
  cancellingAt: opt(r.cancelling_at),
  cancelledAt: opt(r.cancelled_at),
  expiresAt: Number(r.expires_at),
  total: Number(r.total),
  completed: Number(r.completed),
  failed: Number(r.failed),
  inputTokens: Number(r.input_tokens),
  outputTokens: Number(r.output_tokens),
  periodStart: Number(r.period_start),
  heldCost: BigInt(r.held_cost),
  heldTokens: Number(r.held_tokens),
});

/** The columns of `batches`, in insert order. */
export const batchColumns = [
  "id",
  "key_id",
  "endpoint",
  "input_file_id",
  "completion_window",
  "status",
  "metadata",
  "model",
  "errors",
  "output_file_id",
  "error_file_id",
  "created_at",
  "in_progress_at",
  "finalizing_at",
  "completed_at",
  "failed_at",
  "expired_at",
  "cancelling_at",
  "cancelled_at",
  "expires_at",
  "total",
  "completed",
  "failed",
  "input_tokens",
  "output_tokens",
  "period_start",
  "held_cost",
  "held_tokens",
];

export const batchValues = (b: BatchRecord): unknown[] => [
  b.id,
  b.keyId,
  b.endpoint,
  b.inputFileId,
  b.completionWindow,
  b.status,
  b.metadata === null ? null : JSON.stringify(b.metadata),
  b.model,
  b.errors === null ? null : JSON.stringify(b.errors),
  b.outputFileId,
  b.errorFileId,
  b.createdAt,
  b.inProgressAt,
  b.finalizingAt,
  b.completedAt,
  b.failedAt,
  b.expiredAt,
  b.cancellingAt,
  b.cancelledAt,
  b.expiresAt,
  b.total,
  b.completed,
  b.failed,
  b.inputTokens,
  b.outputTokens,
  b.periodStart,
  b.heldCost.toString(),
  b.heldTokens,
];

/** A `batch_lines` row. */
export type LineRow = {
  batch_id: string;
  idx: Num;
  custom_id: string;
  body: Json;
  model: string;
  hold_cost: Num;
  hold_tokens: Num;
  status: string;
  attempts: Num;
  not_before: Num;
  claimed_by: string | null;
  claimed_at: Num | null;
  response: Json;
  error: Json;
  completed_at: Num | null;
};

export const lineFromRow = (r: LineRow): LineRecord => ({
  batchId: r.batch_id,
  index: Number(r.idx),
  customId: r.custom_id,
  body: json(r.body) as Record<string, unknown>,
  model: r.model,
  holdCost: BigInt(r.hold_cost),
  holdTokens: Number(r.hold_tokens),
  status: r.status as LineStatus,
  attempts: Number(r.attempts),
  notBefore: Number(r.not_before),
  claimedBy: r.claimed_by,
  claimedAt: opt(r.claimed_at),
  response: json(r.response),
  error: json(r.error),
  completedAt: opt(r.completed_at),
});

/** The columns a new line is inserted with. */
export const newLineColumns = ["batch_id", "idx", "custom_id", "body", "model", "hold_cost", "hold_tokens"];

/**
 * Admission of a whole batch: the key exists and works, and its budgets can hold the batch's worst case on top
 * of what is spent and held. Throws the refusal (429 `budget_exceeded`, 401 for a missing or revoked key).
 *
 * @example
 * admitBatch(key, spend, { cost: 20_000n, tokens: 9_000 }, Date.now());
 */
export function admitBatch(
  key: ApiKeyRecord | undefined,
  spend: KeySpend,
  hold: ReserveAmount,
  now: number,
): void {
  if (!key)
    throw new GatewayError("invalid_api_key", "This API key does not exist (it may have been deleted).");
  if (key.revokedAt !== null) {
    throw new GatewayError(
      "api_key_revoked",
      "This API key was revoked: ask the gateway's operator for a new one.",
    );
  }
  const refusal = checkBudget(key.limits, spend, hold, now);
  if (refusal) {
    throw new GatewayError(
      "budget_exceeded",
      `${refusal.message} The whole batch is reserved up front (each line's max_tokens): split it or lower max_tokens.`,
      {
        ...(refusal.retryAfterSeconds !== undefined ? { retryAfterSeconds: refusal.retryAfterSeconds } : {}),
        ...(refusal.retryable !== undefined ? { retryable: refusal.retryable } : {}),
      },
    );
  }
}

/** The error of a line that never ran. */
export function unfinished(status: "cancelled" | "expired"): { code: string; message: string } {
  return status === "expired"
    ? { code: "batch_expired", message: "This line was not run before the batch's completion window ended." }
    : { code: "batch_cancelled", message: "This line was not run: the batch was cancelled." };
}
