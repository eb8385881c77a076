import { DIGEST_SIZE, digestCount, MAX_UINT64, readUint64, writeUint64 } from "./encoding.js";
import { SmstError } from "./errors.js";
import { binaryToBytes, HASH_SIZE, PATH_BITS } from "./hasher.js";
import { closestLeaf, type Leaf, type TreeNode } from "./node.js";

/**
 * A compact closest proof (see docs/encoding.md): the proven leaf and the digests of its non-empty
 * siblings, with a bitmask saying at which depths those siblings sit.
 */
export type ClosestProof = {
  /** Path of the proven leaf (sha256 of its key). */
  leafPath: Uint8Array;
  /** sha256 of the leaf's value. */
  valueHash: Uint8Array;
  /** The leaf's weight (a uint64). */
  weight: bigint;
  /** Depth of the leaf in the compressed tree, 0 (the leaf is the root) to 256. */
  depth: number;
  /** 32 bytes; bit `d` (MSB of byte 0 first) is set iff the sibling at depth `d` is not empty. */
  bitmask: Uint8Array;
  /** 48-byte digests (hash ‖ sum ‖ count) of the non-empty siblings, deepest first. */
  siblings: Uint8Array[];
};

/**
 * Bytes of an encoded proof before its siblings.
 *
 * @example
 * const siblings = (bytes.length - PROOF_HEADER_SIZE) / 48;
 */
export const PROOF_HEADER_SIZE = 32 + 32 + 8 + 2 + 32;

/**
 * Builds the closest proof for `path` from a tree's root node; undefined for an empty tree.
 * Internal: callers use `Smst.proveClosest`.
 *
 * @example
 * const { leaf, proof } = compactProof(root, path) ?? fail("empty tree");
 */
export function compactProof(
  root: TreeNode,
  path: Uint8Array,
): { leaf: Leaf; proof: ClosestProof } | undefined {
  const found = closestLeaf(root, path);
  if (!found) return undefined;
  const { leaf, siblings: levels } = found;
  const bitmask = new Uint8Array(32);
  const siblings: Uint8Array[] = [];
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    const sibling = levels[depth];
    if (sibling === undefined) continue;
    bitmask[depth >> 3] = (bitmask[depth >> 3] as number) | (0x80 >> (depth & 7));
    siblings.push(sibling);
  }
  const depth = levels.length;
  return {
    leaf,
    proof: {
      leafPath: binaryToBytes(leaf.path),
      valueHash: binaryToBytes(leaf.valueHash),
      weight: leaf.weight,
      depth,
      bitmask,
      siblings,
    },
  };
}

/**
 * Encodes a proof in its canonical binary form, the one the Solidity verifier reads:
 * `leafPath (32) ‖ valueHash (32) ‖ weight (uint64 BE) ‖ depth (uint16 BE) ‖ bitmask (32) ‖ siblings (48 each)`.
 *
 * @example
 * const bytes = encodeClosestProof(tree.proveClosest(path).proof);
 */
export function encodeClosestProof(proof: ClosestProof): Uint8Array {
  const problem = shapeProblem(proof);
  if (problem)
    throw new SmstError(`cannot encode the proof: ${problem}`, "encode a proof made by Smst.proveClosest");
  const bytes = new Uint8Array(PROOF_HEADER_SIZE + DIGEST_SIZE * proof.siblings.length);
  bytes.set(proof.leafPath, 0);
  bytes.set(proof.valueHash, 32);
  writeUint64(bytes, 64, proof.weight);
  bytes[72] = proof.depth >> 8;
  bytes[73] = proof.depth & 0xff;
  bytes.set(proof.bitmask, 74);
  proof.siblings.forEach((sibling, i) => {
    bytes.set(sibling, PROOF_HEADER_SIZE + DIGEST_SIZE * i);
  });
  return bytes;
}

