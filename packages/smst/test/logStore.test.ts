import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogStore, MemoryStore, Smst, SmstError, type SmstMutation, sha256 } from "../src/index.js";
import { encodeRecord, LOG_MAGIC } from "../src/store/record.js";

const dir = mkdtempSync(join(tmpdir(), "smst-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `t${n++}.smst`);
const key = (i: number) => sha256(Uint8Array.of(i >> 8, i & 0xff));

/** Every record a fresh store on `path` replays (the store is closed again). */
async function replayOf(path: string): Promise<SmstMutation[]> {
  const store = await LogStore.open(path);
  const mutations = [...store.replay()];
  await store.close();
  return mutations;
}

async function fill(tree: Smst, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => tree.update(key(i), key(i + 1000), BigInt(i))));
}

describe("LogStore", () => {
  it("rebuilds the same tree on reopen, replaying updates and deletes in order", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path));
    await fill(tree, 50);
    await tree.update(key(3), Uint8Array.of(9), 77n); // replaces
    expect(await tree.delete(key(4))).toBe(true);
    await tree.close();

    const store = await LogStore.open(path);
    expect(store.recovery).toEqual({ records: 52, truncatedBytes: 0 });
    const reopened = await Smst.open(store);
    expect(reopened.root()).toEqual(tree.root());
    expect(reopened.get(key(3))).toEqual({ value: Uint8Array.of(9), weight: 77n });
    expect(reopened.get(key(4))).toBeUndefined();
    expect(reopened.size).toBe(49);
    await reopened.close();
  });

  it.each([
    ["half a record", (path: string, record: Buffer) => appendFileSync(path, record.subarray(0, 20))],
    ["half a record header", (path: string, record: Buffer) => appendFileSync(path, record.subarray(0, 5))],
    [
      "a record with a bad checksum",
      (path: string, record: Buffer) => {
        const bad = Buffer.from(record);
        bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
        appendFileSync(path, bad);
      },
    ],
    [
      "a length past the end of the file",
      (path: string, record: Buffer) => {
        const bad = Buffer.from(record);
        bad.writeUInt32BE(1 << 20, 0);
        appendFileSync(path, bad);
      },
    ],
  ])("truncates a torn tail: %s", async (_name, tear) => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path));
    await fill(tree, 20);
    await tree.close();
    const goodSize = statSync(path).size;
    tear(path, encodeRecord({ op: "put", key: key(500), value: key(501), weight: 5n }));
    const tornSize = statSync(path).size;
    expect(tornSize).toBeGreaterThan(goodSize);

    const store = await LogStore.open(path);
    expect(store.recovery).toEqual({ records: 20, truncatedBytes: tornSize - goodSize });
    expect(statSync(path).size).toBe(goodSize);
    const reopened = await Smst.open(store);
    expect(reopened.root()).toEqual(tree.root());
    expect(reopened.get(key(500))).toBeUndefined();
    // The log stays appendable after the cut.
    await reopened.update(key(600), key(601), 6n);
    await reopened.close();
    const again = await Smst.open(await LogStore.open(path));
    expect(again.get(key(600))?.weight).toBe(6n);
    expect(again.size).toBe(21);
    await again.close();
  });

  it("rewrites a header torn while the file was created, and refuses files that are not logs", async () => {
    const torn = freshPath();
    writeFileSync(torn, LOG_MAGIC.subarray(0, 3));
    const store = await LogStore.open(torn);
    expect(store.recovery.records).toBe(0);
    await store.close();
    expect(readFileSync(torn)).toEqual(Buffer.from(LOG_MAGIC));

    const other = freshPath();
    writeFileSync(other, "not a log at all");
    await expect(LogStore.open(other)).rejects.toThrow(SmstError);
    await expect(LogStore.open(other)).rejects.toThrow(/is not an SMST log/);
  });

  it("acknowledges concurrent updates with shared fsyncs, in call order", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path, { fsync: "always" }));
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => tree.update(key(i), key(i), 1n).then(() => order.push(i))),
    );
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await tree.close();
    const replayed = (await replayOf(path)).map((m) => Buffer.from(m.key).toString("hex"));
    expect(replayed).toEqual(Array.from({ length: 200 }, (_, i) => Buffer.from(key(i)).toString("hex")));
  });

  it("batch mode writes on update and fsyncs on commit", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path, { fsync: "batch" }));
    await fill(tree, 30);
    // Written to the OS already: a reader sees every record before any fsync.
    expect(await replayOf(path)).toHaveLength(30);
    await tree.commit();
    await tree.close();
    const again = await Smst.open(await LogStore.open(path));
    expect(again.root()).toEqual(tree.root());
    await again.close();
  });

  it("writes out mutations still queued when it closes", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path));
    const pending = Array.from({ length: 40 }, (_, i) => tree.update(key(i), key(i), 2n));
    await tree.close(); // not awaiting the updates first
    await Promise.all(pending);
    const again = await Smst.open(await LogStore.open(path));
    expect(again.size).toBe(40);
    expect(again.root()).toEqual(tree.root());
    await again.close();
  });

  it("rejects use after close and unknown fsync policies", async () => {
    const store = await LogStore.open(freshPath());
    const tree = await Smst.open(store);
    await tree.close();
    await expect(tree.update(key(1), key(1), 1n)).rejects.toThrow(/closed/);
    await expect(store.put(key(1), key(1), 1n)).rejects.toThrow(/closed/);
    // @ts-expect-error an invalid policy on purpose
    await expect(LogStore.open(freshPath(), { fsync: "sometimes" })).rejects.toThrow(/unknown fsync policy/);
  });
});

describe("MemoryStore", () => {
  it("lets a second tree on the same store see the same leaves", async () => {
    const store = new MemoryStore();
    const tree = await Smst.open(store);
    await fill(tree, 25);
    await tree.delete(key(7));
    const again = await Smst.open(store);
    expect(again.root()).toEqual(tree.root());
    expect(store.size).toBe(24);
  });
});
