import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  encodeClosestProof,
  LogStore,
  Smst,
  SmstError,
  type SmstStore,
  type SmstValueStore,
  sha256,
  verifyMembership,
} from "../src/index.js";
import { relayShaped } from "./fixtures/relayShaped.js";

const dir = mkdtempSync(join(tmpdir(), "smst-values-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `v${n++}.smst`);
const key = (i: number) => sha256(Uint8Array.of(i >> 8, i & 0xff, 2));

/** A LogStore seen through a wrapper that counts reads back. */
function counting(store: LogStore): SmstValueStore & { reads: number } {
  const wrapper = {
    reads: 0,
    replay: () => store.replay(),
    replayRefs: () => store.replayRefs(),
    put: (k: Uint8Array, v: Uint8Array, w: bigint) => store.put(k, v, w),
    putRef: (k: Uint8Array, v: Uint8Array, w: bigint) => store.putRef(k, v, w),
    readEntry: (ref: number) => {
      wrapper.reads++;
      return store.readEntry(ref);
    },
    delete: (k: Uint8Array) => store.delete(k),
    flush: () => store.flush(),
    close: () => store.close(),
  };
  return wrapper;
}

describe("a tree over a store that reads values back", () => {
  it("keeps no values: get, proofs and entries read them back from the log", async () => {
    const store = counting(await LogStore.open(freshPath(), { fsync: "batch" }));
    const tree = await Smst.open(store);
    for (let i = 0; i < 100; i++) await tree.update(key(i), relayShaped(key(i), i), BigInt(i));
    expect(store.reads).toBe(0);

    expect(tree.get(key(7))).toEqual({ value: relayShaped(key(7), 7), weight: 7n });
    expect(store.reads).toBe(1);
    const { leaf, proof } = tree.prove(key(42));
    expect(store.reads).toBe(2);
    expect(leaf.value).toEqual(relayShaped(key(42), 42));
    expect(leaf.key).toEqual(key(42));
    expect(verifyMembership(tree.root(), key(42), leaf.value, 42n, encodeClosestProof(proof))).toBe(true);
    expect([...tree.entries()]).toHaveLength(100);
    expect(store.reads).toBe(102);
    expect(tree.get(key(1000))).toBeUndefined(); // absent: nothing to read
    expect(store.reads).toBe(102);
    await tree.close();
  });

  it("gives the same roots as a tree that holds its values, and the same after reopening", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path));
    const plain = new Smst();
    for (let i = 0; i < 60; i++) {
      await tree.update(key(i), relayShaped(key(i), i), BigInt(i * 3));
      await plain.update(key(i), relayShaped(key(i), i), BigInt(i * 3));
    }
    for (const t of [tree, plain]) {
      await t.update(key(3), Uint8Array.of(1, 2, 3), 1n); // replace
      await t.delete(key(4));
    }
    expect(tree.root()).toEqual(plain.root());
    expect(tree.get(key(3))).toEqual({ value: Uint8Array.of(1, 2, 3), weight: 1n });
    await tree.close();
    const reopened = await Smst.open(counting(await LogStore.open(path)));
    expect(reopened.root()).toEqual(plain.root());
    expect(reopened.get(key(3))).toEqual({ value: Uint8Array.of(1, 2, 3), weight: 1n });
    expect(reopened.get(key(4))).toBeUndefined();
    expect(reopened.get(key(59))?.value).toEqual(relayShaped(key(59), 59));
    await reopened.close();
  });

  it("reads back values still queued for the disk, and values after the tree is closed", async () => {
    const tree = await Smst.open(await LogStore.open(freshPath()));
    const pending = [0, 1, 2].map((i) => tree.update(key(i), relayShaped(key(i), i), 1n));
    // Not written yet: the write happens on the next microtask.
    expect(tree.get(key(1))?.value).toEqual(relayShaped(key(1), 1));
    await Promise.all(pending);
    await tree.close();
    expect(tree.get(key(2))?.value).toEqual(relayShaped(key(2), 2));
    expect(tree.proveClosest(new Uint8Array(32)).leaf.value).toHaveLength(672);
  });

  it("refuses refs that are not puts of the store", async () => {
    const store = await LogStore.open(freshPath());
    const { ref, stored } = store.putRef(key(1), Uint8Array.of(5), 3n);
    await stored;
    expect(store.readEntry(ref)).toEqual({ key: key(1), value: Uint8Array.of(5), weight: 3n });
    await store.delete(key(1));
    expect(() => store.readEntry(ref + 1)).toThrow(SmstError);
    expect(() => store.readEntry(0)).toThrow(/no put record at offset 0/);
    expect(() => store.readEntry(1e6)).toThrow(/no put record/);
    await store.close();
  });

  it("leaves the tree as it was when the store refuses a mutation", async () => {
    const store = await LogStore.open(freshPath());
    const tree = await Smst.open(store);
    await tree.update(key(1), Uint8Array.of(1), 1n);
    const root = tree.root();
    await store.close(); // the store goes away under the tree
    await expect(tree.update(key(2), Uint8Array.of(2), 2n)).rejects.toThrow(/closed/);
    expect(tree.size).toBe(1);
    expect(tree.root()).toEqual(root);
  });
});

describe("a tree over a store that cannot read values back", () => {
  it("keeps keys and values in memory, as copies", async () => {
    const log = await LogStore.open(freshPath());
    // Only the SmstStore methods, as a wrapper that injects faults would have.
    const plain: SmstStore = {
      replay: () => log.replay(),
      put: (k, v, w) => log.put(k, v, w),
      delete: (k) => log.delete(k),
      flush: () => log.flush(),
      close: () => log.close(),
    };
    const tree = await Smst.open(plain);
    const buffer = Buffer.from(relayShaped(key(1), 1));
    await tree.update(key(1), buffer, 4n);
    buffer.fill(0); // a Buffer's slice() is a view: the tree must have copied
    expect(tree.get(key(1))).toEqual({ value: relayShaped(key(1), 1), weight: 4n });
    await tree.close();
    expect(tree.get(key(1))?.value).toEqual(relayShaped(key(1), 1));
  });
});
