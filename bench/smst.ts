// Scenario 4, SMST: inserts per second, root, closest proof generation and verification, bytes on disk per
// leaf, and reopen (replay) time, for trees of 10^3 to 10^6 leaves, as a RelayMiner builds them: keys are
// relay hashes (uniformly random), values are relays in their canonical encoding (random bytes of the size
// of a real signed relay), weights are compute units.
//
//   node --expose-gc --import tsx bench/smst.ts [--sizes 1000,10000,100000,1000000] [--always-max 100000]
//
// Three stores: none (the tree in memory), LogStore with fsync "batch" (each insert written to the OS), and
// LogStore with fsync "always" (each insert durable; 64 inserts in flight share an fsync, as concurrent relays
// do in a RelayMiner), the latter up to --always-max leaves. Writes bench/results/smst.json and .md.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeRelay, type Relay } from "@decai/core";
import { encodeClosestProof, LogStore, Smst, verifyClosest } from "@decai/smst";
import { bytesToHex, type Hex } from "viem";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { type Table, writeReport } from "./lib/report.js";
import { fmt, summarize } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,100000,1000000" },
    "always-max": { type: "string", default: "100000" },
    proofs: { type: "string", default: "1000" },
  },
});
const sizes = (values.sizes as string).split(",").map(Number);
const alwaysMax = Number(values["always-max"]);
const proofCount = Number(values.proofs);
const inFlight = 64;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// A real relay's canonical encoding sets the value size; the bytes themselves do not matter to the tree.
const sample: Relay = {
  request: {
    application: `0x${"11".repeat(20)}`,
    serviceId: `0x${"22".repeat(32)}`,
    session: 42n,
    supplier: `0x${"33".repeat(20)}`,
    requestDigest: `0x${"44".repeat(32)}`,
    maxTokens: 256,
    nonce: 7n,
  },
  requestSignature: `0x${"55".repeat(64)}1b` as Hex,
  response: {
    requestHash: `0x${"66".repeat(32)}`,
    responseDigest: `0x${"77".repeat(32)}`,
    inputTokens: 12,
    outputTokens: 80,
  },
  responseSignature: `0x${"88".repeat(64)}1c` as Hex,
};
const valueSize = (encodeRelay(sample).length - 2) / 2;

type Leaves = { keys: Uint8Array[]; values: Uint8Array[]; weights: bigint[] };
const makeLeaves = (n: number): Leaves => {
  const keyBytes = randomBytes(32 * n);
  const valueBytes = randomBytes(valueSize * n);
  return {
    keys: Array.from({ length: n }, (_, i) => keyBytes.subarray(32 * i, 32 * (i + 1))),
    values: Array.from({ length: n }, (_, i) => valueBytes.subarray(valueSize * i, valueSize * (i + 1))),
    weights: Array.from({ length: n }, (_, i) => BigInt(10 + (i % 200))),
  };
};

type Row = {
  leaves: number;
  store: string;
  insertsPerSecond: number;
  /** Inserts and the first root together (digests are computed lazily, on the first root). */
  insertsWithRootPerSecond: number;
  rootMs: number;
  proveUs: { mean: number; p99: number };
  verifyUs: { mean: number; p99: number };
  proofBytes: number;
  bytesPerLeaf?: number;
  reopenMs?: number;
  heapBytesPerLeaf?: number;
  rootHash: string;
};

