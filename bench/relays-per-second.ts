// Scenario 3, relays per second: the full relay path at saturation on this machine (the load generator, the
// mock backend, the RelayMiner, anvil, and the gateway when it serves through the network, share its cores),
// the peak RSS of each Decai process, and where the RelayMiner's (and gateway's) CPU goes, from a
// `node --cpu-prof` profile taken over the measured runs only. Twice: with the RelayMiner's data on disk (the
// default; the targets are judged on it), then on tmpfs, where fsync costs nothing and the CPU is the limit.
//
//   npx tsx bench/relays-per-second.ts [--duration 10] [--warmup 2] [--levels 32,64,128] [--no-tmpfs]
//
// Writes bench/results/relays-per-second.json and .md.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startBackendProcess } from "./lib/backend.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { monotonicUs, type ProfileSummary, readProfile, summarizeProfile } from "./lib/cpuprofile.js";
import { gatewayAvailability, startGatewayUnderTest } from "./lib/gateway.js";
import type { LoadResult } from "./lib/load.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { type BenchNetwork, startBenchNetwork, startRelayMinerProcess } from "./lib/network.js";
import { ProcessMonitor, type ProcessStats } from "./lib/processes.js";
import { type Table, writeReport } from "./lib/report.js";
import { fmt } from "./lib/stats.js";
import { type LoadTarget, measureTarget } from "./lib/targets.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    levels: { type: "string", default: "32,64,128" },
    "no-tmpfs": { type: "boolean", default: false },
  },
});
const durationSeconds = Number(values.duration);
const warmupSeconds = Number(values.warmup);
const levels = (values.levels as string).split(",").map(Number);
const goalRps = 3000;
const goalRssMB = 250;

type Row = { result: LoadResult; processes: ProcessStats[] };
type Variant = { name: string; dataRoot: string | undefined };
type VariantResult = {
  variant: string;
  path: string;
  label: string;
  rows: Row[];
  profiles: Record<string, ProfileSummary | undefined>;
};

const machine = machineInfo();
console.error(`relays per second on ${describeMachine(machine)}`);
const profileRoot = mkdtempSync(join(tmpdir(), "decai-bench-prof-"));
onCleanup(async () => rmSync(profileRoot, { recursive: true, force: true }));
const net = await startBenchNetwork();
onCleanup(() => net.stop());
const notes: string[] = [];
try {
  const backend = await startBackendProcess({ completionTokens: 8 });
  onCleanup(() => backend.stop());
  const gatewayState = await gatewayAvailability();
  const variants: Variant[] = [
    { name: "disk", dataRoot: undefined },
    ...(!values["no-tmpfs"] && existsSync("/dev/shm") ? [{ name: "tmpfs", dataRoot: "/dev/shm" }] : []),
  ];
  const results: VariantResult[] = [];
  for (const variant of variants)
    results.push(await measureVariant(net, backend, variant, gatewayState.available));
  if (!gatewayState.available) {
    notes.push(
      `Full path = (c') load generator → RelayMiner → mock backend: ${gatewayState.reason}. Relays are pre-signed ` +
        "as the gateway would sign them; the RelayMiner verifies, meters, proxies, signs, and mines every relay " +
        'into its session tree (fsync "always"), data in the system temp directory ("disk") or /dev/shm ("tmpfs").',
    );
  }

  // ---------------------------------------------------------------- report
  const tables: Table[] = [];
  const bestOf = (r: VariantResult) => r.rows.reduce((a, b) => (b.result.rps > a.result.rps ? b : a));
  for (const r of results) {
    tables.push({
      title: `${r.label}, data on ${r.variant}, ${durationSeconds} s per level (latency in ms, CPU in cores busy)`,
      columns: [
        "conns",
        "relays/s",
        "p50",
        "p99",
        "failed",
        "CPU by process",
        "CPU ms per relay by process",
        "peak RSS MB by process",
      ],
      rows: r.rows.map(({ result, processes }) => [
        result.connections,
        result.rps,
        fmt(result.latencyMs.p50),
        fmt(result.latencyMs.p99),
        result.non2xx + result.errors + result.timeouts,
        processes.map((p) => `${p.name} ${p.cpuCores}`).join(", "),
        processes.map((p) => `${p.name} ${fmt(cpuMsPerRelay(p.cpuCores, result.rps))}`).join(", "),
        processes.map((p) => `${p.name} ${p.peakRssMB}`).join(", "),
      ]),
    });
  }
  for (const r of results) {
    for (const [name, summary] of Object.entries(r.profiles)) {
      if (!summary) continue;
      tables.push({
        title: `Where the ${name}'s CPU goes, data on ${r.variant} (${summary.busyMs} ms of samples not idle, of ${summary.totalMs} ms)`,
        columns: ["category", "ms sampled", "% of busy"],
        rows: summary.categories.map((c) => [c.category, c.ms, c.shareOfBusy]),
      });
      tables.push({
        title: `The ${name}'s heaviest functions by self time, data on ${r.variant}`,
        columns: ["function", "ms sampled", "% of busy"],
        rows: summary.topFunctions.map((f) => [f.name.replaceAll("|", "\\|"), f.ms, f.shareOfBusy]),
      });
    }
  }
  const disk = results[0] as VariantResult;
  const best = bestOf(disk);
  const peak = (name: string) =>
    Math.max(
      0,
      ...results.flatMap((r) =>
        r.rows.flatMap((row) => row.processes.filter((p) => p.name === name).map((p) => p.peakRssMB)),
      ),
    );
  const targets = [
    {
      name: "relays/s, full path, this machine (data on disk)",
      goal: `>= ${goalRps}`,
      measured: best.result.rps,
      met: best.result.rps >= goalRps,
    },
    ...(gatewayState.available ? ["gateway", "relayminer"] : ["relayminer"]).map((name) => ({
      name: `peak RSS of the ${name} at saturation (MB)`,
      goal: `<= ${goalRssMB}`,
      measured: peak(name),
      met: peak(name) <= goalRssMB,
    })),
  ];
  for (const r of results) {
    const b = bestOf(r);
    const cores = b.processes.reduce((sum, p) => sum + p.cpuCores, 0);
    const perRelay = cpuMsPerRelay(cores, b.result.rps);
    // Every process on the path shares the machine's cores: CPU per relay, summed, bounds relays/s.
    notes.push(
      `CPU budget, data on ${r.variant}, at ${b.result.connections} connections: ${fmt(perRelay)} ms of CPU per ` +
        `relay across the watched processes (${b.processes.map((p) => `${p.name} ${fmt(cpuMsPerRelay(p.cpuCores, b.result.rps))}`).join(", ")}), ` +
        `so ${machine.cores} cores cap this path near ${Math.round((machine.cores * 1000) / perRelay)} relays/s ` +
        `(anvil and the kernel's share come on top). ${goalRps} relays/s would need ${fmt((machine.cores * 1000) / goalRps)} ms per relay in all.`,
    );
    notes.push(
      `Best with data on ${r.variant}: ${b.result.rps} relays/s at ${b.result.connections} connections, ` +
        `${fmt(cores)} of ${machine.cores} cores busy across the watched processes (${b.processes.map((p) => `${p.name} ${p.cpuCores}`).join(", ")}).`,
    );
  }
  notes.push(
    "Profiles: samples of the main thread over the measured runs (warm-ups included, start-up excluded). Each " +
      'sample is charged to the first frame, from the leaf up, that a category claims; "ms sampled" is wall time ' +
      "between samples, so on a busy machine it also counts time spent waiting for a core: read the shares.",
    ...targets.map(
      (t) => `Target: ${t.name} ${t.goal}: measured ${t.measured}, ${t.met ? "met" : "NOT met"}.`,
    ),
  );
  writeReport({
    name: "relays-per-second",
    title: "Relays per second at saturation, and where the CPU goes",
    machine,
    notes,
    tables,
    data: { durationSeconds, warmupSeconds, levels, gateway: gatewayState, results, targets },
  });
} finally {
  await runCleanup();
}

