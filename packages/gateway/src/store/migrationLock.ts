/**
 * The PostgreSQL advisory lock under which every gateway schema migration runs (core store, batch, verification).
 * One lock for all: with one per module, two gateways starting together can each hold one while creating tables
 * (and foreign keys) across modules, and deadlock.
 *
 * @example
 * await client.query("SELECT pg_advisory_xact_lock($1)", [schemaMigrationLock]);
 */
export const schemaMigrationLock = 0x6465_6361;
