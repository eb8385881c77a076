// The batch tables in the gateway's PostgreSQL database, shared by every gateway instance: lines are claimed with
// `FOR UPDATE SKIP LOCKED`, and every charge holds the key's row lock, in the same order as `PostgresStore`.
import type pg from "pg";
import { emptySpend, periodStart, type ReserveAmount } from "../budget.js";
import type { KeySpend } from "../keys/types.js";
import { inTransaction } from "../store/inTransaction.js";
import { migrateSchema } from "../store/migrateSchema.js";
import { type KeyRow, keyFromRow, usageColumns, usageValues } from "../store/shared.js";
import type { UsageRecord } from "../usage.js";
import {
  admitBatch,
  type BatchRow,
  batchColumns,
  batchFromRow,
  batchValues,
  type FileRow,
  fileColumns,
  fileFromRow,
  fileValues,
  type LineRow,
  lineFromRow,
  newLineColumns,
  unfinished,
} from "./rows.js";
import { postgresSchema } from "./schema.js";
import type { BatchStore, Page } from "./store.js";
import type { BatchRecord, FileRecord, LineOutcome, LineRecord, NewLine } from "./types.js";

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(", ");

/**
 * `BatchStore` on the PostgreSQL database of a `PostgresStore` (`store.openBatchStore()`), for several gateways:
 * any of them may claim lines of any batch, and a line's result is recorded only by the claim that holds it.
 *
 * @example
 * const batches = await PostgresBatchStore.open(pool);
 */
