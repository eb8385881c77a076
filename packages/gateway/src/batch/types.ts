// The records of the Files + Batch API, as both stores keep them.
import type { Endpoint } from "../usage.js";

/** What a file is for: an uploaded batch input, or a batch's output or error file (rendered on demand). */
export type FilePurpose = "batch" | "batch_output";

/** A stored file's metadata (OpenAI's `file` object, in ms). */
export type FileRecord = {
  /** `file-` + 24 hex characters. */
  id: string;
  keyId: string;
  purpose: FilePurpose;
  filename: string;
  bytes: number;
  /** Unix ms. */
  createdAt: number;
  /** For output files: the batch and which of its files this is; the content is rendered from its lines. */
  batchId: string | null;
  kind: "input" | "output" | "error";
};

/** OpenAI's batch statuses. */
export type BatchStatus =
  | "validating"
  | "failed"
  | "in_progress"
  | "finalizing"
  | "completed"
  | "expired"
  | "cancelling"
  | "cancelled";

/** One validation problem of an input file (OpenAI's `errors.data[]`). */
export type BatchLineError = { code: string; message: string; param: string | null; line: number | null };

/** A batch job. Times are Unix ms (`null` until reached); amounts are payment-token base units. */
export type BatchRecord = {
  /** `batch_` + 24 hex characters. */
  id: string;
  keyId: string;
  endpoint: Endpoint;
  inputFileId: string;
  completionWindow: string;
  status: BatchStatus;
  metadata: Record<string, string> | null;
  /** The model of the first line, for listings. */
  model: string | null;
  errors: BatchLineError[] | null;
  outputFileId: string | null;
  errorFileId: string | null;
  createdAt: number;
  inProgressAt: number | null;
  finalizingAt: number | null;
  completedAt: number | null;
  failedAt: number | null;
  expiredAt: number | null;
  cancellingAt: number | null;
  cancelledAt: number | null;
  expiresAt: number;
  total: number;
  completed: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  /** The key's budget period the whole batch is reserved in and charged to. */
  periodStart: number;
  /** Budget still held for the lines not finished yet. */
  heldCost: bigint;
  heldTokens: number;
};

/** A line's lifecycle: waiting, being served by one gateway, or finished one way or the other. */
export type LineStatus = "pending" | "claimed" | "done" | "failed" | "cancelled" | "expired";

/** The part of a finished line that goes into the output or error file. */
export type LineResponse = { statusCode: number; requestId: string; body: unknown };

/** One request of a batch. */
export type LineRecord = {
  batchId: string;
  /** 0-based position in the input file. */
  index: number;
  customId: string;
  /** The request body as it will be sent (`max_tokens` filled in for budgeted keys). */
  body: Record<string, unknown>;
  /** The model the line asked for. */
  model: string;
  /** Budget held for this line until it finishes: its worst case. */
  holdCost: bigint;
  holdTokens: number;
  status: LineStatus;
  attempts: number;
  /** Not claimed again before this (Unix ms): backoff after a busy or failing upstream. */
  notBefore: number;
  /** Who holds the claim (a random token per claim) and since when. */
  claimedBy: string | null;
  claimedAt: number | null;
  response: LineResponse | null;
  error: { code: string; message: string } | null;
  completedAt: number | null;
};

/** A line as `createBatch` stores it. */
export type NewLine = Pick<LineRecord, "index" | "customId" | "body" | "model" | "holdCost" | "holdTokens">;

/** How a claimed line ended; `usage` is the usage-log row (and the charge) when it was billed. */
export type LineOutcome = {
  status: "done" | "failed";
  response: LineResponse | null;
  error: { code: string; message: string } | null;
  /** What the key is charged (already capped by the line's hold for budgeted keys). */
  cost: bigint;
  inputTokens: number;
  outputTokens: number;
};
