import { HASH_SIZE, sha256 } from "./hasher.js";

/**
 * Prefix of a leaf preimage; distinct from {@link INNER_PREFIX} so a leaf can never pass for an inner node.
 *
 * @example
 * const preimage = [LEAF_PREFIX, ...path, ...valueHash]; // then weight and count
 */
export const LEAF_PREFIX = 0x00;

/**
 * Prefix of an inner-node preimage.
 *
 * @example
 * const preimage = [INNER_PREFIX, ...leftDigest, ...rightDigest]; // then sum and count
 */
export const INNER_PREFIX = 0x01;

/**
 * Bytes in a node digest: hash (32) ‖ sum (uint64 BE) ‖ count (uint64 BE).
 *
 * @example
 * tree.rootBytes().length === DIGEST_SIZE; // true
 */
export const DIGEST_SIZE = 48;

/**
 * Largest sum or count a node can carry.
 *
 * @example
 * tree.root().sum <= MAX_UINT64; // always true
 */
export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/**
 * The digest of an empty subtree: zero hash, sum 0, count 0. Shared, so never mutate it.
 *
 * @example
 * digestCount(PLACEHOLDER); // 0n
 */
export const PLACEHOLDER: Uint8Array = new Uint8Array(DIGEST_SIZE);

const LEAF_PREIMAGE_SIZE = 1 + 32 + HASH_SIZE + 8 + 8;
const INNER_PREIMAGE_SIZE = 1 + 2 * DIGEST_SIZE + 8 + 8;

// Scratch preimages: crypto.hash copies its input synchronously, so one buffer each is enough.
const leafScratch = new Uint8Array(LEAF_PREIMAGE_SIZE);
const leafView = new DataView(leafScratch.buffer);
leafScratch[0] = LEAF_PREFIX;
leafView.setBigUint64(1 + 32 + HASH_SIZE + 8, 1n);
const innerScratch = new Uint8Array(INNER_PREIMAGE_SIZE);
const innerView = new DataView(innerScratch.buffer);
innerScratch[0] = INNER_PREFIX;

/**
 * The digest of a leaf: `sha256(0x00 ‖ path ‖ valueHash ‖ weight ‖ 1) ‖ weight ‖ 1`.
 * A leaf counts as one, and its sum is its weight.
 *
 * @example
 * const digest = leafDigest(pathOf(key), hashValue(value), 7n); // 48 bytes
 */
export function leafDigest(path: Uint8Array, valueHash: Uint8Array, weight: bigint): Uint8Array {
  leafScratch.set(path, 1);
  leafScratch.set(valueHash, 1 + 32);
  leafView.setBigUint64(1 + 32 + HASH_SIZE, weight);
  return withSumAndCount(sha256(leafScratch), leafScratch, LEAF_PREIMAGE_SIZE - 16);
}

/**
 * The digest of an inner node from its children's digests:
 * `sha256(0x01 ‖ left ‖ right ‖ sum ‖ count) ‖ sum ‖ count`, where sum and count add the children's.
 * Callers check that `sum` and `count` fit in a uint64.
 *
 * @example
 * const digest = innerDigest(leftDigest, PLACEHOLDER, digestSum(leftDigest), digestCount(leftDigest));
 */
export function innerDigest(left: Uint8Array, right: Uint8Array, sum: bigint, count: bigint): Uint8Array {
  innerScratch.set(left, 1);
  innerScratch.set(right, 1 + DIGEST_SIZE);
  innerView.setBigUint64(1 + 2 * DIGEST_SIZE, sum);
  innerView.setBigUint64(1 + 2 * DIGEST_SIZE + 8, count);
  return withSumAndCount(sha256(innerScratch), innerScratch, INNER_PREIMAGE_SIZE - 16);
}

/** hash ‖ the 16 bytes of sum and count that end the preimage (copied bytewise: no views to allocate). */
function withSumAndCount(hash: Uint8Array, preimage: Uint8Array, at: number): Uint8Array {
  const digest = new Uint8Array(DIGEST_SIZE);
  digest.set(hash);
  for (let i = 0; i < 16; i++) digest[HASH_SIZE + i] = preimage[at + i] as number;
  return digest;
}

/**
 * The sum carried by a 48-byte node digest.
 *
 * @example
 * digestSum(leafDigest(path, valueHash, 7n)); // 7n
 */
export function digestSum(digest: Uint8Array): bigint {
  return readUint64(digest, HASH_SIZE);
}

/**
 * The leaf count carried by a 48-byte node digest.
 *
 * @example
 * digestCount(PLACEHOLDER); // 0n
 */
export function digestCount(digest: Uint8Array): bigint {
  return readUint64(digest, HASH_SIZE + 8);
}

/**
 * Reads a big-endian uint64 at `offset`.
 *
 * @example
 * readUint64(new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0]), 0); // 256n
 */
export function readUint64(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

/**
 * Writes `value` as a big-endian uint64 at `offset`.
 *
 * @example
 * writeUint64(buffer, 64, weight);
 */
export function writeUint64(bytes: Uint8Array, offset: number, value: bigint): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(offset, value);
}

/**
 * Bit `depth` of a path, most significant bit of byte 0 first: 0 goes left, 1 goes right.
 *
 * @example
 * pathBit(new Uint8Array(32).fill(0x80), 0); // 1
 */
export function pathBit(path: Uint8Array, depth: number): number {
  return ((path[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
}

/**
 * True when two byte strings are equal (constant time is not needed: everything here is public).
 *
 * @example
 * bytesEqual(a, a.slice()); // true
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Largest key the tree takes: keys are stored with a uint16 length.
 *
 * @example
 * if (key.length > MAX_KEY_SIZE) throw new Error("key too long");
 */
export const MAX_KEY_SIZE = 0xffff;

/**
 * Largest value the tree takes (16 MiB): values are meant to be digests, not payloads.
 *
 * @example
 * if (value.length > MAX_VALUE_SIZE) throw new Error("value too long");
 */
export const MAX_VALUE_SIZE = 16 * 1024 * 1024;
