import { DIGEST_SIZE, MAX_UINT64, readUint64, writeUint64 } from "./encoding.js";
import { SmstError } from "./errors.js";
import { HASH_SIZE } from "./hasher.js";

/**
 * What a claim commits on-chain: the root hash, the sum of all weights and the number of leaves.
 * An empty tree has a zero hash, sum 0 and count 0.
 */
export type SmstRoot = {
  /** 32-byte root hash. */
  hash: Uint8Array;
  /** Sum of the leaves' weights (a uint64). */
  sum: bigint;
  /** Number of leaves (a uint64). */
  count: bigint;
};

/**
 * Encodes a root as its 48-byte digest: hash ‖ sum (uint64 BE) ‖ count (uint64 BE).
 *
 * @example
 * encodeRoot(tree.root()); // Uint8Array(48)
 */
export function encodeRoot(root: SmstRoot): Uint8Array {
  if (root.hash.length !== HASH_SIZE) {
    throw new SmstError(`root hash has ${root.hash.length} bytes`, `pass the 32-byte hash from Smst.root()`);
  }
  for (const [name, value] of [
    ["sum", root.sum],
    ["count", root.count],
  ] as const) {
    if (value < 0n || value > MAX_UINT64) {
      throw new SmstError(
        `root ${name} ${value} is not a uint64`,
        "pass the root exactly as Smst.root() made it",
      );
    }
  }
  const bytes = new Uint8Array(DIGEST_SIZE);
  bytes.set(root.hash);
  writeUint64(bytes, HASH_SIZE, root.sum);
  writeUint64(bytes, HASH_SIZE + 8, root.count);
  return bytes;
}

/**
 * Decodes a 48-byte root digest (see {@link encodeRoot}).
 *
 * @example
 * decodeRoot(encodeRoot(root)).sum === root.sum; // true
 */
export function decodeRoot(bytes: Uint8Array): SmstRoot {
  if (bytes.length !== DIGEST_SIZE) {
    throw new SmstError(
      `an encoded root has 48 bytes, got ${bytes.length}`,
      "pass the output of encodeRoot()",
    );
  }
  return {
    hash: bytes.slice(0, HASH_SIZE),
    sum: readUint64(bytes, HASH_SIZE),
    count: readUint64(bytes, HASH_SIZE + 8),
  };
}
