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

/** A mutation replayed with where its record is (`ref`, puts only). Key and value are views: copy to keep. */
export type SmstRefMutation =
  | ({ op: "put"; ref: number } & SmstEntry)
  | { op: "delete"; key: Uint8Array; ref: number };

/**
 * A store that can read an entry back from where it stored it ({@link LogStore}). A tree over one keeps, per
 * leaf, only the path, the value's hash, the weight and that `ref`: a million-relay session tree does not
 * hold a million relays in memory, and a proof reads its one relay back. A tree over a plain
 * {@link SmstStore} keeps keys and values in memory.
 *
 * @example
 * const { ref, stored } = store.putRef(key, value, weight);
 * await stored;
 * store.readEntry(ref); // { key, value, weight }
 */
export interface SmstValueStore extends SmstStore {
  /**
   * Like `put`, and returns at once where the entry is: `ref` reads it back with `readEntry`, even before
   * `stored` resolves. Throws (instead of rejecting) when the store cannot take it, so a tree can stay as it was.
   */
  putRef(key: Uint8Array, value: Uint8Array, weight: bigint): { ref: number; stored: Promise<void> };
  /** `replay()` with each mutation's ref. Keys and values are only valid until the next step. */
  replayRefs(): Iterable<SmstRefMutation>;
  /** The entry that the put at `ref` stored (fresh copies). Throws when `ref` is not a put of this store. */
  readEntry(ref: number): SmstEntry;
}
