import { describe, expect, it } from "vitest";
import {
  type ClosestProof,
  decodeClosestProof,
  encodeClosestProof,
  PROOF_HEADER_SIZE,
  pathOf,
  Smst,
  sha256,
  verifyClosest,
  verifyMembership,
  verifyNonMembership,
} from "../src/index.js";

const key = (i: number) => sha256(Uint8Array.of(i >> 8, i & 0xff, 7));
const xorDistance = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.map((x, i) => x ^ (b[i] as number))).toString("hex");

async function treeOf(count: number): Promise<Smst> {
  const tree = new Smst();
  for (let i = 0; i < count; i++) await tree.update(key(i), key(i + 5000), BigInt(i + 1));
  return tree;
}

/** Two keys whose paths share their first `bits` bits (found by search). */
function keysSharingPrefix(bits: number): [Uint8Array, Uint8Array] {
  const seen = new Map<number, Uint8Array>();
  for (let i = 0; ; i++) {
    const k = sha256(Uint8Array.of(i >> 24, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
    const p = pathOf(k);
    const prefix = (((p[0] as number) << 16) | ((p[1] as number) << 8) | (p[2] as number)) >>> (24 - bits);
    const other = seen.get(prefix);
    if (other) return [other, k];
    seen.set(prefix, k);
  }
}

describe("closest proofs", () => {
  it("prove the leaf at the smallest XOR distance, and verify", async () => {
    const tree = await treeOf(200);
    const root = tree.root();
    const paths = [...tree.entries()].map((e) => pathOf(e.key));
    for (let j = 0; j < 100; j++) {
      const challenge = sha256(Uint8Array.of(j, 1));
      const { leaf, proof } = tree.proveClosest(challenge);
      const best = paths.reduce((a, b) => (xorDistance(a, challenge) < xorDistance(b, challenge) ? a : b));
      expect(leaf.path).toEqual(best);
      expect(proof.leafPath).toEqual(best);
      expect(verifyClosest(root, challenge, encodeClosestProof(proof))).toBe(true);
      expect(verifyClosest(tree.rootBytes(), challenge, proof)).toBe(true);
    }
  });

  it("refuse a real leaf that is not the closest one", async () => {
    const tree = await treeOf(50);
    const challenge = sha256(Uint8Array.of(1));
    const far = challenge.slice();
    far[0] = (far[0] as number) ^ 0x80;
    const { proof } = tree.proveClosest(far);
    expect(verifyClosest(tree.root(), far, proof)).toBe(true);
    expect(verifyClosest(tree.root(), challenge, proof)).toBe(false);
  });

  it("handle leaves deep below a run of one-sided inner nodes", async () => {
    const [a, b] = keysSharingPrefix(14);
    const tree = new Smst();
    await tree.update(a, Uint8Array.of(1), 3n);
    const single = tree.root();
    await tree.update(b, Uint8Array.of(2), 4n);
    const { proof } = tree.prove(a);
    expect(proof.depth).toBeGreaterThan(14);
    expect(proof.siblings).toHaveLength(1); // only the other leaf; every other sibling is empty
    expect(verifyMembership(tree.root(), a, Uint8Array.of(1), 3n, encodeClosestProof(proof))).toBe(true);
    // Deleting b lifts a back to the root through the whole run.
    await tree.delete(b);
    expect(tree.root()).toEqual(single);
    expect(tree.prove(a).proof.depth).toBe(0);
  });

  it("double as membership and non-membership proofs", async () => {
    const tree = await treeOf(30);
    const root = tree.root();
    const member = encodeClosestProof(tree.prove(key(3)).proof);
    expect(verifyMembership(root, key(3), key(5003), 4n, member)).toBe(true);
    expect(verifyMembership(root, key(3), key(5003), 5n, member)).toBe(false);
    expect(verifyMembership(root, key(3), key(5004), 4n, member)).toBe(false);
    expect(verifyNonMembership(root, key(3), member)).toBe(false);
    const absent = sha256(Uint8Array.of(0xab));
    const nonMember = encodeClosestProof(tree.prove(absent).proof);
    expect(verifyNonMembership(root, absent, nonMember)).toBe(true);
    expect(verifyMembership(root, absent, key(0), 1n, nonMember)).toBe(false);
  });

  it("prove the only leaf of a one-leaf tree for every path", async () => {
    const tree = await treeOf(1);
    for (const fill of [0x00, 0x5a, 0xff]) {
      const challenge = new Uint8Array(32).fill(fill);
      const { proof } = tree.proveClosest(challenge);
      expect(proof.depth).toBe(0);
      expect(encodeClosestProof(proof)).toHaveLength(PROOF_HEADER_SIZE);
      expect(verifyClosest(tree.root(), challenge, encodeClosestProof(proof))).toBe(true);
    }
  });
});

describe("proof encoding", () => {
  it("round-trips", async () => {
    const tree = await treeOf(100);
    const { proof } = tree.proveClosest(sha256(Uint8Array.of(9)));
    const encoded = encodeClosestProof(proof);
    expect(encoded).toHaveLength(PROOF_HEADER_SIZE + 48 * proof.siblings.length);
    expect(decodeClosestProof(encoded)).toEqual(proof);
  });

  it("rejects non-canonical and malformed encodings, saying why", async () => {
    const tree = await treeOf(100);
    const { proof } = tree.proveClosest(sha256(Uint8Array.of(9)));
    const good = encodeClosestProof(proof);
    const edit = (f: (b: Uint8Array) => void) => {
      const b = good.slice();
      f(b);
      return b;
    };
    const depth = proof.depth;
    const cases: [Uint8Array, RegExp][] = [
      [good.slice(0, 50), /at least 106 bytes/],
      [Uint8Array.of(...good, 0), /whole 48-byte siblings/],
      [edit((b) => b.set([0x01, 0x01], 72)), /depth 257 is outside/],
      [
        edit((b) => (b[74 + (depth >> 3)] = (b[74 + (depth >> 3)] as number) | (0x80 >> (depth & 7)))),
        /at or below/,
      ],
      [edit((b) => (b[73] = depth - 1)), /at or below the leaf's depth/],
      [edit((b) => (b[73] = depth + 1)), /too deep/],
      [edit((b) => b.fill(0, PROOF_HEADER_SIZE + 40, PROOF_HEADER_SIZE + 48)), /listed sibling is empty/],
    ];
    for (const [bytes, reason] of cases) {
      expect(() => decodeClosestProof(bytes)).toThrow(reason);
      expect(verifyClosest(tree.root(), sha256(Uint8Array.of(9)), bytes)).toBe(false);
    }
  });

  it("never throws from the verifiers, whatever they are given", async () => {
    const tree = await treeOf(10);
    const { proof } = tree.proveClosest(new Uint8Array(32));
    const junk: unknown[] = [
      undefined,
      null,
      "0x00",
      42,
      {},
      new Uint8Array(0),
      { ...proof, siblings: undefined },
      { ...proof, siblings: [new Uint8Array(3)] },
      { ...proof, weight: -1n },
      { ...proof, depth: 1.5 },
      { ...proof, leafPath: new Uint8Array(31) },
      { ...proof, bitmask: "ff" },
    ];
    for (const p of junk) {
      expect(verifyClosest(tree.root(), new Uint8Array(32), p as ClosestProof)).toBe(false);
      expect(verifyMembership(tree.root(), key(0), key(5000), 1n, p as ClosestProof)).toBe(false);
      expect(verifyNonMembership(tree.root(), key(0), p as ClosestProof)).toBe(false);
    }
    expect(verifyClosest(undefined as never, new Uint8Array(32), proof)).toBe(false);
    expect(verifyClosest(tree.root(), "path" as never, proof)).toBe(false);
    expect(verifyClosest({ hash: new Uint8Array(32), sum: -1n, count: 0n }, new Uint8Array(32), proof)).toBe(
      false,
    );
    expect(verifyClosest(tree.root(), new Uint8Array(32), proof)).toBe(true);
  });
});
