// Scenario 4, SMST: inserts per second, root, closest proof generation and verification, bytes on disk per
// leaf, memory per leaf and reopen (replay) time, for trees of 10^3 to 10^6 leaves, as a RelayMiner builds
// them: keys are relay hashes, values are relays in their canonical encoding (`encodeRelay`), weights are
// compute units.
//
//   node --expose-gc --import tsx bench/smst.ts [--sizes 1000,10000,100000,1000000] [--always-max 100000]
//
// Three stores: none (the tree in memory), LogStore with fsync "batch" (each insert written to the OS), and
// LogStore with fsync "always" (each insert durable; 64 inserts in flight share an fsync, as concurrent relays
// do in a RelayMiner), the latter up to --always-max leaves. Each measured tree follows a throwaway tree of
// the same store (JIT warm-up), so the numbers are steady state. Writes bench/results/smst.json and .md.
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ComputeUnitMode, encodeRelay, type Relay, relayWeight, type ServiceComputeUnits } from "@decai/core";
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
    "warm-up": { type: "string", default: "5000" },
    "min-inserts": { type: "string", default: "50000" },
  },
});
const sizes = (values.sizes as string).split(",").map(Number);
const alwaysMax = Number(values["always-max"]);
const proofCount = Number(values.proofs);
const warmUp = Number(values["warm-up"]);
// A 1,000-leaf tree is built in a few milliseconds, where one GC or a descheduled core is a large share: small
// trees are built again until `minInserts` inserts in all, and the median rate is reported.
const minInserts = Number(values["min-inserts"]);
const inFlight = 64;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// Real-shaped relays of one session tree (one application, service, session and supplier): random digests,
// nonces and signatures (they need not verify: signing a million relays would take longer than the bench),
// realistic token counts. The key is the relay hash, which the response carries as `requestHash`.
const service: ServiceComputeUnits = {
  cuMode: ComputeUnitMode.PerToken,
  cuPerRelay: 0n,
  cuPerInputToken: 1n,
  cuPerOutputToken: 3n,
};
const hexOf = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;
const application = hexOf(randomBytes(20));
const supplier = hexOf(randomBytes(20));
const serviceId = hexOf(randomBytes(32));
const session = 48_213n;
const signature = (random: Buffer): Hex => `0x${random.toString("hex")}${randomInt(2) ? "1b" : "1c"}`;
const makeRelay = (key: Buffer, random: Buffer): Relay => {
  const maxTokens = [256, 512, 1024, 2048, 4096][randomInt(5)] as number;
  return {
    request: {
      application,
      serviceId,
      session,
      supplier,
      requestDigest: hexOf(random.subarray(0, 32)),
      maxTokens,
      nonce: random.readBigUInt64BE(32),
    },
    requestSignature: signature(random.subarray(40, 104)),
    response: {
      requestHash: hexOf(key),
      responseDigest: hexOf(random.subarray(104, 136)),
      inputTokens: randomInt(1, 4000),
      outputTokens: randomInt(1, maxTokens + 1),
    },
    responseSignature: signature(random.subarray(136, 200)),
  };
};
const valueSize = (encodeRelay(makeRelay(randomBytes(32), randomBytes(200))).length - 2) / 2;

/**
 * The leaves, packed: key i is bytes [32i, 32i + 32) of `keys`, relay i bytes [valueSize·i, valueSize·(i + 1))
 * of `values`. Views are made as inserts need them, so a million leaves do not add two million long-lived
 * typed arrays to the heap that the tree's GC pauses would then walk (a RelayMiner's relays are short-lived).
 */
type Leaves = { count: number; keys: Buffer; values: Buffer; weights: bigint[] };
const makeLeaves = (n: number): Leaves => {
  const leaves: Leaves = {
    count: n,
    keys: randomBytes(32 * n),
    values: Buffer.allocUnsafe(valueSize * n),
    weights: [],
  };
  for (let i = 0; i < n; i++) {
    const relay = makeRelay(leaves.keys.subarray(32 * i, 32 * (i + 1)), randomBytes(200));
    if (leaves.values.write(encodeRelay(relay).slice(2), valueSize * i, "hex") !== valueSize) {
      throw new Error("a relay of another size");
    }
    leaves.weights.push(relayWeight(service, relay));
  }
  return leaves;
};
const keyOf = (leaves: Leaves, i: number) => leaves.keys.subarray(32 * i, 32 * (i + 1));
const relayOf = (leaves: Leaves, i: number) => leaves.values.subarray(valueSize * i, valueSize * (i + 1));

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
  /** Growth of the JS heap per leaf, tree built and rooted, after a GC. */
  heapBytesPerLeaf: number;
  /** Growth of ArrayBuffer memory (outside the JS heap: typed arrays of over 64 bytes, hash outputs) per leaf. */
  bufferBytesPerLeaf: number;
  rootHash: string;
};

const machine = machineInfo();
console.error(`smst on ${describeMachine(machine)}; value ${valueSize} bytes (a relay's canonical encoding)`);
const dir = mkdtempSync(join(tmpdir(), "decai-bench-smst-"));
onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
const rows: Row[] = [];
type Store = "memory" | "log (fsync batch)" | "log (fsync always)";

