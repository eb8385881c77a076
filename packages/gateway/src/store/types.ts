import type { ReserveAmount } from "../budget.js";
import type { ApiKeyRecord, KeyLimits, KeySpend } from "../keys/types.js";
import type { UsageQuery, UsageRecord } from "../usage.js";

/** Budget and rate-window capacity held by one admitted request until it settles. */
export type Reservation = ReserveAmount & {
  id: string;
  keyId: string;
  /** The budget period it was taken from. */
  periodStart: number;
  /** Unix ms. */
  createdAt: number;
};

/** What a request really used, charged against the reservation's period. */
export type Settlement = { cost: bigint; tokens: number };

/**
 * Where a gateway keeps keys, budgets, rate windows and the usage log. `SqliteStore` serves one gateway;
 * `PostgresStore` lets several gateways behind a load balancer share keys and enforce the same budgets.
 *
 * Admission is exact under concurrency: `reserve` checks the budgets and rate limits and records the reservation
 * in one atomic step (a SQLite write transaction; a PostgreSQL transaction holding the key's row lock), so no
 * burst of parallel requests, on one gateway or many, can overspend.
 */
export interface GatewayStore {
  readonly kind: "sqlite" | "postgres";
  /** Adds a key (its hash, never the key). */
  insertKey(record: ApiKeyRecord): Promise<void>;
  key(id: string): Promise<ApiKeyRecord | undefined>;
  keyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first. */
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Changes a key's name or limits; `undefined` when there is no such key. */
  updateKey(id: string, change: { name?: string; limits?: KeyLimits }): Promise<ApiKeyRecord | undefined>;
  /** Revokes a key for good (idempotent: the first revocation time stays); `undefined` when there is no such key. */
  revokeKey(id: string, now: number): Promise<ApiKeyRecord | undefined>;
  /** The key's spend in the period containing `now`. */
  spend(keyId: string, now: number): Promise<KeySpend>;
  /**
   * Admits one request: under the store's lock, re-reads the key (refusing a revoked one), checks its budgets
   * and rate limits against what is spent and held, then holds `amount`. Throws the `GatewayError` refusal
   * (`budget_exceeded`, `rate_limit_exceeded`, `api_key_revoked`, `invalid_api_key`).
   */
  reserve(keyId: string, amount: ReserveAmount, now: number): Promise<Reservation>;
  /**
   * Releases a reservation, charges what was really used to its period and rate window, and appends the usage
   * row, atomically. Settling a reservation that `releaseStale` already dropped still charges and logs.
   */
  settle(reservation: Reservation, used: Settlement, usage: UsageRecord): Promise<void>;
  /** Appends a usage row for a request that held no reservation (refused before admission). */
  recordUsage(usage: UsageRecord): Promise<void>;
  /** Usage rows, newest first. */
  usage(query?: UsageQuery): Promise<UsageRecord[]>;
  /** Drops reservations made before `before` (left by a crashed gateway); returns how many. */
  releaseStale(before: number): Promise<number>;
  /** Resolves when the store answers (for `/health`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
