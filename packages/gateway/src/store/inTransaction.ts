import type pg from "pg";

/**
 * Runs `body` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it throws. A
 * connection whose ROLLBACK fails is gone, and is dropped from the pool rather than reused.
 *
 * @example
 * const total = await inTransaction(pool, async (c) => (await c.query("SELECT 1 AS one")).rows[0].one);
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
