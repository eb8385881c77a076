import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { LogStore, Smst, SmstError, type SmstMutation, sha256 } from "../src/index.js";
import { relayShaped } from "./fixtures/relayShaped.js";

const dir = mkdtempSync(join(tmpdir(), "smst-format-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `f${n++}.smst`);
const key = (i: number) => sha256(Uint8Array.of(i >> 8, i & 0xff, 1));

// The version 1 writer as @decai/smst shipped it, spelled out independently of src/: values raw.
const V1_MAGIC = Buffer.from("SMSTLOG\x01", "latin1");
function v1Record(m: SmstMutation): Buffer {
  const head = Buffer.alloc(3);
  head[0] = m.op === "put" ? 1 : 2;
  head.writeUInt16BE(m.key.length, 1);
  const parts = [head, Buffer.from(m.key)];
  if (m.op === "put") {
    const weight = Buffer.alloc(8);
    weight.writeBigUInt64BE(m.weight);
    parts.push(weight, Buffer.from(m.value));
  }
  return framed(Buffer.concat(parts));
}

/** `length ‖ crc32(body) ‖ body`. */
function framed(body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

/** The records of a log file, whole (no checks: for files the store wrote). */
function records(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 8; at < file.length; at += 8 + file.readUInt32BE(at)) {
    out.push(file.subarray(at, at + 8 + file.readUInt32BE(at)));
  }
  return out;
}
const ops = (file: Buffer) => records(file).map((r) => r[8]);

async function memoryTree(entries: { key: Uint8Array; value: Uint8Array; weight: bigint }[]): Promise<Smst> {
  const tree = new Smst();
  for (const e of entries) await tree.update(e.key, e.value, e.weight);
  return tree;
}

const relays = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: key(i),
    value: relayShaped(key(i), i),
    weight: BigInt(i + 1),
  }));

describe("log format version 2", () => {
  it("stores relay-shaped values zero-run encoded, in under 400 bytes a record, and reads them back", async () => {
    const path = freshPath();
    const entries = relays(50);
    const tree = await Smst.open(await LogStore.open(path));
    for (const e of entries) await tree.update(e.key, e.value, e.weight);
    await tree.close();

    const file = readFileSync(path);
    expect(file.subarray(0, 8).toString("latin1")).toBe("SMSTLOG\x02");
    expect(ops(file)).toEqual(entries.map(() => 3)); // put, encoded
    expect((file.length - 8) / entries.length).toBeLessThan(400);

    const store = await LogStore.open(path);
    expect(store.version).toBe(2);
    const reopened = await Smst.open(store);
    for (const e of entries) expect(reopened.get(e.key)).toEqual({ value: e.value, weight: e.weight });
    expect(reopened.root()).toEqual((await memoryTree(entries)).root());
    expect([...store.replay()].map((m) => (m.op === "put" ? m.value : undefined))).toEqual(
      entries.map((e) => e.value),
    );
    await reopened.close();
  });

  it("stores values raw when encoding would not shrink them", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path));
    await tree.update(key(1), key(2), 5n); // random bytes
    await tree.update(key(3), new Uint8Array(0), 6n);
    await tree.delete(key(3));
    await tree.close();
    expect(ops(readFileSync(path))).toEqual([1, 1, 2]);
    const reopened = await Smst.open(await LogStore.open(path));
    expect(reopened.get(key(1))).toEqual({ value: key(2), weight: 5n });
    expect(reopened.size).toBe(1);
    await reopened.close();
  });

  it.each([
    ["half an encoded record", (record: Buffer) => record.subarray(0, record.length >> 1)],
    [
      "a flipped bit in an encoded value",
      (record: Buffer) => {
        const bad = Buffer.from(record);
        bad[bad.length - 20] = (bad[bad.length - 20] as number) ^ 4;
        return bad;
      },
    ],
    [
      "an encoded value whose literal runs past the record, with a valid checksum",
      (record: Buffer) => {
        const body = Buffer.from(record.subarray(8));
        body[body.length - 1] = 0x7f; // a literal of 128 bytes at the very end
        return framed(body);
      },
    ],
  ])("truncates a torn or corrupt tail: %s", async (_name, tear) => {
    const path = freshPath();
    const entries = relays(10);
    const tree = await Smst.open(await LogStore.open(path));
    for (const e of entries) await tree.update(e.key, e.value, e.weight);
    await tree.close();
    const good = readFileSync(path);
    const last = records(good).at(-1) as Buffer;
    expect(last[8]).toBe(3);
    // Put a damaged copy of the last record in its place.
    const goodSize = good.length - last.length;
    const damaged = tear(Buffer.from(last));
    writeFileSync(path, Buffer.concat([good.subarray(0, goodSize), damaged]));

    const store = await LogStore.open(path);
    expect(store.recovery).toEqual({ records: 9, truncatedBytes: damaged.length });
    expect(statSync(path).size).toBe(goodSize);
    const reopened = await Smst.open(store);
    expect(reopened.root()).toEqual((await memoryTree(entries.slice(0, 9))).root());
    await reopened.close();
  });

  it("replays logs larger than its read buffer, with records across its edges and larger than it", async () => {
    const path = freshPath();
    const tree = await Smst.open(await LogStore.open(path, { fsync: "batch" }));
    const big = Buffer.alloc(3 << 20, Uint8Array.of(1, 2, 3, 4, 5, 6, 7)); // no zeros: stored raw
    const updates: Promise<void>[] = [];
    for (let i = 0; i < 4000; i++) updates.push(tree.update(key(i), relayShaped(key(i), i), 1n));
    updates.push(tree.update(key(5000), big, 2n));
    for (let i = 4000; i < 4100; i++) updates.push(tree.update(key(i), relayShaped(key(i), i), 1n));
    await Promise.all(updates);
    await tree.close();
    expect(statSync(path).size).toBeGreaterThan(4 << 20);

    const store = await LogStore.open(path);
    expect(store.recovery).toEqual({ records: 4101, truncatedBytes: 0 });
    const reopened = await Smst.open(store);
    expect(reopened.root()).toEqual(tree.root());
    expect(big.equals(reopened.get(key(5000))?.value ?? new Uint8Array())).toBe(true);
    expect(reopened.get(key(4099))?.value).toEqual(relayShaped(key(4099), 4099));
    await reopened.close();
  });

  it("refuses a log of a format version it does not know", async () => {
    const path = freshPath();
    writeFileSync(path, Buffer.from("SMSTLOG\x03", "latin1"));
    await expect(LogStore.open(path)).rejects.toThrow(SmstError);
    await expect(LogStore.open(path)).rejects.toThrow(/format version 3/);
  });
});

