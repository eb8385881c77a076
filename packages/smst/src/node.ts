import { innerDigest, leafDigest, PLACEHOLDER, pathBit } from "./encoding.js";
import { hashValue } from "./hasher.js";

// The in-memory tree. Its shape is canonical, so the root depends only on the set of leaves:
// an empty subtree is `undefined`, a subtree holding one leaf is that leaf (lifted as high as it
// goes), and a subtree holding two or more leaves is an inner node at its exact depth, even when one
// side is empty (pokt's extension nodes store such runs compactly; they hash the same).

/** A leaf. Immutable: an update replaces it, so its digest is cached for good. */
export class Leaf {
  #valueHash: Uint8Array | undefined;
  digest: Uint8Array | undefined;

  constructor(
    readonly path: Uint8Array,
    readonly key: Uint8Array,
    readonly value: Uint8Array,
    readonly weight: bigint,
  ) {}

  get sum(): bigint {
    return this.weight;
  }

  get count(): bigint {
    return 1n;
  }

  /** sha256(value), computed when first needed, so inserts on the hot path skip it. */
  get valueHash(): Uint8Array {
    this.#valueHash ??= hashValue(this.value);
    return this.#valueHash;
  }
}

/**
 * An inner node. `digest` is cached and cleared whenever a leaf below it changes; `sum` and `count`
 * are computed with it, so an update does no bigint arithmetic on its way down.
 */
export class Inner {
  digest: Uint8Array | undefined;
  sum = 0n;
  count = 0n;

  constructor(
    public left: TreeNode,
    public right: TreeNode,
  ) {}
}

/** A subtree: empty, one leaf, or an inner node. */
export type TreeNode = Leaf | Inner | undefined;

/**
 * The 48-byte digest of a subtree, hashing only the nodes changed since it was last asked for.
 *
 * @example
 * const rootDigest = digestOf(root);
 */
export function digestOf(node: TreeNode): Uint8Array {
  if (node === undefined) return PLACEHOLDER;
  if (node.digest) return node.digest;
  if (node instanceof Leaf) {
    node.digest = leafDigest(node.path, node.valueHash, node.weight);
    return node.digest;
  }
  const left = digestOf(node.left);
  const right = digestOf(node.right);
  node.sum = (node.left?.sum ?? 0n) + (node.right?.sum ?? 0n);
  node.count = (node.left?.count ?? 0n) + (node.right?.count ?? 0n);
  node.digest = innerDigest(left, right, node.sum, node.count);
  return node.digest;
}

/**
 * The leaf at `path`, if any.
 *
 * @example
 * const leaf = findLeaf(root, pathOf(key));
 */
export function findLeaf(root: TreeNode, path: Uint8Array): Leaf | undefined {
  let node = root;
  for (let depth = 0; node instanceof Inner; depth++) node = pathBit(path, depth) ? node.right : node.left;
  return node !== undefined && samePath(node.path, path) ? node : undefined;
}

/**
 * Inserts `leaf` into the tree rooted at `root`, replacing any leaf with the same path. Returns the
 * new root and the replaced leaf. Inner nodes on the way are updated in place and their digests cleared.
 *
 * @example
 * ({ root } = insertLeaf(root, new Leaf(path, key, value, weight)));
 */
export function insertLeaf(root: TreeNode, leaf: Leaf): { root: TreeNode; replaced: Leaf | undefined } {
  let parent: Inner | undefined;
  let right = false;
  let node = root;
  let depth = 0;
  for (; node instanceof Inner; depth++) {
    node.digest = undefined;
    parent = node;
    right = pathBit(leaf.path, depth) === 1;
    node = right ? node.right : node.left;
  }
  const replaced = node !== undefined && samePath(node.path, leaf.path) ? node : undefined;
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
 * ({ root } = removeLeaf(root, pathOf(key)));
 */
export function removeLeaf(root: TreeNode, path: Uint8Array): { root: TreeNode; removed: Leaf | undefined } {
  const removed = findLeaf(root, path);
  return { root: removed ? removeFound(root, 0, path) : root, removed };
}

/** Removes the leaf at `path`, which must be in the subtree. */
function removeFound(node: TreeNode, depth: number, path: Uint8Array): TreeNode {
  if (!(node instanceof Inner)) return undefined;
  if (pathBit(path, depth)) node.right = removeFound(node.right, depth + 1, path);
  else node.left = removeFound(node.left, depth + 1, path);
  // A subtree left with a single leaf is that leaf; inner nodes with an inner child stay at their depth.
  if (node.left === undefined && !(node.right instanceof Inner)) return node.right;
  if (node.right === undefined && !(node.left instanceof Inner)) return node.left;
  node.digest = undefined;
  return node;
}

/**
 * The leaf whose path is closest to `path` (smallest XOR distance), and the digests of the siblings
 * met on the way down, top first (`undefined` for an empty sibling). At each depth the walk follows
 * `path`'s bit and takes the other side only when that subtree is empty, as pokt's ProveClosest does.
 *
 * @example
 * const { leaf, siblings } = closestLeaf(root, path);
 */
export function closestLeaf(
  root: TreeNode,
  path: Uint8Array,
): { leaf: Leaf; siblings: (Uint8Array | undefined)[] } | undefined {
  const siblings: (Uint8Array | undefined)[] = [];
  let node = root;
  for (let depth = 0; node instanceof Inner; depth++) {
    let [near, far] = pathBit(path, depth) ? [node.right, node.left] : [node.left, node.right];
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

/** Two leaves in one subtree: an inner node where their paths part, above it a run of one-sided inner nodes. */
function split(a: Leaf, b: Leaf, depth: number): Inner {
  const at = firstDifferentBit(a.path, b.path, depth);
  let node = pathBit(b.path, at) ? new Inner(a, b) : new Inner(b, a);
  for (let d = at - 1; d >= depth; d--) {
    node = pathBit(b.path, d) ? new Inner(undefined, node) : new Inner(node, undefined);
  }
  return node;
}

function firstDifferentBit(a: Uint8Array, b: Uint8Array, from: number): number {
  for (let i = from >> 3; i < a.length; i++) {
    const diff = ((a[i] as number) ^ (b[i] as number)) & (i === from >> 3 ? 0xff >> (from & 7) : 0xff);
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24;
  }
  throw new Error("unreachable: two different leaves share a path");
}

function samePath(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
