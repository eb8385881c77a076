// What a RelayMiner is expected to hold in memory per relay of an open session, so that a soak can tell the
// growth it is built to have (the session tree, the replay guard) from a leak. Both are dropped when the session
// is claimed; the soak keeps one session open for the whole run, and mines every relay.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resultsDir } from "./report.js";

/** Memory per leaf of the session tree (JS heap, plus ArrayBuffers where measured), as `bench/smst.ts` measured it. */
export type TreeBytesPerLeaf = {
  bytes: number;
  /** Where the number comes from, e.g. "bench/results/smst.json, 100,000 leaves (memory), 2026-11-25". */
  source: string;
};

/**
 * Reads the SMST's memory per leaf from `bench/results/smst.json` (heap bytes per leaf, plus ArrayBuffer bytes
 * per leaf when the file has them): the row nearest to `leaves` (on a log scale), preferring a log-store row (what
 * the RelayMiner opens) when one measured its heap. `undefined` when the file or the measurement is missing.
 *
 * @example
 * const perLeaf = treeBytesPerLeaf(1_000_000); // { bytes: 1258, source: "bench/results/smst.json, ..." }
 */
export function treeBytesPerLeaf(leaves: number): TreeBytesPerLeaf | undefined {
  const file = join(resultsDir, "smst.json");
  if (!existsSync(file)) return undefined;
  let result: {
    machine?: { date?: string };
    rows?: { leaves: number; store: string; heapBytesPerLeaf?: number; bufferBytesPerLeaf?: number }[];
  };
  try {
    result = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const measured = (result.rows ?? []).filter((r) => typeof r.heapBytesPerLeaf === "number");
  const logRows = measured.filter((r) => r.store.startsWith("log"));
  const rows = logRows.length > 0 ? logRows : measured;
  if (rows.length === 0) return undefined;
  const distance = (r: { leaves: number }) => Math.abs(Math.log(r.leaves) - Math.log(Math.max(1, leaves)));
  const best = rows.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  const date = result.machine?.date?.slice(0, 10) ?? "undated";
  const buffers = best.bufferBytesPerLeaf;
  return {
    bytes: (best.heapBytesPerLeaf as number) + (buffers ?? 0),
    source:
      `bench/results/smst.json, ${best.leaves.toLocaleString("en-US")} leaves (${best.store}), ` +
      `${buffers === undefined ? "JS heap" : "JS heap + ArrayBuffers"}, ${date}`,
  };
}

// The RelayMiner's ReplayGuard keeps every relay hash of an open session as a lower-case 0x-hex string in a Set.
const replayProbe = `
const n = 200000;
const hex = (i) => "0x" + i.toString(16).padStart(64, "0");
globalThis.gc(); globalThis.gc();
const before = process.memoryUsage().heapUsed;
const set = new Set();
for (let i = 0; i < n; i++) set.add(hex(i * 2654435761).toLowerCase());
globalThis.gc(); globalThis.gc();
process.stdout.write(String((process.memoryUsage().heapUsed - before) / set.size));
`;

/**
 * Heap bytes per relay hash held by the RelayMiner's replay guard (a 66-character string in a `Set`), measured
 * in a short child process with `--expose-gc` (a fraction of a second). `undefined` if the probe fails.
 *
 * @example
 * replayHeapBytesPerRelay(); // ~120
 */
export function replayHeapBytesPerRelay(): number | undefined {
  const run = spawnSync(process.execPath, ["--expose-gc", "-e", replayProbe], { encoding: "utf8" });
  const bytes = Number(run.stdout);
  return run.status === 0 && Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : undefined;
}
