import { DIGEST_SIZE, INNER_PREFIX, LEAF_PREFIX } from "./encoding.js";
import { HASH_SIZE, hashValueBinary, sha256Binary } from "./hasher.js";

// The in-memory tree. Its shape is canonical, so the root depends only on the set of leaves:
// an empty subtree is `undefined`, a subtree holding one leaf is that leaf (lifted as high as it
// goes), and a subtree holding two or more leaves is an inner node at its exact depth, even when one
// side is empty (pokt's extension nodes store such runs compactly; they hash the same).
//
// Paths and hashes are 32-character binary strings (see sha256Binary), not Uint8Arrays: a million-leaf tree
// holds millions of them, and a string costs a fifth of the memory and no ArrayBuffer for the GC to track.

/** The hash of an empty subtree: 32 zero bytes. */
const ZERO_HASH = "\0".repeat(HASH_SIZE);

/**
 * A leaf. Immutable: an update replaces it, so its hash is cached for good. It holds its key and value,
 * or, over a store that can read them back (an SmstValueStore), only `ref` and the value's hash.
 */
export class Leaf {
  /** The node hash (binary string), once computed. */
  hash: string | undefined;
  #valueHash: string | undefined;

  constructor(
    /** sha256(key), binary string. */
    readonly path: string,
    /** The key, or undefined when the store keeps it (see `ref`). */
    readonly key: Uint8Array | undefined,
    /** The value, or undefined when the store keeps it (see `ref`). */
    readonly value: Uint8Array | undefined,
    readonly weight: bigint,
    /** Where the store keeps key and value, or -1 when the leaf holds them. */
    readonly ref: number = -1,
    /** sha256(value), binary string; computed when first needed if not given (inserts skip it). */
    valueHash?: string,
  ) {
    this.#valueHash = valueHash;
  }

  get sum(): bigint {
    return this.weight;
  }

  get count(): number {
    return 1;
  }

  /** sha256(value) as a binary string. */
  get valueHash(): string {
    this.#valueHash ??= hashValueBinary(this.value as Uint8Array);
    return this.#valueHash;
  }
}

/**
 * An inner node. `hash` is cached and cleared whenever a leaf below it changes; `sum` and `count`
 * are computed with it, so an update does no bigint arithmetic on its way down.
 */
export class Inner {
  hash: string | undefined;
  sum = 0n;
  count = 0;

  constructor(
    public left: TreeNode,
    public right: TreeNode,
  ) {}
}

/** A subtree: empty, one leaf, or an inner node. */
export type TreeNode = Leaf | Inner | undefined;

// Scratch preimages: crypto.hash reads its input synchronously, so one buffer each is enough.
const leafScratch = new Uint8Array(1 + 2 * HASH_SIZE + 16);
const leafView = new DataView(leafScratch.buffer);
leafScratch[0] = LEAF_PREFIX;
leafView.setUint32(1 + 2 * HASH_SIZE + 12, 1); // count
const innerScratch = new Uint8Array(1 + 2 * DIGEST_SIZE + 16);
const innerView = new DataView(innerScratch.buffer);
innerScratch[0] = INNER_PREFIX;

/**
 * The hash of a subtree (binary string), hashing only the nodes changed since it was last asked for;
 * an inner node's `sum` and `count` are up to date afterwards. See docs/encoding.md for the preimages.
 *
 * @example
 * const rootHash = hashOf(root);
 */
export function hashOf(node: TreeNode): string {
  if (node === undefined) return ZERO_HASH;
  if (node.hash !== undefined) return node.hash;
  if (node instanceof Leaf) {
    putBinary(leafScratch, 1, node.path);
    putBinary(leafScratch, 1 + HASH_SIZE, node.valueHash);
    leafView.setBigUint64(1 + 2 * HASH_SIZE, node.weight);
    node.hash = sha256Binary(leafScratch);
    return node.hash;
  }
  const { left, right } = node;
  const leftHash = hashOf(left);
  const rightHash = hashOf(right);
  // Both children are hashed (and so summed) now; the scratch is free again for this node.
  putBinary(innerScratch, 1, leftHash);
  putCounts(innerView, 1 + HASH_SIZE, left);
  putBinary(innerScratch, 1 + DIGEST_SIZE, rightHash);
  putCounts(innerView, 1 + DIGEST_SIZE + HASH_SIZE, right);
  node.sum = (left === undefined ? 0n : left.sum) + (right === undefined ? 0n : right.sum);
  node.count = (left === undefined ? 0 : left.count) + (right === undefined ? 0 : right.count);
  putCounts(innerView, 1 + 2 * DIGEST_SIZE, node);
  node.hash = sha256Binary(innerScratch);
  return node.hash;
}

/**
 * The 48-byte digest of a subtree: hash ‖ sum (uint64 BE) ‖ count (uint64 BE).
 *
 * @example
 * const siblingDigest = digestOf(node);
 */
export function digestOf(node: TreeNode): Uint8Array {
  const digest = new Uint8Array(DIGEST_SIZE);
  const hash = hashOf(node);
  for (let i = 0; i < HASH_SIZE; i++) digest[i] = hash.charCodeAt(i);
  putCounts(new DataView(digest.buffer), HASH_SIZE, node);
  return digest;
}

/**
 * The leaf at `path` (a binary string), if any.
 *
 * @example
 * const leaf = findLeaf(root, sha256Binary(key));
 */
