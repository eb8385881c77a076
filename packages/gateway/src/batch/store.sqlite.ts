// The batch tables in the gateway's SQLite file, next to (and charging) the key tables of `SqliteStore`.
import type Database from "better-sqlite3";
import { emptySpend, periodStart, type ReserveAmount } from "../budget.js";
import type { KeySpend } from "../keys/types.js";
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
import { sqliteSchema } from "./schema.js";
import type { BatchStore, Page } from "./store.js";
import type { BatchRecord, FileRecord, LineOutcome, LineRecord, NewLine } from "./types.js";

const active = "('in_progress', 'cancelling', 'finalizing')";

/**
 * `BatchStore` on the SQLite database of a `SqliteStore` (`store.openBatchStore()`): every multi-row change is one
 * IMMEDIATE transaction, so a crash leaves a line either claimed without a result (run again after a restart) or
 * finished with its charge, never in between.
 *
 * @example
 * const batches = new SqliteBatchStore(db);
 */
export class SqliteBatchStore implements BatchStore {
  readonly kind = "sqlite";
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(sqliteSchema);
  }

  async insertFile(file: FileRecord, content: Buffer | null): Promise<void> {
    this.#q(
      `INSERT INTO batch_files (${fileColumns.join(", ")}, content) VALUES (${fileColumns.map(() => "?").join(", ")}, ?)`,
    ).run(...fileValues(file), content);
  }

  async file(id: string): Promise<FileRecord | undefined> {
    const row = this.#q(`SELECT ${fileColumns.join(", ")} FROM batch_files WHERE id = ?`).get(id) as
      | FileRow
      | undefined;
    return row && fileFromRow(row);
  }

  async fileContent(id: string): Promise<Buffer | undefined> {
    const row = this.#q("SELECT content FROM batch_files WHERE id = ?").get(id) as
      | { content: Buffer | null }
      | undefined;
    return row?.content ?? undefined;
  }

  async listFiles(keyId: string, page: Page & { purpose?: string }): Promise<FileRecord[]> {
    const rows = this.#page<FileRow>(
      "batch_files",
      fileColumns.join(", "),
      keyId,
      page,
      page.purpose ? ["purpose = ?", page.purpose] : undefined,
    );
    return rows.map(fileFromRow);
  }

  async deleteFile(id: string): Promise<boolean> {
    return this.#q("DELETE FROM batch_files WHERE id = ?").run(id).changes > 0;
  }

  async createBatch(batch: BatchRecord, lines: readonly NewLine[], hold: ReserveAmount, now: number) {
    this.#db
      .transaction(() => {
        const row = this.#q("SELECT * FROM api_keys WHERE id = ?").get(batch.keyId) as KeyRow | undefined;
        const key = row && keyFromRow(row);
        const start = periodStart(key?.limits.period ?? "none", now);
        const spend = this.#spend(batch.keyId, start);
        admitBatch(key, spend, hold, now);
        this.#q(
          `INSERT INTO key_spend (key_id, period_start, cost_reserved, tokens_reserved) VALUES (?, ?, ?, ?)
           ON CONFLICT (key_id, period_start) DO UPDATE SET cost_reserved = excluded.cost_reserved,
             tokens_reserved = excluded.tokens_reserved`,
        ).run(
          batch.keyId,
          start,
          (spend.costReserved + hold.cost).toString(),
          spend.tokensReserved + hold.tokens,
        );
        const stored = { ...batch, periodStart: start, heldCost: hold.cost, heldTokens: hold.tokens };
        this.#q(
          `INSERT INTO batches (${batchColumns.join(", ")}) VALUES (${batchColumns.map(() => "?").join(", ")})`,
        ).run(...batchValues(stored));
        const insert = this.#q(
          `INSERT INTO batch_lines (${newLineColumns.join(", ")}) VALUES (${newLineColumns.map(() => "?").join(", ")})`,
        );
        for (const l of lines) {
          insert.run(
            batch.id,
            l.index,
            l.customId,
            JSON.stringify(l.body),
            l.model,
            l.holdCost.toString(),
            l.holdTokens,
          );
        }
      })
      .immediate();
  }

  async insertFailedBatch(batch: BatchRecord): Promise<void> {
    this.#q(
      `INSERT INTO batches (${batchColumns.join(", ")}) VALUES (${batchColumns.map(() => "?").join(", ")})`,
    ).run(...batchValues(batch));
  }

  async batch(id: string): Promise<BatchRecord | undefined> {
    const row = this.#q("SELECT * FROM batches WHERE id = ?").get(id) as BatchRow | undefined;
    return row && batchFromRow(row);
  }

  async listBatches(keyId: string, page: Page): Promise<BatchRecord[]> {
    return this.#page<BatchRow>("batches", "*", keyId, page).map(batchFromRow);
  }

  async activeBatches(): Promise<BatchRecord[]> {
    const rows = this.#q(`SELECT * FROM batches WHERE status IN ${active} ORDER BY created_at, id`).all();
    return (rows as BatchRow[]).map(batchFromRow);
  }

  async claimLines(batchId: string, n: number, claimedBy: string, now: number): Promise<LineRecord[]> {
    if (n <= 0) return [];
    return this.#db
      .transaction(() => {
        const rows = this.#q(
          `UPDATE batch_lines SET status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1
           WHERE rowid IN (SELECT rowid FROM batch_lines WHERE batch_id = ? AND status = 'pending'
             AND not_before <= ? ORDER BY idx LIMIT ?)
           RETURNING *`,
        ).all(claimedBy, now, batchId, now, n) as LineRow[];
        return rows.map(lineFromRow).sort((a, b) => a.index - b.index);
      })
      .immediate();
  }

  async releaseLine(line: LineRecord, notBefore: number): Promise<void> {
    this.#q(
      `UPDATE batch_lines SET status = 'pending', claimed_by = NULL, claimed_at = NULL, not_before = ?
       WHERE batch_id = ? AND idx = ? AND status = 'claimed' AND claimed_by = ?`,
    ).run(notBefore, line.batchId, line.index, line.claimedBy);
  }

  async requeueClaims(before: number): Promise<number> {
    return this.#q(
      `UPDATE batch_lines SET status = 'pending', claimed_by = NULL, claimed_at = NULL
       WHERE status = 'claimed' AND claimed_at < ?`,
    ).run(before).changes;
  }

  async completeLine(
    line: LineRecord,
    outcome: LineOutcome,
    usage: UsageRecord,
    now: number,
  ): Promise<boolean> {
    return this.#db
      .transaction(() => {
        const changed = this.#q(
          `UPDATE batch_lines SET status = ?, response = ?, error = ?, completed_at = ?, claimed_by = NULL
           WHERE batch_id = ? AND idx = ? AND status = 'claimed' AND claimed_by = ?`,
        ).run(
          outcome.status,
          outcome.response && JSON.stringify(outcome.response),
          outcome.error && JSON.stringify(outcome.error),
          now,
          line.batchId,
          line.index,
          line.claimedBy,
        ).changes;
        if (changed === 0) return false;
        const batch = this.#q(
          "SELECT key_id, period_start, held_cost, held_tokens FROM batches WHERE id = ?",
        ).get(line.batchId) as {
          key_id: string;
          period_start: number;
          held_cost: string;
          held_tokens: number;
        };
        const spend = this.#spend(batch.key_id, batch.period_start);
        const reserved = spend.costReserved - line.holdCost;
        this.#q(
          `INSERT INTO key_spend (key_id, period_start, cost_spent, cost_reserved, tokens_spent, tokens_reserved)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (key_id, period_start) DO UPDATE SET cost_spent = excluded.cost_spent,
             cost_reserved = excluded.cost_reserved, tokens_spent = excluded.tokens_spent,
             tokens_reserved = excluded.tokens_reserved`,
        ).run(
          batch.key_id,
          batch.period_start,
          (spend.costSpent + outcome.cost).toString(),
          (reserved < 0n ? 0n : reserved).toString(),
          spend.tokensSpent + outcome.inputTokens + outcome.outputTokens,
          Math.max(0, spend.tokensReserved - line.holdTokens),
        );
        const held = BigInt(batch.held_cost) - line.holdCost;
        this.#q(
          `UPDATE batches SET completed = completed + ?, failed = failed + ?, input_tokens = input_tokens + ?,
             output_tokens = output_tokens + ?, held_cost = ?, held_tokens = ? WHERE id = ?`,
        ).run(
          outcome.status === "done" ? 1 : 0,
          outcome.status === "failed" ? 1 : 0,
          outcome.inputTokens,
          outcome.outputTokens,
          (held < 0n ? 0n : held).toString(),
          Math.max(0, batch.held_tokens - line.holdTokens),
          line.batchId,
        );
        this.#q(
          `INSERT INTO usage (${usageColumns.join(", ")}) VALUES (${usageColumns.map(() => "?").join(", ")})`,
        ).run(...usageValues(usage, (b) => (b ? 1 : 0)));
        return true;
      })
      .immediate();
  }

  async lines(batchId: string, statuses?: readonly string[]): Promise<LineRecord[]> {
    const filter = statuses?.length ? `AND status IN (${statuses.map(() => "?").join(", ")})` : "";
    const rows = this.#db
      .prepare(`SELECT * FROM batch_lines WHERE batch_id = ? ${filter} ORDER BY idx`)
      .all(batchId, ...(statuses ?? [])) as LineRow[];
    return rows.map(lineFromRow);
  }

  async claimedCount(batchId: string): Promise<number> {
    const row = this.#q(
      "SELECT COUNT(*) AS n FROM batch_lines WHERE batch_id = ? AND status = 'claimed'",
    ).get(batchId) as { n: number };
    return row.n;
  }

  async cancel(batchId: string, now: number): Promise<BatchRecord | undefined> {
    this.#q(
      `UPDATE batches SET status = 'cancelling', cancelling_at = ? WHERE id = ? AND status IN ('validating', 'in_progress')`,
    ).run(now, batchId);
    return this.batch(batchId);
  }

  async finish(
    batchId: string,
    status: "completed" | "cancelled" | "expired",
    files: { output: FileRecord; error: FileRecord },
    now: number,
  ): Promise<BatchRecord | undefined> {
    this.#db
      .transaction(() => {
        const row = this.#q("SELECT * FROM batches WHERE id = ?").get(batchId) as BatchRow | undefined;
        if (!row || !["in_progress", "cancelling", "finalizing"].includes(row.status)) return;
        const batch = batchFromRow(row);
        const left = status === "completed" ? "cancelled" : status;
        this.#q(
          `UPDATE batch_lines SET status = ?, error = ?, completed_at = ?, claimed_by = NULL
           WHERE batch_id = ? AND status IN ('pending', 'claimed')`,
        ).run(left, JSON.stringify(unfinished(left)), now, batchId);
        // Whatever is still held (lines never run) goes back to the key.
        const spend = this.#spend(batch.keyId, batch.periodStart);
        const reserved = spend.costReserved - batch.heldCost;
        this.#q(
          "UPDATE key_spend SET cost_reserved = ?, tokens_reserved = ? WHERE key_id = ? AND period_start = ?",
        ).run(
          (reserved < 0n ? 0n : reserved).toString(),
          Math.max(0, spend.tokensReserved - batch.heldTokens),
          batch.keyId,
          batch.periodStart,
        );
        const insert = this.#q(
          `INSERT OR IGNORE INTO batch_files (${fileColumns.join(", ")}) VALUES (${fileColumns.map(() => "?").join(", ")})`,
        );
        insert.run(...fileValues(files.output));
        insert.run(...fileValues(files.error));
        const at = { completed: "completed_at", cancelled: "cancelled_at", expired: "expired_at" }[status];
        this.#q(
          `UPDATE batches SET status = ?, ${at} = ?, finalizing_at = COALESCE(finalizing_at, ?), held_cost = '0',
             held_tokens = 0, output_file_id = ?, error_file_id = ? WHERE id = ?`,
        ).run(status, now, now, files.output.id, files.error.id, batchId);
      })
      .immediate();
    return this.batch(batchId);
  }

  #spend(keyId: string, start: number): KeySpend {
    const r = this.#q("SELECT * FROM key_spend WHERE key_id = ? AND period_start = ?").get(keyId, start) as
      | { cost_spent: string; cost_reserved: string; tokens_spent: number; tokens_reserved: number }
      | undefined;
    if (!r) return emptySpend(start);
    return {
      periodStart: start,
      costSpent: BigInt(r.cost_spent),
      costReserved: BigInt(r.cost_reserved),
      tokensSpent: r.tokens_spent,
      tokensReserved: r.tokens_reserved,
    };
  }

  /** Newest first, after the cursor `after` (an id of the same table and key). */
  #page<R>(table: string, columns: string, keyId: string, page: Page, extra?: [string, unknown]): R[] {
    const where = ["key_id = ?"];
    const params: unknown[] = [keyId];
    if (extra) {
      where.push(extra[0]);
      params.push(extra[1]);
    }
    if (page.after) {
      where.push(`(created_at, id) < (SELECT created_at, id FROM ${table} WHERE id = ?)`);
      params.push(page.after);
    }
    params.push(page.limit);
    return this.#db
      .prepare(
        `SELECT ${columns} FROM ${table} WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...params) as R[];
  }

  #q(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