describe("log format version 1", () => {
  const history: SmstMutation[] = [
    ...relays(20).map((e) => ({ op: "put" as const, ...e })),
    { op: "put", key: key(4), value: Uint8Array.of(0, 0, 0, 9), weight: 77n },
    { op: "delete", key: key(5) },
  ];
  const live = relays(20)
    .filter((_, i) => i !== 5)
    .map((e, i) => (i === 4 ? { key: key(4), value: Uint8Array.of(0, 0, 0, 9), weight: 77n } : e));

  it("opens and replays a log written by the version 1 encoder", async () => {
    const path = freshPath();
    writeFileSync(path, Buffer.concat([V1_MAGIC, ...history.map(v1Record)]));
    const store = await LogStore.open(path);
    expect(store.version).toBe(1);
    expect(store.recovery).toEqual({ records: 22, truncatedBytes: 0 });
    const tree = await Smst.open(store);
    expect(tree.size).toBe(19);
    expect(tree.root()).toEqual((await memoryTree(live)).root());
    for (const e of live) expect(tree.get(e.key)).toEqual({ value: e.value, weight: e.weight });
    expect(tree.get(key(5))).toBeUndefined();
    await tree.close();
  });

  it("keeps appending version 1 records to a version 1 log, and cuts its torn tail", async () => {
    const path = freshPath();
    const written = Buffer.concat([V1_MAGIC, ...history.map(v1Record)]);
    writeFileSync(path, written);
    appendFileSync(path, v1Record(history[0] as SmstMutation).subarray(0, 30)); // torn
    const store = await LogStore.open(path);
    expect(store.recovery).toEqual({ records: 22, truncatedBytes: 30 });
    const tree = await Smst.open(store);
    const more = { key: key(900), value: relayShaped(key(900), 900), weight: 9n };
    await tree.update(more.key, more.value, more.weight);
    await tree.delete(key(6));
    await tree.close();
    // Byte for byte what the version 1 encoder writes: values raw, no version 2 records in a version 1 log.
    expect(readFileSync(path)).toEqual(
      Buffer.concat([written, v1Record({ op: "put", ...more }), v1Record({ op: "delete", key: key(6) })]),
    );
    const again = await Smst.open(await LogStore.open(path));
    expect(again.get(more.key)).toEqual({ value: more.value, weight: 9n });
    expect(again.size).toBe(19);
    await again.close();
  });

  it("treats an encoded put (a version 2 record) in a version 1 log as corruption", async () => {
    const path = freshPath();
    const put = history[0] as SmstMutation & { op: "put" };
    const body = Buffer.from(v1Record(put).subarray(8));
    body[0] = 3;
    writeFileSync(path, Buffer.concat([V1_MAGIC, v1Record(history[1] as SmstMutation), framed(body)]));
    const store = await LogStore.open(path);
    expect(store.recovery.records).toBe(1);
    await store.close();
  });
});
