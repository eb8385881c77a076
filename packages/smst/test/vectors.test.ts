import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeRoot, Smst, verifyClosest } from "../src/index.js";
import { buildVectors, type Vectors } from "./buildVectors.js";

const committed: Vectors = JSON.parse(readFileSync(new URL("./vectors/smst.json", import.meta.url), "utf8"));
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), "hex"));

describe("test vectors (test/vectors/smst.json)", () => {
  it("match what the code produces now (regenerate with scripts/make-vectors.ts after a deliberate change)", async () => {
    expect(JSON.parse(JSON.stringify(await buildVectors()))).toEqual(committed);
  });

  it("roots follow from the listed leaves", async () => {
    expect(committed.trees.map((t) => t.leaves.length)).toEqual([0, 1, 10, 1000]);
    for (const tree of committed.trees) {
      const smst = new Smst();
      for (const leaf of tree.leaves)
        await smst.update(bytes(leaf.key), bytes(leaf.value), BigInt(leaf.weight));
      const root = smst.root();
      expect(root).toEqual(decodeRoot(bytes(tree.root.encoded)));
      expect(root).toEqual({
        hash: bytes(tree.root.hash),
        sum: BigInt(tree.root.sum),
        count: BigInt(tree.root.count),
      });
    }
  });

  it("closest proofs verify exactly when marked valid", () => {
    const valid = committed.closest.filter((c) => c.valid).length;
    expect(valid).toBeGreaterThanOrEqual(20);
    expect(committed.closest.length - valid).toBeGreaterThanOrEqual(15);
    for (const c of committed.closest) {
      const root = { hash: bytes(c.rootHash), sum: BigInt(c.rootSum), count: BigInt(c.rootCount) };
      expect(verifyClosest(root, bytes(c.path), bytes(c.proof)), c.note).toBe(c.valid);
    }
  });
});
