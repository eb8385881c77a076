import {
  bytesEqual,
  digestCount,
  digestSum,
  innerDigest,
  leafDigest,
  MAX_UINT64,
  PLACEHOLDER,
  pathBit,
} from "./encoding.js";
import { HASH_SIZE, hashValue, pathOf } from "./hasher.js";
import { bitAt, type ClosestProof, decodeClosestProof, shapeProblem } from "./proof.js";
import { decodeRoot, type SmstRoot } from "./root.js";

/**
 * True when `proof` shows a leaf in the tree with root `root` and that no other leaf of that tree is
 * closer to `path` (smaller XOR distance, i.e. a longer common prefix). Never throws: malformed,
 * non-canonical or mismatched input gives false.
 *
 * Closeness needs no extra data: at every depth where the leaf's path leaves `path`, the sibling on
 * `path`'s side must be empty, i.e. `(path XOR leafPath) AND bitmask == 0`.
 *
 * @example
 * verifyClosest(tree.root(), challengePath, encodeClosestProof(proof)); // true
 */
export function verifyClosest(
  root: SmstRoot | Uint8Array,
  path: Uint8Array,
  proof: ClosestProof | Uint8Array,
): boolean {
  try {
    const r = root instanceof Uint8Array ? decodeRoot(root) : root;
    const p = proof instanceof Uint8Array ? decodeClosestProof(proof) : proof;
    if (!(path instanceof Uint8Array) || path.length !== HASH_SIZE || shapeProblem(p)) return false;
    if (!(r.hash instanceof Uint8Array) || r.hash.length !== HASH_SIZE) return false;
    for (let i = 0; i < 32; i++) {
      if ((((path[i] as number) ^ (p.leafPath[i] as number)) & (p.bitmask[i] as number)) !== 0) return false;
    }
    let digest = leafDigest(p.leafPath, p.valueHash, p.weight);
    let sum = p.weight;
    let count = 1n;
    let next = 0;
    for (let depth = p.depth - 1; depth >= 0; depth--) {
      const sibling = bitAt(p.bitmask, depth) ? (p.siblings[next++] as Uint8Array) : PLACEHOLDER;
      sum += digestSum(sibling);
      count += digestCount(sibling);
      if (sum > MAX_UINT64 || count > MAX_UINT64) return false;
      digest = pathBit(p.leafPath, depth)
        ? innerDigest(sibling, digest, sum, count)
        : innerDigest(digest, sibling, sum, count);
    }
    return bytesEqual(digest.subarray(0, HASH_SIZE), r.hash) && sum === r.sum && count === r.count;
  } catch {
    return false;
  }
}

/**
 * True when `proof` shows that `key` holds `value` with `weight` in the tree with root `root`.
 * Never throws.
 *
 * @example
 * verifyMembership(tree.root(), key, value, 120n, encodeClosestProof(tree.prove(key).proof)); // true
 */
export function verifyMembership(
  root: SmstRoot | Uint8Array,
  key: Uint8Array,
  value: Uint8Array,
  weight: bigint,
  proof: ClosestProof | Uint8Array,
): boolean {
  try {
    const p = proof instanceof Uint8Array ? decodeClosestProof(proof) : proof;
    const path = pathOf(key);
    return (
      bytesEqual(p.leafPath, path) &&
      bytesEqual(p.valueHash, hashValue(value)) &&
      p.weight === weight &&
      verifyClosest(root, path, p)
    );
  } catch {
    return false;
  }
}

/**
 * True when `proof` shows that `key` is not in the tree with root `root`: the closest leaf to its
 * path is another one. Never throws.
 *
 * @example
 * verifyNonMembership(tree.root(), absentKey, encodeClosestProof(tree.prove(absentKey).proof)); // true
 */
export function verifyNonMembership(
  root: SmstRoot | Uint8Array,
  key: Uint8Array,
  proof: ClosestProof | Uint8Array,
): boolean {
  try {
    const p = proof instanceof Uint8Array ? decodeClosestProof(proof) : proof;
    const path = pathOf(key);
    return !bytesEqual(p.leafPath, path) && verifyClosest(root, path, p);
  } catch {
    return false;
  }
}