export function findLeaf(root: TreeNode, path: string): Leaf | undefined {
  let node = root;
  for (let depth = 0; node instanceof Inner; depth++) node = pathBit(path, depth) ? node.right : node.left;
  return node !== undefined && node.path === path ? node : undefined;
}

/**
 * Inserts `leaf` into the tree rooted at `root`, replacing any leaf with the same path. Returns the
 * new root and the replaced leaf. Inner nodes on the way are updated in place and their hashes cleared.
 *
 * @example
 * ({ root } = insertLeaf(root, new Leaf(path, key, value, weight)));
 */
export function insertLeaf(root: TreeNode, leaf: Leaf): { root: TreeNode; replaced: Leaf | undefined } {
  let parent: Inner | undefined;
  let right = false;
  let node = root;
  let depth = 0;
  const { path } = leaf;
  for (; node instanceof Inner; depth++) {
    node.hash = undefined;
    parent = node;
    right = pathBit(path, depth) === 1;
    node = right ? node.right : node.left;
  }
  const replaced = node !== undefined && node.path === path ? node : undefined;
  const child = node === undefined || replaced ? leaf : split(node, leaf, depth);
  if (parent === undefined) return { root: child, replaced };
  if (right) parent.right = child;
  else parent.left = child;
  return { root, replaced };
}

/**
 * Removes the leaf at `path` from the tree rooted at `root`, lifting a leaf left alone in its subtree.
 * Returns the new root and the removed leaf (undefined, with the tree untouched, when there is none).
 *
 * @example
 * ({ root } = removeLeaf(root, sha256Binary(key)));
 */
export function removeLeaf(root: TreeNode, path: string): { root: TreeNode; removed: Leaf | undefined } {
  const removed = findLeaf(root, path);
  return { root: removed ? removeFound(root, 0, path) : root, removed };
}

/** Removes the leaf at `path`, which must be in the subtree. */
function removeFound(node: TreeNode, depth: number, path: string): TreeNode {
  if (!(node instanceof Inner)) return undefined;
  if (pathBit(path, depth)) node.right = removeFound(node.right, depth + 1, path);
  else node.left = removeFound(node.left, depth + 1, path);
  // A subtree left with a single leaf is that leaf; inner nodes with an inner child stay at their depth.
  if (node.left === undefined && !(node.right instanceof Inner)) return node.right;
  if (node.right === undefined && !(node.left instanceof Inner)) return node.left;
  node.hash = undefined;
  return node;
}

/**
 * The leaf whose path is closest to `path` (smallest XOR distance), and the digests of the siblings
 * met on the way down, top first (`undefined` for an empty sibling). At each depth the walk follows
 * `path`'s bit and takes the other side only when that subtree is empty, as pokt's ProveClosest does.
 *
 * @example
 * const { leaf, siblings } = closestLeaf(root, challengePath);
 */
export function closestLeaf(
  root: TreeNode,
  path: Uint8Array,
): { leaf: Leaf; siblings: (Uint8Array | undefined)[] } | undefined {
  const siblings: (Uint8Array | undefined)[] = [];
  let node = root;
  for (let depth = 0; node instanceof Inner; depth++) {
    const bit = ((path[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
    let [near, far] = bit ? [node.right, node.left] : [node.left, node.right];
    if (near === undefined) [near, far] = [far, near];
    siblings.push(far === undefined ? undefined : digestOf(far));
    node = near;
  }
  return node === undefined ? undefined : { leaf: node, siblings };
}

/**
 * Visits leaves in path order.
 *
 * @example
 * for (const leaf of leaves(root)) console.log(leaf.weight);
 */
export function* leaves(node: TreeNode): Generator<Leaf> {
  if (node === undefined) return;
  if (node instanceof Leaf) {
    yield node;
    return;
  }
  yield* leaves(node.left);
  yield* leaves(node.right);
}

/** Bit `depth` of a binary-string path, most significant bit of byte 0 first: 0 goes left, 1 goes right. */
function pathBit(path: string, depth: number): number {
  return (path.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1;
}

/** Two leaves in one subtree: an inner node where their paths part, above it a run of one-sided inner nodes. */
function split(a: Leaf, b: Leaf, depth: number): Inner {
  const at = firstDifferentBit(a.path, b.path, depth);
  let node = pathBit(b.path, at) ? new Inner(a, b) : new Inner(b, a);
  for (let d = at - 1; d >= depth; d--) {
    node = pathBit(b.path, d) ? new Inner(undefined, node) : new Inner(node, undefined);
  }
  return node;
}

function firstDifferentBit(a: string, b: string, from: number): number {
  for (let i = from >> 3; i < HASH_SIZE; i++) {
    const diff = (a.charCodeAt(i) ^ b.charCodeAt(i)) & (i === from >> 3 ? 0xff >> (from & 7) : 0xff);
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24;
  }
  throw new Error("unreachable: two different leaves share a path");
}

function putBinary(out: Uint8Array, at: number, binary: string): void {
  for (let i = 0; i < HASH_SIZE; i++) out[at + i] = binary.charCodeAt(i);
}

/** Writes a subtree's sum and count (uint64 BE each) at `at`; zeros for an empty one. */
function putCounts(view: DataView, at: number, node: TreeNode): void {
  view.setBigUint64(at, node === undefined ? 0n : node.sum);
  const count = node === undefined ? 0 : node.count;
  view.setUint32(at + 8, Math.floor(count / 0x1_0000_0000));
  view.setUint32(at + 12, count >>> 0);
}
