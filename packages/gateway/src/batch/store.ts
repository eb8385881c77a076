// Where batch jobs live: the gateway's own database (SQLite or PostgreSQL), in tables of their own.
import type { ReserveAmount } from "../budget.js";
import type { GatewayStore } from "../store/types.js";
import type { UsageRecord } from "../usage.js";
import type { BatchRecord, FileRecord, LineOutcome, LineRecord, NewLine } from "./types.js";

/** A page of a listing: newest first, after the cursor id, at most `limit`. */
export type Page = { after?: string; limit: number };

/**
 * Files, batches and their lines, with the two steps that must be atomic for "billed once, run once":
 * `createBatch` (budget check, hold of the whole batch's worst case, batch and lines inserted: one transaction) and
 * `completeLine` (result recorded, key charged, hold reconciled, counts and usage row: one transaction, only if the
 * caller still holds the line's claim).
 */
export interface BatchStore {
  /** `sqlite`: one gateway per database; `postgres`: shared by several gateways. */
  readonly kind: "sqlite" | "postgres";
  insertFile(file: FileRecord, content: Buffer | null): Promise<void>;
  file(id: string): Promise<FileRecord | undefined>;
  /** An uploaded file's bytes (`undefined` for output files, which are rendered from lines). */
  fileContent(id: string): Promise<Buffer | undefined>;
  listFiles(keyId: string, page: Page & { purpose?: string }): Promise<FileRecord[]>;
  deleteFile(id: string): Promise<boolean>;

  /**
   * Under the key's lock: checks its budgets can hold `hold` on top of what is spent and held (throws the
   * `budget_exceeded` refusal otherwise), holds it, and inserts the batch and its lines.
   */
  createBatch(batch: BatchRecord, lines: readonly NewLine[], hold: ReserveAmount, now: number): Promise<void>;
  /** A batch that failed validation: stored as such, no lines, nothing held. */
  insertFailedBatch(batch: BatchRecord): Promise<void>;
  batch(id: string): Promise<BatchRecord | undefined>;
  listBatches(keyId: string, page: Page): Promise<BatchRecord[]>;
  /** Batches the runner still has work on: in progress, cancelling or finalizing. */
  activeBatches(): Promise<BatchRecord[]>;

  /** Claims up to `n` pending lines of `batchId` whose backoff is over, in input order, for `claimedBy`. */
  claimLines(batchId: string, n: number, claimedBy: string, now: number): Promise<LineRecord[]>;
  /** Gives a claimed line back (not served), to be claimed again from `notBefore`. */
  releaseLine(line: LineRecord, notBefore: number): Promise<void>;
  /** Claims taken before `before` (a gateway that stopped or crashed) become pending again; returns how many. */
  requeueClaims(before: number): Promise<number>;
  /**
   * Records a claimed line's outcome, atomically with its charge: the key's period spend grows by `outcome.cost`,
   * the line's hold is released, the batch's counts and token totals move, and `usage` is appended. Does nothing
   * and returns false when `line.claimedBy` no longer holds the claim (so a result is never recorded twice).
   */
  completeLine(line: LineRecord, outcome: LineOutcome, usage: UsageRecord, now: number): Promise<boolean>;
  /** Lines of a batch in input order (for output files), optionally only those in `statuses`. */
  lines(batchId: string, statuses?: readonly string[]): Promise<LineRecord[]>;
  /** How many lines of a batch are claimed right now. */
  claimedCount(batchId: string): Promise<number>;

  /** Marks an in-progress batch `cancelling`; returns it as it is afterwards. */
  cancel(batchId: string, now: number): Promise<BatchRecord | undefined>;
  /**
   * Ends a batch: its pending lines become `cancelled` or `expired` (per `status`), whatever is still held is
   * released, output and error file records are created, and the status is set.
   */
  finish(
    batchId: string,
    status: "completed" | "cancelled" | "expired",
    files: { output: FileRecord; error: FileRecord },
    now: number,
  ): Promise<BatchRecord | undefined>;
}

/** The stores that can open a batch store on their own database (`SqliteStore`, `PostgresStore`). */
export type BatchCapableStore = GatewayStore & { openBatchStore?: () => Promise<BatchStore> };

/**
 * The batch store of a gateway store, on the same database; `undefined` for a store that has none (the Files and
 * Batch API then answers 501).
 *
 * @example
 * const batches = await batchStoreFor(SqliteStore.open(".decai/gateway.sqlite"));
 */
export async function batchStoreFor(store: GatewayStore): Promise<BatchStore | undefined> {
  const open = (store as BatchCapableStore).openBatchStore;
  return open ? open.call(store) : undefined;
}
