import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeRoot,
  encodeRoot,
  MAX_UINT64,
  PLACEHOLDER,
  pathOf,
  Smst,
  SmstError,
  sha256,
} from "../src/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
// Independent of src/encoding.ts: the digests spelled out with node:crypto and Buffer.concat.
const h = (...parts: Uint8Array[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leafDigest = (key: string, value: string, weight: bigint) => {
  const digest = h(Buffer.of(0), h(bytes(key)), h(bytes(value)), u64(weight), u64(1n));
  return Buffer.concat([digest, u64(weight), u64(1n)]);
};
const innerDigest = (left: Buffer, right: Buffer) => {
  const sum = left.readBigUInt64BE(32) + right.readBigUInt64BE(32);
  const count = left.readBigUInt64BE(40) + right.readBigUInt64BE(40);
  return Buffer.concat([h(Buffer.of(1), left, right, u64(sum), u64(count)), u64(sum), u64(count)]);
};
const bit = (path: Uint8Array, d: number) => ((path[d >> 3] as number) >> (7 - (d & 7))) & 1;

describe("Smst", () => {
  it("has an all-zero root when empty", () => {
    const tree = new Smst();
    expect(tree.root()).toEqual({ hash: new Uint8Array(32), sum: 0n, count: 0n });
    expect(tree.rootBytes()).toEqual(PLACEHOLDER);
    expect(tree.size).toBe(0);
  });

  it("hashes one leaf as the pokt-style leaf digest", async () => {
    const tree = new Smst();
    await tree.update(bytes("relay-1"), bytes("digest-1"), 42n);
    expect(Buffer.from(tree.rootBytes())).toEqual(leafDigest("relay-1", "digest-1", 42n));
  });

  it("hashes two leaves as inner nodes down to where their paths part", async () => {
    const tree = new Smst();
    await tree.update(bytes("a"), bytes("va"), 5n);
    await tree.update(bytes("b"), bytes("vb"), 7n);
    const [pa, pb] = [pathOf(bytes("a")), pathOf(bytes("b"))];
    let split = 0;
    while (bit(pa, split) === bit(pb, split)) split++;
    const [da, db] = [leafDigest("a", "va", 5n), leafDigest("b", "vb", 7n)];
    let node = bit(pa, split) ? innerDigest(db, da) : innerDigest(da, db);
    for (let d = split - 1; d >= 0; d--) {
      node = bit(pa, d) ? innerDigest(Buffer.alloc(48), node) : innerDigest(node, Buffer.alloc(48));
    }
    expect(Buffer.from(tree.rootBytes())).toEqual(node);
    expect(tree.root().sum).toBe(12n);
    expect(tree.root().count).toBe(2n);
  });

  it("gets, replaces and deletes entries", async () => {
    const tree = new Smst();
    await tree.update(bytes("k"), bytes("v1"), 1);
    expect(tree.get(bytes("k"))).toEqual({ value: bytes("v1"), weight: 1n });
    await tree.update(bytes("k"), bytes("v2"), 9n);
    expect(tree.get(bytes("k"))).toEqual({ value: bytes("v2"), weight: 9n });
    expect(tree.size).toBe(1);
    expect(tree.root().sum).toBe(9n);
    expect(await tree.delete(bytes("absent"))).toBe(false);
    expect(await tree.delete(bytes("k"))).toBe(true);
    expect(tree.get(bytes("k"))).toBeUndefined();
    expect(tree.root()).toEqual(new Smst().root());
  });

  it("keeps its own copies of keys and values", async () => {
    const tree = new Smst();
    const key = bytes("key");
    const value = bytes("value");
    await tree.update(key, value, 1n);
    const root = tree.root();
    key.fill(0);
    value.fill(0);
    expect(tree.get(bytes("key"))?.value).toEqual(bytes("value"));
    await tree.update(bytes("other"), bytes("x"), 1n);
    await tree.delete(bytes("other"));
    expect(tree.root()).toEqual(root);
  });

  it("refuses a total weight past 2^64 - 1, but allows replacing a heavy leaf", async () => {
    const tree = new Smst();
    await tree.update(bytes("a"), bytes("v"), MAX_UINT64 - 1n);
    await expect(tree.update(bytes("b"), bytes("v"), 2n)).rejects.toThrow(SmstError);
    expect(tree.size).toBe(1);
    await tree.update(bytes("b"), bytes("v"), 1n);
    expect(tree.root().sum).toBe(MAX_UINT64);
    await tree.update(bytes("a"), bytes("v"), 5n); // replacing frees room
    expect(tree.root().sum).toBe(6n);
  });

  it("rejects bad weights, keys and paths with errors that say what to pass", async () => {
    const tree = new Smst();
    await expect(tree.update(bytes("k"), bytes("v"), -1n)).rejects.toThrow(/not a uint64/);
    await expect(tree.update(bytes("k"), bytes("v"), 1.5)).rejects.toThrow(/not a uint64/);
    await expect(tree.update(bytes("k"), bytes("v"), 1n << 64n)).rejects.toThrow(/not a uint64/);
    await expect(tree.update(new Uint8Array(70_000), bytes("v"), 1n)).rejects.toThrow(/key must be/);
    await tree.update(bytes("k"), bytes("v"), 1n);
    expect(() => tree.proveClosest(new Uint8Array(31))).toThrow(/path must be a Uint8Array of 32 bytes/);
    expect(() => new Smst().proveClosest(new Uint8Array(32))).toThrow(/empty tree/);
  });

  it("lists entries in path order", async () => {
    const tree = new Smst();
    const keys = Array.from({ length: 20 }, (_, i) => sha256(Uint8Array.of(i)));
    for (const key of keys) await tree.update(key, key, 1n);
    const paths = [...tree.entries()].map((e) => Buffer.from(pathOf(e.key)).toString("hex"));
    expect(paths).toEqual([...paths].sort());
    expect(paths).toHaveLength(20);
  });

  it("encodes the root in 48 bytes and back", async () => {
    const tree = new Smst();
    await tree.update(bytes("k"), bytes("v"), MAX_UINT64);
    const encoded = encodeRoot(tree.root());
    expect(encoded).toHaveLength(48);
    expect(decodeRoot(encoded)).toEqual(tree.root());
    expect(() => decodeRoot(new Uint8Array(47))).toThrow(/48 bytes/);
  });
});
