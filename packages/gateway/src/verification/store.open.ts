import { PostgresStore } from "../store/postgres.js";
import { SqliteStore } from "../store/sqlite.js";
import type { GatewayStore } from "../store/types.js";
import { MemoryVerificationStore, type VerificationStore } from "./store.js";
import { PostgresVerificationStore } from "./store.postgres.js";
import { SqliteVerificationStore } from "./store.sqlite.js";

/**
 * The verification store that lives next to a gateway's store: its tables in the same SQLite file or PostgreSQL
 * database; in memory for any other store.
 *
 * @example
 * const store = SqliteStore.open(".decai/gateway.sqlite");
 * const verifier = await Verifier.create({ store: await openVerificationStore(store), references, transport });
 */
export async function openVerificationStore(store: GatewayStore): Promise<VerificationStore> {
  if (store instanceof SqliteStore) return new SqliteVerificationStore(store.database);
  if (store instanceof PostgresStore) return PostgresVerificationStore.open(store.pool);
  return new MemoryVerificationStore();
}
