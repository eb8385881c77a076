import { MAX_KEY_SIZE, MAX_UINT64, MAX_VALUE_SIZE } from "./encoding.js";
import { SmstError } from "./errors.js";
import { binaryToBytes, HASH_SIZE, hashValueBinary, sha256Binary } from "./hasher.js";
import { findLeaf, hashOf, insertLeaf, Leaf, leaves, removeLeaf, type TreeNode } from "./node.js";
import { type ClosestProof, compactProof } from "./proof.js";
import { encodeRoot, type SmstRoot } from "./root.js";
import type { SmstEntry, SmstStore, SmstValueStore } from "./store/types.js";

/** A leaf found by a closest proof: the entry plus its path. */
export type ClosestLeaf = SmstEntry & { path: Uint8Array };

/** What {@link Smst.proveClosest} returns: the leaf itself and the proof that it is the closest. */
export type ClosestResult = { leaf: ClosestLeaf; proof: ClosestProof };

/**
 * A sparse Merkle sum tree (the SMST of pokt-network/smt): keys map to a value and a uint64 weight,
 * every node commits to the sum of the weights and the number of leaves below it, and
 * {@link Smst.proveClosest} proves which leaf is closest to a random path.
 *
 * The tree lives in memory and caches node digests: an update hashes its key and walks one path;
 * `root()` and proofs hash only the nodes changed since they were last asked for. A store (see
 * {@link LogStore}) makes it durable: mutations are applied in memory at once and the promise that
 * update() and delete() return resolves when the store has them; should the store fail, the tree
 * is ahead of it, and reopening gets back to what is durable. Over a store that can read entries back
 * ({@link LogStore}), a leaf keeps only its path, value hash, weight and where the store has it, so a
 * tree of a million relays does not hold the relays: `get`, `entries` and proofs read them back.
 * `new Smst()` is a tree with no store: fastest, and gone with the process. Bytes the tree hands out
 * (values, keys, paths) are its own: read them, do not mutate them.
 *
 * @example
 * const tree = await Smst.open(await LogStore.open("session-42.smst"));
 * await tree.update(relayHash, relayDigest, 120n);
 * const { hash, sum, count } = tree.root();
 * const { proof } = tree.proveClosest(challengePath);
 * verifyClosest(tree.root(), challengePath, encodeClosestProof(proof)); // true
 */
export class Smst {
  #root: TreeNode;
  // Running totals: the overflow check and `size` must not wait for digests.
  #sum = 0n;
  #count = 0;
  #store: SmstStore | undefined;
  // The store again when it can read entries back: then leaves hold refs instead of keys and values.
  #values: SmstValueStore | undefined;
  #closed = false;

  /**
   * Opens a tree on `store`, rebuilding it by replaying the store's mutations.
   *
   * @example
   * const tree = await Smst.open(new MemoryStore());
   */
  static async open(store: SmstStore): Promise<Smst> {
    const tree = new Smst();
    if (isValueStore(store)) {
      // Keys and values are views into the store's read buffer: hash them, keep the ref.
      for (const mutation of store.replayRefs()) {
        if (mutation.op === "delete") tree.#remove(mutation.key);
        else {
          const { key, value, ref } = mutation;
          const weight = toWeight(mutation.weight);
          const path = sha256Binary(key);
          tree.#checkSum(path, weight);
          tree.#insert(new Leaf(path, undefined, undefined, weight, ref, hashValueBinary(value)));
        }
      }
      tree.#values = store;
    } else {
      for (const mutation of store.replay()) {
        if (mutation.op === "put") tree.#apply(mutation.key, mutation.value, toWeight(mutation.weight));
        else tree.#remove(mutation.key);
      }
    }
    tree.#store = store;
    return tree;
  }

