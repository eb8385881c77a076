import { digestCount, digestSum, MAX_KEY_SIZE, MAX_UINT64, MAX_VALUE_SIZE } from "./encoding.js";
import { SmstError } from "./errors.js";
import { HASH_SIZE, pathOf } from "./hasher.js";
import { digestOf, findLeaf, insertLeaf, Leaf, leaves, removeLeaf, type TreeNode } from "./node.js";
import { type ClosestProof, compactProof } from "./proof.js";
import { encodeRoot, type SmstRoot } from "./root.js";
import type { SmstEntry, SmstStore } from "./store/types.js";

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
 * is ahead of it, and reopening gets back to what is durable. `new Smst()` is a tree with no store:
 * fastest, and gone with the process. Bytes the tree hands out (values, keys, paths) are its own:
 * read them, do not mutate them.
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
  #closed = false;

  /**
   * Opens a tree on `store`, rebuilding it by replaying the store's mutations.
   *
   * @example
   * const tree = await Smst.open(new MemoryStore());
   */
  static async open(store: SmstStore): Promise<Smst> {
    const tree = new Smst();
    for (const mutation of store.replay()) {
      if (mutation.op === "put") tree.#apply(mutation.key, mutation.value, toWeight(mutation.weight));
      else tree.#remove(mutation.key);
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
      // Copies: callers often reuse their buffers, and the tree keeps these for get() and proofs.
      const k = key.slice();
      const v = value.slice();
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
      return this.#store ? this.#store.delete(key.slice()).then(() => true) : Promise.resolve(true);
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
    const leaf = findLeaf(this.#root, pathOf(key));
    return leaf && { value: leaf.value, weight: leaf.weight };
  }

  /**
   * The root: hash, sum of weights, number of leaves. An empty tree has a zero hash.
   *
   * @example
   * const { hash, sum, count } = tree.root();
   */
  root(): SmstRoot {
    const digest = digestOf(this.#root);
    return { hash: digest.slice(0, HASH_SIZE), sum: digestSum(digest), count: digestCount(digest) };
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
    return { leaf: { key: leaf.key, value: leaf.value, weight: leaf.weight, path: leaf.path }, proof };
  }

  /**
   * The closest proof for `pathOf(key)`: a membership proof when the key is in the tree, a
   * non-membership proof otherwise (see verifyMembership / verifyNonMembership).
   *
   * @example
   * const { proof } = tree.prove(relayHash);
   */
  prove(key: Uint8Array): ClosestResult {
    return this.proveClosest(pathOf(key));
  }

  /**
   * Every entry, in path order.
   *
   * @example
   * for (const { key, weight } of tree.entries()) console.log(key, weight);
   */
  *entries(): Generator<SmstEntry> {
    for (const leaf of leaves(this.#root)) yield { key: leaf.key, value: leaf.value, weight: leaf.weight };
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
    const path = pathOf(key);
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
    const { root, replaced } = insertLeaf(this.#root, new Leaf(path, key, value, weight));
    this.#root = root;
    if (replaced) this.#sum -= replaced.weight;
    else this.#count++;
    if (weight !== 0n) this.#sum += weight;
  }

  #remove(key: Uint8Array): boolean {
    const { root, removed } = removeLeaf(this.#root, pathOf(key));
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
