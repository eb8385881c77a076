import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeClosestProof,
  encodeRoot,
  MAX_UINT64,
  pathOf,
  Smst,
  type SmstEntry,
  verifyClosest,
} from "../src/index.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const entryArb: fc.Arbitrary<SmstEntry> = fc.record({
  key: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  value: fc.uint8Array({ maxLength: 12 }),
  weight: fc.bigInt({ min: 0n, max: 1n << 50n }),
});
const entriesArb = (maxLength: number) =>
  fc.uniqueArray(entryArb, { selector: (e) => hex(e.key), maxLength });
const pathArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

async function build(entries: readonly SmstEntry[]): Promise<Smst> {
  const tree = new Smst();
  for (const { key, value, weight } of entries) await tree.update(key, value, weight);
  return tree;
}

// A random history over a small key space, so updates and deletes of present keys are common.
type Op = { op: "put"; k: number; value: Uint8Array; weight: bigint } | { op: "delete"; k: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    k: fc.nat(24),
    value: fc.uint8Array({ maxLength: 4 }),
    weight: fc.bigInt({ min: 0n, max: 1n << 62n }),
  }),
  fc.record({ op: fc.constant("delete" as const), k: fc.nat(24) }),
);

describe("SMST properties", () => {
  it("root does not depend on insertion order, nor on overwritten values", async () => {
    const arb = entriesArb(60).chain((entries) =>
      fc.tuple(
        fc.constant(entries),
        fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([entries, shuffled]) => {
        const a = await build(entries);
        const b = new Smst();
        for (const e of shuffled) await b.update(e.key, Uint8Array.of(1, 2, 3), e.weight + 1n); // overwritten below
        for (const e of [...shuffled].reverse()) await b.update(e.key, e.value, e.weight);
        expect(b.root()).toEqual(a.root());
      }),
      { numRuns: 100 },
    );
  });

  it("deleting a new key restores the previous root; deleting everything empties the tree", async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb(40), entryArb, async (entries, extra) => {
        fc.pre(!entries.some((e) => hex(e.key) === hex(extra.key)));
        const tree = await build(entries);
        const before = tree.root();
        await tree.update(extra.key, extra.value, extra.weight);
        expect(await tree.delete(extra.key)).toBe(true);
        expect(tree.root()).toEqual(before);
        for (const e of entries) expect(await tree.delete(e.key)).toBe(true);
        expect(tree.root()).toEqual(new Smst().root());
      }),
      { numRuns: 100 },
    );
  });

  it("sum and count always equal the leaves', get() matches a reference map, overflow is refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
        const tree = new Smst();
        const model = new Map<number, { value: Uint8Array; weight: bigint }>();
        for (const op of ops) {
          const key = Uint8Array.of(op.k);
          if (op.op === "put") {
            const total = [...model.values()].reduce((s, e) => s + e.weight, 0n);
            if (total - (model.get(op.k)?.weight ?? 0n) + op.weight > MAX_UINT64) {
              // Past uint64 the update is refused and the tree left as it was.
              const before = tree.root();
              await expect(tree.update(key, op.value, op.weight)).rejects.toThrow(/past 2\^64 - 1/);
              expect(tree.root()).toEqual(before);
              continue;
            }
            await tree.update(key, op.value, op.weight);
            model.set(op.k, { value: op.value, weight: op.weight });
          } else {
            expect(await tree.delete(key)).toBe(model.delete(op.k));
          }
          const { sum, count } = tree.root();
          expect(sum).toBe([...model.values()].reduce((s, e) => s + e.weight, 0n));
          expect(count).toBe(BigInt(model.size));
        }
        for (let k = 0; k <= 24; k++) expect(tree.get(Uint8Array.of(k))).toEqual(model.get(k));
        // And the tree equals one built straight from the final entries.
        const fresh = await build([...model].map(([k, e]) => ({ key: Uint8Array.of(k), ...e })));
        expect(fresh.root()).toEqual(tree.root());
      }),
      { numRuns: 150 },
    );
  });

  it("every closest proof verifies, and proves the closest leaf", async () => {
    await fc.assert(
      fc.asyncProperty(
        entriesArb(80).filter((e) => e.length > 0),
        fc.array(pathArb, { minLength: 1, maxLength: 8 }),
        async (entries, paths) => {
          const tree = await build(entries);
          const root = tree.root();
          const all = entries.map((e) => pathOf(e.key));
          for (const path of paths) {
            const { leaf, proof } = tree.proveClosest(path);
            expect(verifyClosest(root, path, encodeClosestProof(proof))).toBe(true);
            const distance = (p: Uint8Array) => hex(p.map((x, i) => x ^ (path[i] as number)));
            const best = all.map(distance).sort()[0];
            expect(distance(leaf.path)).toBe(best);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("every single-bit flip of the proof or of the root makes verification fail", async () => {
    await fc.assert(
      fc.asyncProperty(
        entriesArb(24).filter((e) => e.length > 0),
        pathArb,
        async (entries, path) => {
          const tree = await build(entries);
          const root = encodeRoot(tree.root());
          const proof = encodeClosestProof(tree.proveClosest(path).proof);
          expect(verifyClosest(root, path, proof)).toBe(true);
          for (let bit = 0; bit < proof.length * 8; bit++) {
            const flipped = proof.slice();
            flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (0x80 >> (bit & 7));
            if (verifyClosest(root, path, flipped))
              throw new Error(`proof bit ${bit} flipped still verifies`);
          }
          for (let bit = 0; bit < root.length * 8; bit++) {
            const flipped = root.slice();
            flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (0x80 >> (bit & 7));
            if (verifyClosest(flipped, path, proof))
              throw new Error(`root bit ${bit} flipped still verifies`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