  /**
   * Inserts `key` or replaces its value and weight. The tree changes before this returns; the
   * promise resolves once the store holds the change (at once without a store). Rejects, leaving
   * the tree as it was, when the tree's total weight would pass 2^64 - 1.
   *
   * @example
   * await tree.update(relayHash, relayDigest, 120n);
   */
  update(key: Uint8Array, value: Uint8Array, weight: bigint | number): Promise<void> {
    try {
      this.#assertOpen();
      checkBytes("key", key, MAX_KEY_SIZE);
      checkBytes("value", value, MAX_VALUE_SIZE);
      const w = toWeight(weight);
      if (this.#values) {
        // The store copies key and value into its log and can read them back: keep the ref, not the bytes.
        const path = sha256Binary(key);
        this.#checkSum(path, w);
        const valueHash = hashValueBinary(value);
        const { ref, stored } = this.#values.putRef(key, value, w);
        this.#insert(new Leaf(path, undefined, undefined, w, ref, valueHash));
        return stored;
      }
      // Copies (a Buffer's slice() would be a view): callers often reuse their buffers, and the tree keeps
      // these for get() and proofs.
      const k = new Uint8Array(key);
      const v = new Uint8Array(value);
      this.#apply(k, v, w);
      return this.#store ? this.#store.put(k, v, w) : Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes `key`. Resolves to whether it was there, once the store holds the change.
   *
   * @example
   * await tree.delete(relayHash); // true
   */
  delete(key: Uint8Array): Promise<boolean> {
    try {
      this.#assertOpen();
      checkBytes("key", key, MAX_KEY_SIZE);
      if (!this.#remove(key)) return Promise.resolve(false);
      return this.#store ? this.#store.delete(new Uint8Array(key)).then(() => true) : Promise.resolve(true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The value and weight stored at `key`, or undefined.
   *
   * @example
   * tree.get(relayHash); // { value: relayDigest, weight: 120n }
   */
  get(key: Uint8Array): { value: Uint8Array; weight: bigint } | undefined {
    const leaf = findLeaf(this.#root, sha256Binary(key));
    return leaf && { value: this.#entryOf(leaf).value, weight: leaf.weight };
  }

  /**
   * The root: hash, sum of weights, number of leaves. An empty tree has a zero hash.
   *
   * @example
   * const { hash, sum, count } = tree.root();
   */
  root(): SmstRoot {
    const root = this.#root;
    const hash = binaryToBytes(hashOf(root)); // brings an inner root's sum and count up to date too
    return { hash, sum: root?.sum ?? 0n, count: BigInt(root?.count ?? 0) };
  }

  /**
   * The root as its 48-byte digest: hash ‖ sum (uint64 BE) ‖ count (uint64 BE).
   *
   * @example
   * tree.rootBytes().length; // 48
   */
  rootBytes(): Uint8Array {
    return encodeRoot(this.root());
  }

  /**
   * Number of leaves.
   *
   * @example
   * new Smst().size; // 0
   */
  get size(): number {
    return this.#count;
  }

  /**
   * The leaf closest to `path` (the one whose path shares the longest prefix with it; ties cannot
   * happen, see docs/encoding.md) and a compact proof of it. Throws on an empty tree.
   *
   * @example
   * const { leaf, proof } = tree.proveClosest(challengePath);
   */
  proveClosest(path: Uint8Array): ClosestResult {
    checkBytes("path", path, HASH_SIZE, HASH_SIZE);
    const found = compactProof(this.#root, path);
    if (!found) {
      throw new SmstError(
        "cannot prove a closest leaf in an empty tree",
        "insert a leaf first, or skip the proof",
      );
    }
    const { leaf, proof } = found;
    const { key, value } = this.#entryOf(leaf);
    return { leaf: { key, value, weight: leaf.weight, path: proof.leafPath.slice() }, proof };
  }

  /**
   * The closest proof for `pathOf(key)`: a membership proof when the key is in the tree, a
   * non-membership proof otherwise (see verifyMembership / verifyNonMembership).
   *
   * @example
   * const { proof } = tree.prove(relayHash);
   */
  prove(key: Uint8Array): ClosestResult {
    return this.proveClosest(binaryToBytes(sha256Binary(key)));
  }

  /**
   * Every entry, in path order.
   *
   * @example
   * for (const { key, weight } of tree.entries()) console.log(key, weight);
   */
  *entries(): Generator<SmstEntry> {
    for (const leaf of leaves(this.#root)) yield this.#entryOf(leaf);
  }

  /**
   * Makes every mutation so far durable (fsyncs a `"batch"` log).
   *
   * @example
   * await tree.commit();
   */
  async commit(): Promise<void> {
    this.#assertOpen();
    await this.#store?.flush();
  }

  /**
   * Commits and closes the store. The tree refuses mutations afterwards; reads still work.
   *
   * @example
   * await tree.close();
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store?.close();
  }

  #apply(key: Uint8Array, value: Uint8Array, weight: bigint): void {
    const path = sha256Binary(key);
    this.#checkSum(path, weight);
    this.#insert(new Leaf(path, key, value, weight));
  }

  /** Throws when putting `weight` at `path` would take the total past a uint64. */
  #checkSum(path: string, weight: bigint): void {
    // Only a replaced leaf's weight can bring an overflowing total back in range.
    if (
      this.#sum + weight > MAX_UINT64 &&
      this.#sum - (findLeaf(this.#root, path)?.weight ?? 0n) + weight > MAX_UINT64
    ) {
      throw new SmstError(
        `weight ${weight} would take the tree's sum past 2^64 - 1`,
        "split the work across trees or lower the weights",
      );
    }
  }

  #insert(leaf: Leaf): void {
    const { root, replaced } = insertLeaf(this.#root, leaf);
    this.#root = root;
    if (replaced) this.#sum -= replaced.weight;
    else this.#count++;
    if (leaf.weight !== 0n) this.#sum += leaf.weight;
  }

  /** A leaf's key, value and weight: its own, or read back from the store. */
  #entryOf(leaf: Leaf): SmstEntry {
    if (leaf.key && leaf.value) return { key: leaf.key, value: leaf.value, weight: leaf.weight };
    return (this.#values as SmstValueStore).readEntry(leaf.ref);
  }

  #remove(key: Uint8Array): boolean {
    const { root, removed } = removeLeaf(this.#root, sha256Binary(key));
    if (!removed) return false;
    this.#root = root;
    this.#sum -= removed.weight;
    this.#count--;
    return true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SmstError("the tree is closed", "open it again with Smst.open()");
  }
}

function isValueStore(store: SmstStore): store is SmstValueStore {
  const s = store as Partial<SmstValueStore>;
  return (
    typeof s.putRef === "function" && typeof s.replayRefs === "function" && typeof s.readEntry === "function"
  );
}

function toWeight(weight: bigint | number): bigint {
  const w = typeof weight === "number" && Number.isSafeInteger(weight) ? BigInt(weight) : weight;
  if (typeof w !== "bigint" || w < 0n || w > MAX_UINT64) {
    throw new SmstError(`weight ${String(weight)} is not a uint64`, "pass an integer in [0, 2^64 - 1]");
  }
  return w;
}

function checkBytes(name: string, bytes: Uint8Array, max: number, min = 0): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > max || bytes.length < min) {
    const size = min === max ? `${max} bytes` : `at most ${max} bytes`;
    throw new SmstError(`${name} must be a Uint8Array of ${size}`, `pass a ${name} of ${size}`);
  }
}