/** Opens a tree on `store` and inserts the first `n` leaves as a RelayMiner would; returns it with the time taken. */
async function build(
  store: Store,
  file: string,
  leaves: Leaves,
  n: number,
): Promise<{ tree: Smst; ms: number }> {
  const tree =
    store === "memory"
      ? new Smst()
      : await Smst.open(
          await LogStore.open(file, { fsync: store === "log (fsync always)" ? "always" : "batch" }),
        );
  const { weights } = leaves;
  const started = performance.now();
  if (store === "log (fsync always)") {
    // Relays are served concurrently: up to `inFlight` inserts wait on one group fsync.
    for (let at = 0; at < n; at += inFlight) {
      const batch: Promise<void>[] = [];
      for (let i = at; i < Math.min(n, at + inFlight); i++) {
        batch.push(tree.update(keyOf(leaves, i), relayOf(leaves, i), weights[i] as bigint));
      }
      await Promise.all(batch);
    }
  } else {
    for (let i = 0; i < n; i++) {
      await tree.update(keyOf(leaves, i), relayOf(leaves, i), weights[i] as bigint);
    }
  }
  return { tree, ms: performance.now() - started };
}

/** Warm-up, not recorded: a throwaway tree of the same store, so the JIT has compiled its code paths. */
async function warmUpOn(store: Store, file: string, leaves: Leaves): Promise<void> {
  const { tree } = await build(store, file, leaves, leaves.count);
  tree.root();
  await tree.close();
  rmSync(file, { force: true });
}

type Memory = { heapUsed: number; arrayBuffers: number };
const memory = (): Memory => {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, arrayBuffers };
};

/**
 * Builds, roots, proves and (for a log) reopens one tree of the first `n` leaves on `store`, and takes the memory
 * in use with the tree. A function of its own, so that nothing of the tree is referenced once it returns and the
 * caller takes the baseline.
 */
async function measure(
  store: Store,
  n: number,
  leaves: Leaves,
  warm: Leaves,
): Promise<{ row: Omit<Row, "heapBytesPerLeaf" | "bufferBytesPerLeaf">; withTree: Memory }> {
  console.error(`  ${n} leaves, ${store}...`);
  const file = join(dir, `${n}-${store.replace(/\W+/g, "-")}.smst`);
  await warmUpOn(store, `${file}.warm-up`, warm);
  const builds: number[] = [];
  for (let rep = 1; rep < Math.ceil(minInserts / n); rep++) {
    const again = await build(store, `${file}.rep`, leaves, n);
    builds.push(again.ms);
    await again.tree.close();
    rmSync(`${file}.rep`, { force: true });
  }
  const { tree, ms: lastMs } = await build(store, file, leaves, n);
  builds.push(lastMs);
  const ms = summarize(builds).p50;
  const inserted = performance.now();
  const root = tree.root();
  const rootMs = performance.now() - inserted;
  // Memory with the tree; the caller takes the baseline once the tree is gone. No forced GC comes before the
  // inserts: V8 runs slower for a while after one, which would show in small trees' inserts/s.
  gc();
  gc();
  const withTree = memory();

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
  const row = {
    leaves: n,
    store,
    insertsPerSecond: Math.round(n / (ms / 1000)),
    insertsWithRootPerSecond: Math.round(n / ((ms + rootMs) / 1000)),
    rootMs: Number(rootMs.toFixed(1)),
    proveUs: { mean: Number(p.mean.toFixed(1)), p99: Number(p.p99.toFixed(1)) },
    verifyUs: { mean: Number(v.mean.toFixed(1)), p99: Number(v.p99.toFixed(1)) },
    proofBytes: Math.round(proofBytes / proofCount),
    ...(bytesPerLeaf !== undefined ? { bytesPerLeaf: Math.round(bytesPerLeaf) } : {}),
    ...(reopenMs !== undefined ? { reopenMs: Math.round(reopenMs) } : {}),
    rootHash: bytesToHex(root.hash),
  };
  return { row, withTree };
}

try {
  const warm = makeLeaves(warmUp);
  for (const n of sizes) {
    const leaves = makeLeaves(n);
    const stores: Store[] = [
      "memory",
      "log (fsync batch)",
      ...(n <= alwaysMax ? ["log (fsync always)" as const] : []),
    ];
    for (const store of stores) {
      const { row, withTree } = await measure(store, n, leaves, warm);
      gc();
      gc();
      const baseline = memory();
      rows.push({
        ...row,
        heapBytesPerLeaf: Math.round((withTree.heapUsed - baseline.heapUsed) / n),
        bufferBytesPerLeaf: Math.round((withTree.arrayBuffers - baseline.arrayBuffers) / n),
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
      "buffers B/leaf",
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
      r.heapBytesPerLeaf,
      r.bufferBytesPerLeaf,
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
      `Keys: random 32-byte relay hashes; values: real-shaped relays in their canonical encoding (encodeRelay, ` +
        `${valueSize} bytes, what the RelayMiner stores so that a proof can carry the relay): one application, ` +
        "service, session and supplier per tree, random request/response digests, uint64 nonces and 65-byte " +
        "signatures (random: they need not verify), token counts up to 4,096, the relay hash as response.requestHash; " +
        `weights are their compute units (1 per input token, 3 per output token). ${proofCount} closest proofs per ` +
        "tree, each verified (over a log store, proving reads the relay back from the log). Before each measured " +
        `tree, a throwaway tree of ${warmUp} inserts on the same store warms the JIT up; trees under ${minInserts} ` +
        `leaves are built ${"⌈"}${minInserts}/leaves${"⌉"} times and inserts/s is the median. Node digests are computed ` +
        "lazily, on the first root, so inserts+root/s is the rate of building a claimable tree; over a log store " +
        "an insert hashes its value at once, as the tree keeps the value hash instead of the value. " +
        "Keys and relays are packed in two buffers and handed to the tree as fresh views, as a RelayMiner's " +
        "relays are short-lived. Heap and buffers B/leaf: growth of the JS heap and of ArrayBuffer memory per leaf once the tree is built " +
        "and rooted (after a GC). All stores must give the same root (checked).",
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
