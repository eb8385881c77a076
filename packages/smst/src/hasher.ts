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

/**
 * sha256 of `data` as a 32-character binary string (one character per byte, codes 0-255). What the in-memory
 * tree keeps for paths and hashes: crypto.hash returns it without allocating a Buffer, V8 stores it in about
 * 48 bytes of heap (a Uint8Array costs over 200), and comparing two is one native call.
 *
 * @example
 * sha256Binary(key).charCodeAt(0) === sha256(key)[0]; // true
 */
export function sha256Binary(data: Uint8Array): string {
  return hash("sha256", data, "binary"); // "binary" is latin1: one char per byte
}

/**
 * The bytes of a binary string (see {@link sha256Binary}).
 *
 * @example
 * binaryToBytes(sha256Binary(key)); // equals sha256(key)
 */
export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * sha256(value) as a binary string (see {@link sha256Binary}): the value hash a leaf keeps.
 *
 * @example
 * binaryToBytes(hashValueBinary(value)); // equals hashValue(value)
 */
export function hashValueBinary(value: Uint8Array): string {
  return sha256Binary(value);
}
