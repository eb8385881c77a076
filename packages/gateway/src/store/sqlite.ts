import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SqliteBatchStore } from "../batch/store.sqlite.js";
import { emptySpend, periodStart, type ReserveAmount } from "../budget.js";
import type { ApiKeyRecord, KeyLimits, KeySpend } from "../keys/types.js";
import { type RateEvent, rateWindowMs } from "../ratelimit.js";
import { maxUsagePage, type UsageQuery, type UsageRecord } from "../usage.js";
import {
  admit,
  type KeyRow,
  keepsRateEvents,
  keyFromRow,
  limitsToStored,
  type UsageRow,
  usageColumns,
  usageFromRow,
  usageValues,
} from "./shared.js";
import type { GatewayStore, Reservation, Settlement } from "./types.js";

// Payment-token amounts overflow SQLite's 64-bit integers (1e18 base units is one token), so they are decimal TEXT
// and added up in JS: safe, because every read-modify-write runs inside one IMMEDIATE (write-locked) transaction.
const schema = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  limits TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS key_spend (
  key_id TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  cost_spent TEXT NOT NULL DEFAULT '0',
  cost_reserved TEXT NOT NULL DEFAULT '0',
  tokens_spent INTEGER NOT NULL DEFAULT 0,
  tokens_reserved INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, period_start)
);
CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  cost TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_created ON reservations (created_at);
CREATE TABLE IF NOT EXISTS rate_events (
  key_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  reservation_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key_at ON rate_events (key_id, at);
CREATE INDEX IF NOT EXISTS rate_events_reservation ON rate_events (reservation_id);
CREATE TABLE IF NOT EXISTS usage (
  id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  requested_model TEXT NOT NULL,
  model TEXT,
  supplier TEXT,
  stream INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  ttft_ms REAL,
  latency_ms REAL NOT NULL,
  overhead_ms REAL NOT NULL,
  cost TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_created ON usage (created_at);
CREATE INDEX IF NOT EXISTS usage_key_created ON usage (key_id, created_at);
`;

type SpendRow = {
  period_start: number;
  cost_spent: string;
  cost_reserved: string;
  tokens_spent: number;
  tokens_reserved: number;
};

const spendFromRow = (r: SpendRow): KeySpend => ({
  periodStart: r.period_start,
  costSpent: BigInt(r.cost_spent),
  costReserved: BigInt(r.cost_reserved),
  tokensSpent: r.tokens_spent,
  tokensReserved: r.tokens_reserved,
});

/**
 * The default store: one SQLite file (WAL mode) via better-sqlite3, for a single gateway instance. Every call is
 * synchronous underneath, and admission runs in an IMMEDIATE transaction, so it is exact even if another process
 * opens the same file.
 *
 * @example
 * const store = SqliteStore.open(".decai/gateway.sqlite"); // or ":memory:" in tests
 * const gateway = await Gateway.start({ store, upstream, adminToken });
 */
export class SqliteStore implements GatewayStore {
  readonly kind = "sqlite";
  readonly #db: Database.Database;
  readonly #insertUsage: Database.Statement;
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database) {
    this.#db = db;
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.exec(schema);
    this.#insertUsage = this.#q(
      `INSERT INTO usage (${usageColumns.join(", ")}) VALUES (${usageColumns.map(() => "?").join(", ")})`,
    );
  }

  /**
   * Opens (creating it and its folder if needed) the database at `path`; `":memory:"` for a throwaway one.
   *
   * @example
   * const store = SqliteStore.open(":memory:");
   */
  static open(path: string): SqliteStore {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    return new SqliteStore(new Database(path));
  }

  /** The database handle, for features that keep their own tables in the same file (e.g. verification). */
  get database(): Database.Database {
    return this.#db;
  }

  async insertKey(record: ApiKeyRecord): Promise<void> {
    this.#q(
      "INSERT INTO api_keys (id, name, prefix, hash, limits, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      record.id,
      record.name,
      record.prefix,
      record.hash,
      limitsToStored(record.limits),
      record.createdAt,
      record.revokedAt,
    );
  }

  async key(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#key(id);
  }

  async keyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#q("SELECT * FROM api_keys WHERE hash = ?").get(hash) as KeyRow | undefined;
    return row && keyFromRow(row);
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const rows = this.#q("SELECT * FROM api_keys ORDER BY created_at, id").all() as KeyRow[];
    return rows.map(keyFromRow);
  }

  async updateKey(
    id: string,
    change: { name?: string; limits?: KeyLimits },
  ): Promise<ApiKeyRecord | undefined> {
    return this.#db.transaction(() => {
      const current = this.#key(id);
      if (!current) return undefined;
      const next = { ...current, ...change };
      this.#q("UPDATE api_keys SET name = ?, limits = ? WHERE id = ?").run(
        next.name,
        limitsToStored(next.limits),
        id,
      );
      return next;
    })();
  }

  async revokeKey(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    this.#q("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").run(now, id);
    return this.#key(id);
  }

  async spend(keyId: string, now: number): Promise<KeySpend> {
    const key = this.#key(keyId);
    const start = periodStart(key?.limits.period ?? "none", now);
    return this.#spend(keyId, start);
  }

  async reserve(keyId: string, amount: ReserveAmount, now: number): Promise<Reservation> {
    const db = this.#db;
    return db
      .transaction(() => {
        const key = this.#key(keyId);
        const start = periodStart(key?.limits.period ?? "none", now);
        const spend = this.#spend(keyId, start);
        const rateLimited = keepsRateEvents(key);
        if (rateLimited)
          this.#q("DELETE FROM rate_events WHERE key_id = ? AND at <= ?").run(keyId, now - rateWindowMs);
        const events = rateLimited
          ? (this.#q("SELECT at, tokens FROM rate_events WHERE key_id = ?").all(keyId) as RateEvent[])
          : [];
        admit(key, spend, events, amount, now);
        const reservation: Reservation = {
          id: randomUUID(),
          keyId,
          periodStart: start,
          createdAt: now,
          ...amount,
        };
        this.#q(
          `INSERT INTO key_spend (key_id, period_start, cost_reserved, tokens_reserved) VALUES (?, ?, ?, ?)
         ON CONFLICT (key_id, period_start) DO UPDATE SET cost_reserved = excluded.cost_reserved,
           tokens_reserved = excluded.tokens_reserved`,
        ).run(
          keyId,
          start,
          (spend.costReserved + amount.cost).toString(),
          spend.tokensReserved + amount.tokens,
        );
        this.#q(
          "INSERT INTO reservations (id, key_id, period_start, cost, tokens, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(reservation.id, keyId, start, amount.cost.toString(), amount.tokens, now);
        if (rateLimited) {
          this.#q("INSERT INTO rate_events (key_id, at, tokens, reservation_id) VALUES (?, ?, ?, ?)").run(
            keyId,
            now,
            amount.tokens,
            reservation.id,
          );
        }
        return reservation;
      })
      .immediate();
  }

  async settle(reservation: Reservation, used: Settlement, usage: UsageRecord): Promise<void> {
    const db = this.#db;
    db.transaction(() => {
      const held = this.#q("DELETE FROM reservations WHERE id = ? RETURNING cost, tokens").get(
        reservation.id,
      ) as { cost: string; tokens: number } | undefined;
      const spend = this.#spend(reservation.keyId, reservation.periodStart);
      const costReserved = spend.costReserved - (held ? BigInt(held.cost) : 0n);
      const tokensReserved = spend.tokensReserved - (held?.tokens ?? 0);
      this.#q(
        `INSERT INTO key_spend (key_id, period_start, cost_spent, cost_reserved, tokens_spent, tokens_reserved)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key_id, period_start) DO UPDATE SET cost_spent = excluded.cost_spent,
           cost_reserved = excluded.cost_reserved, tokens_spent = excluded.tokens_spent,
           tokens_reserved = excluded.tokens_reserved`,
      ).run(
        reservation.keyId,
        reservation.periodStart,
        (spend.costSpent + used.cost).toString(),
        (costReserved < 0n ? 0n : costReserved).toString(),
        spend.tokensSpent + used.tokens,
        Math.max(0, tokensReserved),
      );
      this.#q("UPDATE rate_events SET tokens = ? WHERE reservation_id = ?").run(used.tokens, reservation.id);
      this.#insertUsage.run(...usageValues(usage, (b) => (b ? 1 : 0)));
    }).immediate();
  }

  async recordUsage(usage: UsageRecord): Promise<void> {
    this.#insertUsage.run(...usageValues(usage, (b) => (b ? 1 : 0)));
  }

  async usage(query: UsageQuery = {}): Promise<UsageRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.keyId !== undefined) {
      where.push("key_id = ?");
      params.push(query.keyId);
    }
    if (query.since !== undefined) {
      where.push("created_at >= ?");
      params.push(query.since);
    }
    if (query.until !== undefined) {
      where.push("created_at < ?");
      params.push(query.until);
    }
    params.push(Math.min(query.limit ?? 100, maxUsagePage));
    const rows = this.#q(
      `SELECT * FROM usage ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(...params) as UsageRow[];
    return rows.map(usageFromRow);
  }

  async releaseStale(before: number): Promise<number> {
    const db = this.#db;
    return db
      .transaction(() => {
        // Events of keys whose rate limits were lifted are no longer swept by admission.
        this.#q("DELETE FROM rate_events WHERE at < ?").run(before);
        const stale = this.#q(
          "DELETE FROM reservations WHERE created_at < ? RETURNING key_id, period_start, cost, tokens",
        ).all(before) as { key_id: string; period_start: number; cost: string; tokens: number }[];
        for (const r of stale) {
          const spend = this.#spend(r.key_id, r.period_start);
          const cost = spend.costReserved - BigInt(r.cost);
          this.#q(
            "UPDATE key_spend SET cost_reserved = ?, tokens_reserved = ? WHERE key_id = ? AND period_start = ?",
          ).run(
            (cost < 0n ? 0n : cost).toString(),
            Math.max(0, spend.tokensReserved - r.tokens),
            r.key_id,
            r.period_start,
          );
        }
        return stale.length;
      })
      .immediate();
  }

  async ping(): Promise<void> {
    this.#q("SELECT 1").get();
  }

  /** The batch jobs' store (`src/batch/`), in tables of its own in this database. */
  async openBatchStore(): Promise<SqliteBatchStore> {
    return new SqliteBatchStore(this.#db);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  /** A prepared statement, compiled once. */
  #q(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #key(id: string): ApiKeyRecord | undefined {
    const row = this.#q("SELECT * FROM api_keys WHERE id = ?").get(id) as KeyRow | undefined;
    return row && keyFromRow(row);
  }

  #spend(keyId: string, start: number): KeySpend {
    const row = this.#q("SELECT * FROM key_spend WHERE key_id = ? AND period_start = ?").get(keyId, start) as
      | SpendRow
      | undefined;
    return row ? spendFromRow(row) : emptySpend(start);
  }
}
