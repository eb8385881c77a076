import { createHash } from "node:crypto";
import type pg from "pg";
import { inTransaction } from "./inTransaction.js";

/**
 * The PostgreSQL advisory lock under which every gateway schema migration runs (core store, batch, verification).
 * One lock for all: with one per module, two gateways starting together can each hold one while creating tables
 * (and foreign keys) across modules, and deadlock.
 */
export const schemaMigrationLock = 0x6465_6361;

/**
 * Applies one module's `CREATE … IF NOT EXISTS` schema to a PostgreSQL database shared by many gateways, once
 * per version of its text. The applied digest is kept in `gateway_schema`, and a gateway that finds it current
 * runs no DDL at all: `CREATE INDEX IF NOT EXISTS` takes a SHARE lock on its table before it sees that the index
 * exists, so re-running the schema while other gateways write those tables can deadlock with them.
 *
 * @example
 * await migrateSchema(pool, "batch", postgresSchema);
 */
export async function migrateSchema(pool: pg.Pool, module: string, schema: string): Promise<void> {
  const digest = createHash("sha256").update(schema).digest("hex");
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [schemaMigrationLock]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS gateway_schema (module TEXT PRIMARY KEY, digest TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    );
    const { rows } = await client.query<{ digest: string }>(
      "SELECT digest FROM gateway_schema WHERE module = $1",
      [module],
    );
    if (rows[0]?.digest === digest) return;
    await client.query(schema);
    await client.query(
      `INSERT INTO gateway_schema (module, digest, applied_at) VALUES ($1, $2, $3)
       ON CONFLICT (module) DO UPDATE SET digest = EXCLUDED.digest, applied_at = EXCLUDED.applied_at`,
      [module, digest, Date.now()],
    );
  });
}