/**
 * Decodes a proof from its canonical binary form. Throws a {@link SmstError} saying what is wrong
 * for any other input, so that each proof has exactly one encoding.
 *
 * @example
 * const proof = decodeClosestProof(bytes);
 */
export function decodeClosestProof(bytes: Uint8Array): ClosestProof {
  if (!(bytes instanceof Uint8Array) || bytes.length < PROOF_HEADER_SIZE) {
    throw new SmstError(
      `a closest proof has at least ${PROOF_HEADER_SIZE} bytes`,
      "pass encodeClosestProof()'s output",
    );
  }
  if ((bytes.length - PROOF_HEADER_SIZE) % DIGEST_SIZE !== 0) {
    throw new SmstError(
      "a closest proof ends in whole 48-byte siblings",
      "pass encodeClosestProof()'s output",
    );
  }
  const siblings: Uint8Array[] = [];
  for (let at = PROOF_HEADER_SIZE; at < bytes.length; at += DIGEST_SIZE)
    siblings.push(bytes.slice(at, at + DIGEST_SIZE));
  const proof: ClosestProof = {
    leafPath: bytes.slice(0, 32),
    valueHash: bytes.slice(32, 64),
    weight: readUint64(bytes, 64),
    depth: ((bytes[72] as number) << 8) | (bytes[73] as number),
    bitmask: bytes.slice(74, 106),
    siblings,
  };
  const problem = shapeProblem(proof);
  if (problem)
    throw new SmstError(`malformed closest proof: ${problem}`, "pass encodeClosestProof()'s output");
  return proof;
}

/**
 * What makes `proof` malformed or non-canonical, or undefined when its shape is sound. Shape only:
 * whether it matches a root is for the verifier.
 *
 * @example
 * shapeProblem({ ...proof, depth: 300 }); // "depth 300 is outside [0, 256]"
 */
export function shapeProblem(proof: ClosestProof): string | undefined {
  const { leafPath, valueHash, weight, depth, bitmask, siblings } = proof;
  if (!isBytes(leafPath, HASH_SIZE) || !isBytes(valueHash, HASH_SIZE) || !isBytes(bitmask, 32)) {
    return "leafPath, valueHash and bitmask have 32 bytes each";
  }
  if (typeof weight !== "bigint" || weight < 0n || weight > MAX_UINT64) return "weight is not a uint64";
  if (!Number.isInteger(depth) || depth < 0 || depth > PATH_BITS) return `depth ${depth} is outside [0, 256]`;
  if (!Array.isArray(siblings)) return "siblings is not an array";
  let set = 0;
  for (let d = 0; d < PATH_BITS; d++) {
    if (!bitAt(bitmask, d)) continue;
    if (d >= depth) return `bitmask has bit ${d} set at or below the leaf's depth ${depth}`;
    set++;
  }
  if (set !== siblings.length) return `bitmask announces ${set} siblings, the proof has ${siblings.length}`;
  // In a compressed tree a leaf's own sibling is never empty, or the leaf would sit one level higher.
  if (depth > 0 && !bitAt(bitmask, depth - 1)) return "the leaf's sibling is empty, so the leaf is too deep";
  for (const sibling of siblings) {
    if (!isBytes(sibling, DIGEST_SIZE)) return "a sibling digest does not have 48 bytes";
    // Empty siblings are the bitmask's job: a listed sibling must hold at least one leaf.
    if (digestCount(sibling) === 0n) return "a listed sibling is empty";
  }
  return undefined;
}

/**
 * Bit `d` of a 32-byte bitmask, MSB of byte 0 first (the same order as path bits).
 *
 * @example
 * bitAt(proof.bitmask, proof.depth - 1); // true: a leaf's own sibling is never empty
 */
export function bitAt(bitmask: Uint8Array, d: number): boolean {
  return (((bitmask[d >> 3] as number) >> (7 - (d & 7))) & 1) === 1;
}

function isBytes(value: unknown, size: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === size;
}
