/** One leaf as callers see it: the key, the value and the weight that the tree sums. */
export type SmstEntry = { key: Uint8Array; value: Uint8Array; weight: bigint };

/** A change to the tree, in the order it was made; a store replays them to rebuild the tree. */
export type SmstMutation = ({ op: "put" } & SmstEntry) | { op: "delete"; key: Uint8Array };

/**
 * Where a tree keeps its leaves. The tree itself lives in memory and is rebuilt on open by replaying
 * the store, so a store only has to remember mutations in order, not nodes.
 *
 * Contract: once the promise of `put` or `delete` resolves, that mutation is as durable as the store
 * promises (see its fsync policy) and will be replayed by `replay()` after a reopen, together with
 * every mutation made before it.
 *
 * @example
 * const tree = await Smst.open(await LogStore.open("/var/lib/decai/session-42.smst"));
 */
export interface SmstStore {
  /** The durable mutations, oldest first. */
  replay(): Iterable<SmstMutation>;
  /** Records that `key` now holds `value` with `weight`. */
  put(key: Uint8Array, value: Uint8Array, weight: bigint): Promise<void>;
  /** Records that `key` was removed. */
  delete(key: Uint8Array): Promise<void>;
  /** Makes every mutation so far durable, whatever the store's policy for single mutations. */
  flush(): Promise<void>;
  /** Flushes, then releases the store's resources. Further calls reject. */
  close(): Promise<void>;
}
