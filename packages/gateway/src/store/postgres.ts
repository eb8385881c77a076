import { randomUUID } from "node:crypto";
import pg from "pg";
import { PostgresBatchStore } from "../batch/store.postgres.js";
import { emptySpend, periodStart, type ReserveAmount } from "../budget.js";
import type { ApiKeyRecord, KeyLimits, KeySpend } from "../keys/types.js";
import { type RateEvent, rateWindowMs } from "../ratelimit.js";
import { maxUsagePage, type UsageQuery, type UsageRecord } from "../usage.js";
import { inTransaction } from "./inTransaction.js";
import { migrateSchema } from "./migrateSchema.js";
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

// Payment-token amounts are NUMERIC(78,0) (any uint256). Every admission and settlement of a key holds that key's
// row lock (`SELECT … FOR UPDATE`), so gateways sharing the database serialise per key and never overspend.
const schema = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  limits JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE IF NOT EXISTS key_spend (
  key_id TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  cost_spent NUMERIC(78, 0) NOT NULL DEFAULT 0,
  cost_reserved NUMERIC(78, 0) NOT NULL DEFAULT 0,
  tokens_spent BIGINT NOT NULL DEFAULT 0,
  tokens_reserved BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, period_start)
);
CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  cost NUMERIC(78, 0) NOT NULL,
  tokens BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_created ON reservations (created_at);
