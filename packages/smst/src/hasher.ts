import { hash } from "node:crypto";

/**
 * Bytes in a sha256 digest, and so in a node hash, a path and a value hash.
 *
 * @example
 * sha256(new Uint8Array()).length === HASH_SIZE; // true
 */
export const HASH_SIZE = 32;

/**
 * Bits in a path: the tree is 256 levels deep before compression.
 *
 * @example
 * for (let depth = 0; depth < PATH_BITS; depth++) pathBit(path, depth);
 */
export const PATH_BITS = 256;

/**
 * sha256 of `data`, the one hash function of the tree (the EVM has it as the precompile at 0x02).
 * One-shot `crypto.hash` avoids the Hash object that `createHash` allocates per call.
 *
 * @example
 * sha256(new TextEncoder().encode("abc")); // ba7816bf...f20015ad
 */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = hash("sha256", data, "buffer");
  // A plain Uint8Array view (no copy): callers compare and serialise bytes, not Buffers.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

/**
 * The path of `key` in the tree: sha256(key). Hashing spreads keys uniformly, so the compressed tree
 * stays about log2(n) deep whatever keys callers choose.
 *
 * @example
 * const path = pathOf(relayHash); // 32 bytes
 */
export function pathOf(key: Uint8Array): Uint8Array {
  return sha256(key);
}

/**
 * The digest of a leaf's value that the leaf commits to: sha256(value).
 *
 * @example
 * const valueHash = hashValue(relayDigest); // 32 bytes
 */
export function hashValue(value: Uint8Array): Uint8Array {
  return sha256(value);
}