/** Milliseconds of CPU one relay costs a process that kept `cores` busy at `rps`. */
function cpuMsPerRelay(cores: number, rps: number): number {
  return rps > 0 ? (cores * 1000) / rps : 0;
}

/** Starts a profiled RelayMiner (and gateway) on `variant`'s data root, loads it at every level, stops it. */
async function measureVariant(
  net: BenchNetwork,
  backend: { origin: string; child: { pid: number } },
  variant: Variant,
  withGateway: boolean,
): Promise<VariantResult> {
  const profileDir = join(profileRoot, variant.name);
  const profiled = (name: string) => ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, name)}`];
  const miner = await startRelayMinerProcess(net, backend.origin, {
    nodeArgs: profiled("relayminer"),
    ...(variant.dataRoot ? { dataRoot: variant.dataRoot } : {}),
  });
  onCleanup(() => miner.stop());
  const watched = [
    { name: "relayminer", pid: miner.child.pid },
    { name: "backend", pid: backend.child.pid },
    { name: "load generator", pid: process.pid },
  ];
  let target: LoadTarget = {
    id: "c'",
    label: "(c') RelayMiner → mock backend",
    url: `${miner.url}/v1/chat/completions`,
    signed: true,
  };
  let stopGateway = async () => {};
  if (withGateway) {
    const gateway = await startGatewayUnderTest(net, { nodeArgs: profiled("gateway") });
    onCleanup(() => gateway.stop());
    stopGateway = () => gateway.stop();
    target = {
      id: "c",
      label: gateway.label,
      url: `${gateway.origin}/v1/chat/completions`,
      headers: gateway.headers,
      signed: false,
    };
    watched.unshift({ name: "gateway", pid: gateway.child.pid });
  }
  const rows: Row[] = [];
  const windows: { fromUs: number; toUs: number }[] = [];
  let expectedRps = 3000;
  for (const connections of levels) {
    console.error(`  ${target.label}, data on ${variant.name}, at ${connections} connections...`);
    const monitor = new ProcessMonitor(watched);
    const fromUs = monotonicUs();
    monitor.start();
    const result = await measureTarget(net, target, {
      connections,
      durationSeconds,
      warmupSeconds,
      expectedRps,
    });
    const processes = monitor.stop();
    windows.push({ fromUs, toUs: monotonicUs() });
    expectedRps = Math.max(expectedRps, result.rps * 1.5);
    if (result.exhausted)
      console.error("    the pre-signed relays ran out before the end: throughput is a floor");
    rows.push({ result, processes });
  }
  // SIGTERM makes the processes write their profiles.
  await stopGateway();
  await miner.stop();
  const summarize = (name: string): ProfileSummary | undefined => {
    const dir = join(profileDir, name);
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(".cpuprofile")) : undefined;
    if (!file) return undefined;
    const from = Math.min(...windows.map((w) => w.fromUs));
    const to = Math.max(...windows.map((w) => w.toUs));
    return summarizeProfile(readProfile(join(dir, file)), undefined, { fromUs: from, toUs: to });
  };
  const profiles: Record<string, ProfileSummary | undefined> = { relayminer: summarize("relayminer") };
  if (withGateway) profiles.gateway = summarize("gateway");
  return { variant: variant.name, path: target.id, label: target.label, rows, profiles };
}