const machine = machineInfo();
console.error(`smst on ${describeMachine(machine)}; value ${valueSize} bytes (a relay's canonical encoding)`);
const dir = mkdtempSync(join(tmpdir(), "decai-bench-smst-"));
onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
const rows: Row[] = [];
try {
  {
    // Warm-up, not recorded: the first thousands of inserts run before the JIT has compiled the tree's code.
    const warm = makeLeaves(20_000);
    const tree = await Smst.open(await LogStore.open(join(dir, "warm-up.smst"), { fsync: "batch" }));
    for (let i = 0; i < warm.keys.length; i++) {
      await tree.update(warm.keys[i] as Uint8Array, warm.values[i] as Uint8Array, warm.weights[i] as bigint);
    }
    tree.root();
    await tree.close();
  }
  for (const n of sizes) {
    const leaves = makeLeaves(n);
    const stores = ["memory", "log (fsync batch)", ...(n <= alwaysMax ? ["log (fsync always)"] : [])];
    for (const store of stores) {
      console.error(`  ${n} leaves, ${store}...`);
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const file = join(dir, `${n}-${store.replace(/\W+/g, "-")}.smst`);
      const tree =
        store === "memory"
          ? new Smst()
          : await Smst.open(
              await LogStore.open(file, { fsync: store.includes("always") ? "always" : "batch" }),
            );
      const started = performance.now();
      if (store.includes("always")) {
        // Relays are served concurrently: up to `inFlight` inserts wait on one group fsync.
        for (let at = 0; at < n; at += inFlight) {
          const batch: Promise<void>[] = [];
          for (let i = at; i < Math.min(n, at + inFlight); i++) {
            batch.push(
              tree.update(
                leaves.keys[i] as Uint8Array,
                leaves.values[i] as Uint8Array,
                leaves.weights[i] as bigint,
              ),
            );
          }
          await Promise.all(batch);
        }
      } else {
        for (let i = 0; i < n; i++) {
          await tree.update(
            leaves.keys[i] as Uint8Array,
            leaves.values[i] as Uint8Array,
            leaves.weights[i] as bigint,
          );
        }
      }
      const inserted = performance.now();
      const root = tree.root();
      const rooted = performance.now();
      gc();
      const heapBytesPerLeaf =
        store === "memory" ? (process.memoryUsage().heapUsed - heapBefore) / n : undefined;

      const prove: number[] = [];
      const verify: number[] = [];
      let proofBytes = 0;
      for (let i = 0; i < proofCount; i++) {
        const path = randomBytes(32);
        const t0 = performance.now();
        const proof = encodeClosestProof(tree.proveClosest(path).proof);
        const t1 = performance.now();
        const ok = verifyClosest(root, path, proof);
        const t2 = performance.now();
        if (!ok) throw new Error(`a closest proof of the ${n}-leaf tree did not verify`);
        prove.push((t1 - t0) * 1000);
        verify.push((t2 - t1) * 1000);
        proofBytes += proof.length;
      }
      let bytesPerLeaf: number | undefined;
      let reopenMs: number | undefined;
      if (store !== "memory") {
        await tree.close();
        bytesPerLeaf = statSync(file).size / n;
        const t0 = performance.now();
        const reopened = await Smst.open(await LogStore.open(file));
        const again = bytesToHex(reopened.root().hash);
        reopenMs = performance.now() - t0;
        if (again !== bytesToHex(root.hash)) throw new Error(`reopening the ${n}-leaf log gave another root`);
        await reopened.close();
        rmSync(file);
      }
      const p = summarize(prove);
      const v = summarize(verify);
      rows.push({
        leaves: n,
        store,
        insertsPerSecond: Math.round(n / ((inserted - started) / 1000)),
        insertsWithRootPerSecond: Math.round(n / ((rooted - started) / 1000)),
        rootMs: Number((rooted - inserted).toFixed(1)),
        proveUs: { mean: Number(p.mean.toFixed(1)), p99: Number(p.p99.toFixed(1)) },
        verifyUs: { mean: Number(v.mean.toFixed(1)), p99: Number(v.p99.toFixed(1)) },
        proofBytes: Math.round(proofBytes / proofCount),
        ...(bytesPerLeaf !== undefined ? { bytesPerLeaf: Math.round(bytesPerLeaf) } : {}),
        ...(reopenMs !== undefined ? { reopenMs: Math.round(reopenMs) } : {}),
        ...(heapBytesPerLeaf !== undefined ? { heapBytesPerLeaf: Math.round(heapBytesPerLeaf) } : {}),
        rootHash: bytesToHex(root.hash),
      });
    }
    const roots = new Set(rows.filter((r) => r.leaves === n).map((r) => r.rootHash));
    if (roots.size !== 1) throw new Error(`the stores disagree on the root of the ${n}-leaf tree`);
  }

  const table: Table = {
    title: "SMST by size and store (proof times in µs; bytes per leaf on disk include the relay itself)",
    columns: [
      "leaves",
      "store",
      "inserts/s",
      "inserts+root/s",
      "root ms",
      "prove µs",
      "prove p99",
      "verify µs",
      "verify p99",
      "proof B",
      "disk B/leaf",
      "heap B/leaf",
      "reopen ms",
    ],
    rows: rows.map((r) => [
      r.leaves,
      r.store,
      r.insertsPerSecond,
      r.insertsWithRootPerSecond,
      r.rootMs,
      r.proveUs.mean,
      r.proveUs.p99,
      r.verifyUs.mean,
      r.verifyUs.p99,
      r.proofBytes,
      r.bytesPerLeaf ?? "–",
      r.heapBytesPerLeaf ?? "–",
      r.reopenMs ?? "–",
    ]),
  };
  const persistent = rows.filter((r) => r.store === "log (fsync batch)");
  const slowest = persistent.reduce((a, b) => (b.insertsPerSecond < a.insertsPerSecond ? b : a));
  const largestDisk = Math.max(...persistent.map((r) => r.bytesPerLeaf ?? 0));
  const targets = [
    {
      name: "SMST inserts/s (log store, fsync batch, slowest size)",
      goal: ">= 100000",
      measured: slowest.insertsPerSecond,
      met: slowest.insertsPerSecond >= 100_000,
    },
    { name: "SMST bytes per leaf on disk", goal: "<= 400", measured: largestDisk, met: largestDisk <= 400 },
  ];
  writeReport({
    name: "smst",
    title: "Sparse Merkle sum tree: inserts, root, closest proofs, size",
    machine,
    notes: [
      `Keys: random 32-byte relay hashes; values: ${valueSize} random bytes, the size of a signed relay's ` +
        `canonical encoding (what the RelayMiner stores, so the proof can carry it); ${proofCount} closest proofs ` +
        "per tree, each verified. Inserts/s leaves out hashing: digests are computed on the first root, so " +
        "inserts+root/s is the rate of building a claimable tree. All stores must give the same root (checked).",
      ...targets.map(
        (t) => `Target: ${t.name} ${t.goal}: measured ${fmt(t.measured)}, ${t.met ? "met" : "NOT met"}.`,
      ),
    ],
    tables: [table],
    data: { sizes, valueSize, proofCount, inFlight, rows, targets },
  });
} finally {
  await runCleanup();
}