export class PostgresBatchStore implements BatchStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the batch tables if they are missing. */
  static async open(pool: pg.Pool): Promise<PostgresBatchStore> {
    await migrateSchema(pool, "batch", postgresSchema);
    return new PostgresBatchStore(pool);
  }

  async insertFile(file: FileRecord, content: Buffer | null): Promise<void> {
    await this.#pool.query(
      `INSERT INTO batch_files (${fileColumns.join(", ")}, content) VALUES (${placeholders(fileColumns.length + 1)})`,
      [...fileValues(file), content],
    );
  }

  async file(id: string): Promise<FileRecord | undefined> {
    const { rows } = await this.#pool.query<FileRow>(
      `SELECT ${fileColumns.join(", ")} FROM batch_files WHERE id = $1`,
      [id],
    );
    return rows[0] && fileFromRow(rows[0]);
  }

  async fileContent(id: string): Promise<Buffer | undefined> {
    const { rows } = await this.#pool.query<{ content: Buffer | null }>(
      "SELECT content FROM batch_files WHERE id = $1",
      [id],
    );
    return rows[0]?.content ?? undefined;
  }

  async listFiles(keyId: string, page: Page & { purpose?: string }): Promise<FileRecord[]> {
    const rows = await this.#page<FileRow>(
      "batch_files",
      fileColumns.join(", "),
      keyId,
      page,
      page.purpose ? ["purpose", page.purpose] : undefined,
    );
    return rows.map(fileFromRow);
  }

  async deleteFile(id: string): Promise<boolean> {
    return ((await this.#pool.query("DELETE FROM batch_files WHERE id = $1", [id])).rowCount ?? 0) > 0;
  }

  async createBatch(batch: BatchRecord, lines: readonly NewLine[], hold: ReserveAmount, now: number) {
    await this.#transaction(async (c) => {
      const { rows } = await c.query<KeyRow>("SELECT * FROM api_keys WHERE id = $1 FOR UPDATE", [
        batch.keyId,
      ]);
      const key = rows[0] && keyFromRow(rows[0]);
      const start = periodStart(key?.limits.period ?? "none", now);
      admitBatch(key, await this.#spend(c, batch.keyId, start), hold, now);
      await c.query(
        `INSERT INTO key_spend (key_id, period_start, cost_reserved, tokens_reserved) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id, period_start) DO UPDATE SET
           cost_reserved = key_spend.cost_reserved + EXCLUDED.cost_reserved,
           tokens_reserved = key_spend.tokens_reserved + EXCLUDED.tokens_reserved`,
        [batch.keyId, start, hold.cost.toString(), hold.tokens],
      );
      const stored = { ...batch, periodStart: start, heldCost: hold.cost, heldTokens: hold.tokens };
      await c.query(
        `INSERT INTO batches (${batchColumns.join(", ")}) VALUES (${placeholders(batchColumns.length)})`,
        batchValues(stored),
      );
      // Inserted 500 rows per statement: a 50,000-line batch is 100 round trips, not 50,000.
      for (let i = 0; i < lines.length; i += 500) {
        const chunk = lines.slice(i, i + 500);
        const width = newLineColumns.length;
        await c.query(
          `INSERT INTO batch_lines (${newLineColumns.join(", ")}) VALUES ${chunk
            .map((_, j) => `(${placeholders(width, j * width + 1)})`)
            .join(", ")}`,
          chunk.flatMap((l) => [
            batch.id,
            l.index,
            l.customId,
            JSON.stringify(l.body),
            l.model,
            l.holdCost.toString(),
            l.holdTokens,
          ]),
        );
      }
    });
  }

  async insertFailedBatch(batch: BatchRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO batches (${batchColumns.join(", ")}) VALUES (${placeholders(batchColumns.length)})`,
      batchValues(batch),
    );
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    const { rows } = await this.#pool.query<BatchRow>("SELECT * FROM batches WHERE id = $1", [id]);
    return rows[0] && batchFromRow(rows[0]);
  }

  async listBatches(keyId: string, page: Page): Promise<BatchRecord[]> {
    return (await this.#page<BatchRow>("batches", "*", keyId, page)).map(batchFromRow);
  }

  async activeBatches(): Promise<BatchRecord[]> {
    const { rows } = await this.#pool.query<BatchRow>(
      "SELECT * FROM batches WHERE status IN ('in_progress', 'cancelling', 'finalizing') ORDER BY created_at, id",
    );
    return rows.map(batchFromRow);
  }

  async claimLines(batchId: string, n: number, claimedBy: string, now: number): Promise<LineRecord[]> {
    if (n <= 0) return [];
    const { rows } = await this.#pool.query<LineRow>(
      `UPDATE batch_lines SET status = 'claimed', claimed_by = $1, claimed_at = $2, attempts = attempts + 1
       WHERE (batch_id, idx) IN (SELECT batch_id, idx FROM batch_lines WHERE batch_id = $3 AND status = 'pending'
         AND not_before <= $2 ORDER BY idx LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [claimedBy, now, batchId, n],
    );
    return rows.map(lineFromRow).sort((a, b) => a.index - b.index);
  }

  async releaseLine(line: LineRecord, notBefore: number): Promise<void> {
    await this.#pool.query(
      `UPDATE batch_lines SET status = 'pending', claimed_by = NULL, claimed_at = NULL, not_before = $1
       WHERE batch_id = $2 AND idx = $3 AND status = 'claimed' AND claimed_by = $4`,
      [notBefore, line.batchId, line.index, line.claimedBy],
    );
  }

  async requeueClaims(before: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      `UPDATE batch_lines SET status = 'pending', claimed_by = NULL, claimed_at = NULL
       WHERE status = 'claimed' AND claimed_at < $1`,
      [before],
    );
    return rowCount ?? 0;
  }

  async completeLine(
    line: LineRecord,
    outcome: LineOutcome,
    usage: UsageRecord,
    now: number,
  ): Promise<boolean> {
    return this.#transaction(async (c) => {
      const { rows } = await c.query<{ key_id: string; period_start: string }>(
        "SELECT key_id, period_start FROM batches WHERE id = $1",
        [line.batchId],
      );
      const batch = rows[0];
      if (!batch) return false;
      // Lock order as in PostgresStore: the key row first, then spend, then our rows.
      await c.query("SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE", [batch.key_id]);
      const changed = await c.query(
        `UPDATE batch_lines SET status = $1, response = $2, error = $3, completed_at = $4, claimed_by = NULL
         WHERE batch_id = $5 AND idx = $6 AND status = 'claimed' AND claimed_by = $7`,
        [
          outcome.status,
          outcome.response && JSON.stringify(outcome.response),
          outcome.error && JSON.stringify(outcome.error),
          now,
          line.batchId,
          line.index,
          line.claimedBy,
        ],
      );
      if ((changed.rowCount ?? 0) === 0) return false;
      await c.query(
        `INSERT INTO key_spend (key_id, period_start, cost_spent, tokens_spent) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id, period_start) DO UPDATE SET
           cost_spent = key_spend.cost_spent + EXCLUDED.cost_spent,
           tokens_spent = key_spend.tokens_spent + EXCLUDED.tokens_spent,
           cost_reserved = GREATEST(0, key_spend.cost_reserved - $5::numeric),
           tokens_reserved = GREATEST(0, key_spend.tokens_reserved - $6::bigint)`,
        [
          batch.key_id,
          batch.period_start,
          outcome.cost.toString(),
          outcome.inputTokens + outcome.outputTokens,
          line.holdCost.toString(),
          line.holdTokens,
        ],
      );
      await c.query(
        `UPDATE batches SET completed = completed + $1, failed = failed + $2, input_tokens = input_tokens + $3,
           output_tokens = output_tokens + $4, held_cost = GREATEST(0, held_cost - $5::numeric),
           held_tokens = GREATEST(0, held_tokens - $6::bigint) WHERE id = $7`,
        [
          outcome.status === "done" ? 1 : 0,
          outcome.status === "failed" ? 1 : 0,
          outcome.inputTokens,
          outcome.outputTokens,
          line.holdCost.toString(),
          line.holdTokens,
          line.batchId,
        ],
      );
      await c.query(
        `INSERT INTO usage (${usageColumns.join(", ")}) VALUES (${placeholders(usageColumns.length)})`,
        usageValues(usage, (b) => b),
      );
      return true;
    });
  }

  async lines(batchId: string, statuses?: readonly string[]): Promise<LineRecord[]> {
    const { rows } = await this.#pool.query<LineRow>(
      statuses?.length
        ? "SELECT * FROM batch_lines WHERE batch_id = $1 AND status = ANY($2) ORDER BY idx"
        : "SELECT * FROM batch_lines WHERE batch_id = $1 ORDER BY idx",
      statuses?.length ? [batchId, statuses] : [batchId],
    );
    return rows.map(lineFromRow);
  }

  async claimedCount(batchId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM batch_lines WHERE batch_id = $1 AND status = 'claimed'",
      [batchId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async cancel(batchId: string, now: number): Promise<BatchRecord | undefined> {
    await this.#pool.query(
      `UPDATE batches SET status = 'cancelling', cancelling_at = $1 WHERE id = $2 AND status IN ('validating', 'in_progress')`,
      [now, batchId],
    );
    return this.batch(batchId);
  }

  async finish(
    batchId: string,
    status: "completed" | "cancelled" | "expired",
    files: { output: FileRecord; error: FileRecord },
    now: number,
  ): Promise<BatchRecord | undefined> {
    await this.#transaction(async (c) => {
      const { rows } = await c.query<BatchRow>("SELECT * FROM batches WHERE id = $1", [batchId]);
      if (!rows[0]) return;
      const batch = batchFromRow(rows[0]);
      await c.query("SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE", [batch.keyId]);
      const { rows: again } = await c.query<{ status: string; held_cost: string; held_tokens: string }>(
        "SELECT status, held_cost, held_tokens FROM batches WHERE id = $1 FOR UPDATE",
        [batchId],
      );
      const current = again[0];
      if (!current || !["in_progress", "cancelling", "finalizing"].includes(current.status)) return;
      const left = status === "completed" ? "cancelled" : status;
      await c.query(
        `UPDATE batch_lines SET status = $1, error = $2, completed_at = $3, claimed_by = NULL
         WHERE batch_id = $4 AND status IN ('pending', 'claimed')`,
        [left, JSON.stringify(unfinished(left)), now, batchId],
      );
      await c.query(
        `UPDATE key_spend SET cost_reserved = GREATEST(0, cost_reserved - $1::numeric),
           tokens_reserved = GREATEST(0, tokens_reserved - $2::bigint) WHERE key_id = $3 AND period_start = $4`,
        [current.held_cost, current.held_tokens, batch.keyId, batch.periodStart],
      );
      for (const f of [files.output, files.error]) {
        await c.query(
          `INSERT INTO batch_files (${fileColumns.join(", ")}) VALUES (${placeholders(fileColumns.length)})
           ON CONFLICT (id) DO NOTHING`,
          fileValues(f),
        );
      }
      const at = { completed: "completed_at", cancelled: "cancelled_at", expired: "expired_at" }[status];
      await c.query(
        `UPDATE batches SET status = $1, ${at} = $2, finalizing_at = COALESCE(finalizing_at, $2), held_cost = 0,
           held_tokens = 0, output_file_id = $3, error_file_id = $4 WHERE id = $5`,
        [status, now, files.output.id, files.error.id, batchId],
      );
    });
    return this.batch(batchId);
  }

  async #spend(c: pg.PoolClient, keyId: string, start: number): Promise<KeySpend> {
    const { rows } = await c.query<{
      cost_spent: string;
      cost_reserved: string;
      tokens_spent: string;
      tokens_reserved: string;
    }>("SELECT * FROM key_spend WHERE key_id = $1 AND period_start = $2", [keyId, start]);
    const r = rows[0];
    if (!r) return emptySpend(start);
    return {
      periodStart: start,
      costSpent: BigInt(r.cost_spent),
      costReserved: BigInt(r.cost_reserved),
      tokensSpent: Number(r.tokens_spent),
      tokensReserved: Number(r.tokens_reserved),
    };
  }

  async #page<R extends pg.QueryResultRow>(
    table: string,
    columns: string,
    keyId: string,
    page: Page,
    extra?: [string, unknown],
  ): Promise<R[]> {
    const where = ["key_id = $1"];
    const params: unknown[] = [keyId];
    if (extra) {
      params.push(extra[1]);
      where.push(`${extra[0]} = $${params.length}`);
    }
    if (page.after) {
      params.push(page.after);
      where.push(`(created_at, id) < (SELECT created_at, id FROM ${table} WHERE id = $${params.length})`);
    }
    params.push(page.limit);
    const { rows } = await this.#pool.query<R>(
      `SELECT ${columns} FROM ${table} WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC
       LIMIT $${params.length}`,
      params,
    );
    return rows;
  }

  #transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, body);
  }
}