CREATE TABLE IF NOT EXISTS rate_events (
  key_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  tokens BIGINT NOT NULL,
  reservation_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key_at ON rate_events (key_id, at);
CREATE INDEX IF NOT EXISTS rate_events_reservation ON rate_events (reservation_id);
CREATE TABLE IF NOT EXISTS usage (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  requested_model TEXT NOT NULL,
  model TEXT,
  supplier TEXT,
  stream BOOLEAN NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  ttft_ms DOUBLE PRECISION,
  latency_ms DOUBLE PRECISION NOT NULL,
  overhead_ms DOUBLE PRECISION NOT NULL,
  cost NUMERIC(78, 0) NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_created ON usage (created_at);
CREATE INDEX IF NOT EXISTS usage_key_created ON usage (key_id, created_at);
`;

type SpendRow = {
  period_start: string;
  cost_spent: string;
  cost_reserved: string;
  tokens_spent: string;
  tokens_reserved: string;
};

const spendFromRow = (r: SpendRow): KeySpend => ({
  periodStart: Number(r.period_start),
  costSpent: BigInt(r.cost_spent),
  costReserved: BigInt(r.cost_reserved),
  tokensSpent: Number(r.tokens_spent),
  tokensReserved: Number(r.tokens_reserved),
});

const insertUsageSql = `INSERT INTO usage (${usageColumns.join(", ")})
  VALUES (${usageColumns.map((_, i) => `$${i + 1}`).join(", ")})`;

/**
 * A store on PostgreSQL, for several gateway instances behind a load balancer: keys, budgets, rate windows and
 * the usage log are shared, and admission is exact across instances.
 *
 * @example
 * const store = await PostgresStore.connect({ connectionString: "postgres://gateway@db/gateway" });
 * const gateway = await Gateway.start({ store, upstream, adminToken });
 */
export class PostgresStore implements GatewayStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** The connection pool, for features that keep their own tables in the same database (e.g. verification). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /**
   * Connects (a pool of `max` connections, default 10) and creates the tables if they are missing.
   *
   * @example
   * const store = await PostgresStore.connect({ connectionString: process.env.DATABASE_URL });
   */
  static async connect(config: pg.PoolConfig): Promise<PostgresStore> {
    const pool = new pg.Pool({ max: 10, ...config });
    // An idle client that loses its server must not crash the process; the next query reports the failure.
    pool.on("error", () => {});
    const store = new PostgresStore(pool);
    try {
      await migrateSchema(pool, "core", schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async insertKey(record: ApiKeyRecord): Promise<void> {
    await this.#pool.query(
      "INSERT INTO api_keys (id, name, prefix, hash, limits, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [
        record.id,
        record.name,
        record.prefix,
        record.hash,
        limitsToStored(record.limits),
        record.createdAt,
        record.revokedAt,
      ],
    );
  }

  async key(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query<KeyRow>("SELECT * FROM api_keys WHERE id = $1", [id]);
    return rows[0] && keyFromRow(rows[0]);
  }

  async keyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query<KeyRow>("SELECT * FROM api_keys WHERE hash = $1", [hash]);
    return rows[0] && keyFromRow(rows[0]);
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#pool.query<KeyRow>("SELECT * FROM api_keys ORDER BY created_at, id");
    return rows.map(keyFromRow);
  }

  async updateKey(
    id: string,
    change: { name?: string; limits?: KeyLimits },
  ): Promise<ApiKeyRecord | undefined> {
    return this.#transaction(async (c) => {
      const { rows } = await c.query<KeyRow>("SELECT * FROM api_keys WHERE id = $1 FOR UPDATE", [id]);
      if (!rows[0]) return undefined;
      const next = { ...keyFromRow(rows[0]), ...change };
      await c.query("UPDATE api_keys SET name = $1, limits = $2 WHERE id = $3", [
        next.name,
        limitsToStored(next.limits),
        id,
      ]);
      return next;
    });
  }

  async revokeKey(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query<KeyRow>(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *",
      [now, id],
    );
    return rows[0] && keyFromRow(rows[0]);
  }

  async spend(keyId: string, now: number): Promise<KeySpend> {
    const key = await this.key(keyId);
    return this.#spend(this.#pool, keyId, periodStart(key?.limits.period ?? "none", now));
  }

  async reserve(keyId: string, amount: ReserveAmount, now: number): Promise<Reservation> {
    return this.#transaction(async (c) => {
      const { rows } = await c.query<KeyRow>("SELECT * FROM api_keys WHERE id = $1 FOR UPDATE", [keyId]);
      const key = rows[0] && keyFromRow(rows[0]);
      const start = periodStart(key?.limits.period ?? "none", now);
      const spend = await this.#spend(c, keyId, start);
      const rateLimited = keepsRateEvents(key);
      let events: RateEvent[] = [];
      if (rateLimited) {
        await c.query("DELETE FROM rate_events WHERE key_id = $1 AND at <= $2", [keyId, now - rateWindowMs]);
        const { rows } = await c.query<{ at: string; tokens: string }>(
          "SELECT at, tokens FROM rate_events WHERE key_id = $1",
          [keyId],
        );
        events = rows.map((e) => ({ at: Number(e.at), tokens: Number(e.tokens) }));
      }
      admit(key, spend, events, amount, now);
      const reservation: Reservation = {
        id: randomUUID(),
        keyId,
        periodStart: start,
        createdAt: now,
        ...amount,
      };
      const cost = amount.cost.toString();
      await c.query(
        `INSERT INTO key_spend (key_id, period_start, cost_reserved, tokens_reserved) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id, period_start) DO UPDATE SET
           cost_reserved = key_spend.cost_reserved + EXCLUDED.cost_reserved,
           tokens_reserved = key_spend.tokens_reserved + EXCLUDED.tokens_reserved`,
        [keyId, start, cost, amount.tokens],
      );
      await c.query(
        "INSERT INTO reservations (id, key_id, period_start, cost, tokens, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [reservation.id, keyId, start, cost, amount.tokens, now],
      );
      if (rateLimited) {
        await c.query(
          "INSERT INTO rate_events (key_id, at, tokens, reservation_id) VALUES ($1, $2, $3, $4)",
          [keyId, now, amount.tokens, reservation.id],
        );
      }
      return reservation;
    });
  }

  async settle(reservation: Reservation, used: Settlement, usage: UsageRecord): Promise<void> {
    await this.#transaction(async (c) => {
      // Same lock order as `reserve` (key row, then spend row), so the two never deadlock.
      await c.query("SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE", [reservation.keyId]);
      const held = await c.query<{ cost: string; tokens: string }>(
        "DELETE FROM reservations WHERE id = $1 RETURNING cost, tokens",
        [reservation.id],
      );
      const h = held.rows[0];
      await c.query(
        `INSERT INTO key_spend (key_id, period_start, cost_spent, tokens_spent) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id, period_start) DO UPDATE SET
           cost_spent = key_spend.cost_spent + EXCLUDED.cost_spent,
           tokens_spent = key_spend.tokens_spent + EXCLUDED.tokens_spent,
           cost_reserved = GREATEST(0, key_spend.cost_reserved - $5::numeric),
           tokens_reserved = GREATEST(0, key_spend.tokens_reserved - $6::bigint)`,
        [
          reservation.keyId,
          reservation.periodStart,
          used.cost.toString(),
          used.tokens,
          h?.cost ?? "0",
          h?.tokens ?? "0",
        ],
      );
      await c.query("UPDATE rate_events SET tokens = $1 WHERE reservation_id = $2", [
        used.tokens,
        reservation.id,
      ]);
      await c.query(
        insertUsageSql,
        usageValues(usage, (b) => b),
      );
    });
  }

  async recordUsage(usage: UsageRecord): Promise<void> {
    await this.#pool.query(
      insertUsageSql,
      usageValues(usage, (b) => b),
    );
  }

  async usage(query: UsageQuery = {}): Promise<UsageRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace("?", `$${params.length}`));
    };
    if (query.keyId !== undefined) add("key_id = ?", query.keyId);
    if (query.since !== undefined) add("created_at >= ?", query.since);
    if (query.until !== undefined) add("created_at < ?", query.until);
    params.push(Math.min(query.limit ?? 100, maxUsagePage));
    const { rows } = await this.#pool.query<UsageRow>(
      `SELECT ${usageColumns.join(", ")} FROM usage ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(usageFromRow);
  }

  async releaseStale(before: number): Promise<number> {
    return this.#transaction(async (c) => {
      // Events of keys whose rate limits were lifted are no longer swept by admission.
      await c.query("DELETE FROM rate_events WHERE at < $1", [before]);
      const { rows } = await c.query<{ key_id: string; period_start: string; cost: string; tokens: string }>(
        "DELETE FROM reservations WHERE created_at < $1 RETURNING key_id, period_start, cost, tokens",
        [before],
      );
      // Ordered updates: two instances releasing at once lock spend rows in the same order.
      rows.sort((a, b) =>
        a.key_id === b.key_id
          ? Number(a.period_start) - Number(b.period_start)
          : a.key_id < b.key_id
            ? -1
            : 1,
      );
      for (const r of rows) {
        await c.query(
          `UPDATE key_spend SET cost_reserved = GREATEST(0, cost_reserved - $1::numeric),
             tokens_reserved = GREATEST(0, tokens_reserved - $2::bigint)
           WHERE key_id = $3 AND period_start = $4`,
          [r.cost, r.tokens, r.key_id, r.period_start],
        );
      }
      return rows.length;
    });
  }

  async ping(): Promise<void> {
    await this.#pool.query("SELECT 1");
  }

  /** The batch jobs' store (`src/batch/`), in tables of its own in this database. */
  openBatchStore(): Promise<PostgresBatchStore> {
    return PostgresBatchStore.open(this.#pool);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #spend(c: pg.Pool | pg.PoolClient, keyId: string, start: number): Promise<KeySpend> {
    const { rows } = await c.query<SpendRow>(
      "SELECT * FROM key_spend WHERE key_id = $1 AND period_start = $2",
      [keyId, start],
    );
    return rows[0] ? spendFromRow(rows[0]) : emptySpend(start);
  }

  #transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, body);
  }
}
