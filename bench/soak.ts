// Soak: the full path, load generator → gateway (its own process) → RelayMiner (its own process) → mock backend,
// at a fixed concurrency for minutes, with each process's RSS sampled every few seconds against the relays
// served so far. Memory must stay under the ceiling and flat: no growth per request. One session lasts the whole
// run and the bench mines every relay (target "max"), so the RelayMiner's session tree and replay guard grow by
// design with every relay; their expected share is printed next to its slope, and "flat" is judged on the rest.
//
//   npx tsx bench/soak.ts [--minutes 10] [--connections 16] [--warmup <s>] [--interval <s>]
//
// --warmup defaults to a minute or a fifth of the run, whichever is shorter: RSS at its end is the start of the
// measured part. Writes bench/results/soak.json and .md.
import { parseArgs } from "node:util";
import { startBackendProcess } from "./lib/backend.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { gatewayAvailability, startGatewayUnderTest } from "./lib/gateway.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { startBenchNetwork, startRelayMinerProcess } from "./lib/network.js";
import { ProcessMonitor, type ProcessStats } from "./lib/processes.js";
import { type Table, writeReport } from "./lib/report.js";
import { replayHeapBytesPerRelay, treeBytesPerLeaf } from "./lib/sessionState.js";
import { leastSquaresSlope, type SoakSample, SoakSampler, scrapeRelayCounts } from "./lib/soakSampler.js";
import { fmt } from "./lib/stats.js";
import { measureTarget } from "./lib/targets.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    warmup: { type: "string" },
    interval: { type: "string" },
  },
});
const totalSeconds = Math.round(Number(values.minutes) * 60);
const connections = Number(values.connections);
const warmupSeconds = values.warmup ? Number(values.warmup) : Math.min(60, totalSeconds / 5);
const intervalSeconds = values.interval
  ? Number(values.interval)
  : Math.max(1, Math.min(5, totalSeconds / 30));
if (!(totalSeconds > 0 && connections > 0 && warmupSeconds >= 0 && warmupSeconds < totalSeconds)) {
  throw new Error("--minutes and --connections must be positive, and --warmup shorter than the run");
}
const goalRssMB = 250;
/** "Flat": at most this much RSS growth per 10,000 requests (50 bytes a request) beyond the expected state. */
const flatGoalMBPer10k = 0.5;
const MB = 2 ** 20;

type ProcessSoak = {
  name: string;
  judged: boolean;
  startMB: number;
  endMB: number;
  peakMB: number;
  cpuCores: number;
  /** Least-squares slope of RSS against relays served, over the measured part. */
  slopeMBPer10k: number;
  /** What the open session is expected to add per 10,000 relays (RelayMiner only). */
  expectedMBPer10k: number | undefined;
  /** The slope less the expected share: what "flat" is judged on. */
  residualMBPer10k: number;
};

const machine = machineInfo();
console.error(`soak on ${describeMachine(machine)}`);
const gatewayState = await gatewayAvailability();
if (!gatewayState.available) {
  const reason = `the soak drives the full path through the gateway, and ${gatewayState.reason}`;
  console.error(`skipped: ${reason}`);
  writeReport({
    name: "soak",
    title: "Soak: memory over a long run at fixed concurrency",
    machine,
    notes: [`Skipped: ${reason}.`],
    tables: [],
    data: { skipped: reason, targets: [] },
  });
  process.exit(0);
}
const net = await startBenchNetwork();
onCleanup(() => net.stop());
try {
  const backend = await startBackendProcess({ completionTokens: 8 });
  onCleanup(() => backend.stop());
  const miner = await startRelayMinerProcess(net, backend.origin);
  onCleanup(() => miner.stop());
  const gateway = await startGatewayUnderTest(net);
  onCleanup(() => gateway.stop());
  const watched = [
    { name: "gateway", pid: gateway.child.pid },
    { name: "relayminer", pid: miner.child.pid },
    { name: "backend", pid: backend.child.pid },
    { name: "load generator", pid: process.pid },
  ];
  const judged = new Set(["gateway", "relayminer"]);
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  let lastPrinted = -Infinity;
  const sampler = new SoakSampler(
    watched,
    () => scrapeRelayCounts(miner.url),
    intervalSeconds * 1000,
    (s) => {
      if (s.seconds - lastPrinted < 60 && s.seconds < totalSeconds) return;
      lastPrinted = s.seconds;
      const rss = Object.entries(s.rssMB).map(([name, mb]) => `${name} ${Math.round(mb)}`);
      console.error(
        `  ${clock(s.seconds)}  ${s.served.toLocaleString("en-US")} relays  RSS MB: ${rss.join(", ")}`,
      );
    },
  );

  console.error(
    `  ${gateway.label} at ${connections} connections for ${clock(totalSeconds)} (warm-up ${warmupSeconds} s, ` +
      `a sample every ${intervalSeconds} s)...`,
  );
  const monitor = new ProcessMonitor(watched);
  monitor.start();
  await sampler.start();
  const load = await measureTarget(
    net,
    {
      id: "c",
      label: gateway.label,
      url: `${gateway.origin}/v1/chat/completions`,
      headers: gateway.headers,
      signed: false,
    },
    { connections, durationSeconds: totalSeconds, warmupSeconds: 0, expectedRps: 0 },
  );
  const series = await sampler.stop();
  const stats = monitor.stop();

  // ---------------------------------------------------------------- analysis
  const measured = series.filter((s) => s.seconds >= warmupSeconds);
  if (measured.length < 3) throw new Error(`only ${measured.length} samples after the warm-up: run longer`);
  const first = measured[0] as SoakSample;
  const last = measured[measured.length - 1] as SoakSample;
  const servedMeasured = last.served - first.served;
  const minedShare = servedMeasured > 0 ? (last.mined - first.mined) / servedMeasured : 0;
  const tree = treeBytesPerLeaf(last.mined);
  const replayBytes = replayHeapBytesPerRelay();
  const perRelayBytes = minedShare * (tree?.bytes ?? 0) + (replayBytes ?? 0);
  const per10k = (bytes: number) => (bytes * 10_000) / MB;
  const sessionStateMB = (last.mined * (tree?.bytes ?? 0) + last.served * (replayBytes ?? 0)) / MB;
  const processes: ProcessSoak[] = watched.map(({ name }) => {
    const stat = stats.find((p) => p.name === name) as ProcessStats;
    const slope =
      leastSquaresSlope(
        measured.map((s) => s.served),
        measured.map((s) => s.rssMB[name] ?? 0),
      ) * 10_000;
    const expected = name === "relayminer" ? per10k(perRelayBytes) : undefined;
    return {
      name,
      judged: judged.has(name),
      startMB: first.rssMB[name] ?? 0,
      endMB: last.rssMB[name] ?? 0,
      peakMB: stat.peakRssMB,
      cpuCores: stat.cpuCores,
      slopeMBPer10k: slope,
      expectedMBPer10k: expected,
      residualMBPer10k: slope - (expected ?? 0),
    };
  });
  const byName = (name: string) => processes.find((p) => p.name === name) as ProcessSoak;
  const failures = load.non2xx + load.errors + load.timeouts;

  // ---------------------------------------------------------------- report
  const bytesPerRequest = (mbPer10k: number) => fmt((mbPer10k * MB) / 10_000);
  const tables: Table[] = [
    {
      title: `RSS per process (MB), measured part ${clock(first.seconds)} to ${clock(last.seconds)}: ${servedMeasured.toLocaleString("en-US")} relays; growth per 10,000 relays is the least-squares slope of RSS against relays served`,
      columns: [
        "process",
        "RSS at start",
        "RSS at end",
        "peak RSS",
        "CPU cores",
        "growth / 10k relays",
        "expected (session state)",
        "growth beyond it",
        "beyond it, B/relay",
      ],
      rows: processes.map((p) => [
        p.name,
        fmt(p.startMB),
        fmt(p.endMB),
        p.peakMB,
        p.cpuCores,
        fmt(p.slopeMBPer10k),
        p.expectedMBPer10k === undefined ? "–" : fmt(p.expectedMBPer10k),
        fmt(p.residualMBPer10k),
        bytesPerRequest(p.residualMBPer10k),
      ]),
    },
    {
      title: "Load (latency in ms, of 2xx answers)",
      columns: [
        "path",
        "conns",
        "seconds",
        "requests ok",
        "req/s",
        "p50",
        "p99",
        "max",
        "failed",
        "status codes",
      ],
      rows: [
        [
          gateway.label,
          connections,
          load.seconds,
          load.ok,
          load.rps,
          fmt(load.latencyMs.p50),
          fmt(load.latencyMs.p99),
          fmt(load.latencyMs.max),
          failures,
          Object.entries(load.statusCodes)
            .map(([code, n]) => `${code}: ${n}`)
            .join(", "),
        ],
      ],
    },
    {
      title: "RSS over time (MB; every sample is in the JSON)",
      columns: ["time", "relays served", ...watched.map((w) => w.name)],
      rows: thin(series, 20).map((s) => [
        clock(s.seconds),
        s.served,
        ...watched.map((w) => fmt(s.rssMB[w.name] ?? 0)),
      ]),
    },
  ];
  const miningNote =
    `The RelayMiner mined ${fmt(100 * minedShare)}% of the relays of the measured part into one session tree, ` +
    "open for the whole run; it also keeps every served relay's hash in its replay guard. Expected session state " +
    `per relay: ${fmt(minedShare)} × ${tree ? `${tree.bytes} B (tree memory per leaf, ${tree.source})` : "unknown B (tree memory per leaf: bench/results/smst.json has no heap measurement; run bench/smst.ts)"} ` +
    `+ ${replayBytes ?? "unknown"} B (a relay hash in the replay guard's Set, measured in a child process) = ` +
    `${fmt(perRelayBytes)} B, i.e. ${fmt(per10k(perRelayBytes))} MB per 10,000 relays` +
    `${tree ? "" : " without the tree, which is counted as growth below"}. Both are dropped once the session is claimed; ` +
    "in production the difficulty adapts so that the tree stays about the same size whatever the traffic. " +
    `At the end of the run they are worth about ${fmt(sessionStateMB)} MB of the RelayMiner's RSS: peak RSS less ` +
    `that is ${fmt(byName("relayminer").peakMB - sessionStateMB)} MB.`;
  const rssTargets = [...judged].map((name) => ({
    name: `peak RSS of the ${name}, ${connections} connections, ${clock(totalSeconds)} soak (MB)`,
    goal: `<= ${goalRssMB}`,
    measured: byName(name).peakMB,
    met: byName(name).peakMB <= goalRssMB,
  }));
  const flatTargets = [...judged].map((name) => {
    const p = byName(name);
    return {
      name:
        name === "relayminer"
          ? "RelayMiner RSS growth per 10,000 relays beyond its session state (MB)"
          : "gateway RSS growth per 10,000 relays (MB)",
      goal: `<= ${flatGoalMBPer10k} (flat)`,
      measured: Number(p.residualMBPer10k.toFixed(3)),
      met: p.residualMBPer10k <= flatGoalMBPer10k,
    };
  });
  const targets = [...rssTargets, ...flatTargets];
  const notes = [
    `Full path (c): autocannon in this process → the gateway (its own process; SQLite store, one API key) → the ` +
      `RelayMiner (its own process: signatures, meter, mining into its session tree with fsync "always", data on ` +
      `disk) → the mock backend (8-token answers), closed loop at ${connections} connections for ${clock(totalSeconds)}. ` +
      `RSS from /proc every ${intervalSeconds} s with the RelayMiner's relay counters (/metrics); the peak is ` +
      "sampled every 100 ms over the whole run, warm-up included. The first " +
      `${warmupSeconds} s are a warm-up (JIT, V8 heap sizing, SQLite cache): the slopes use the samples after it.`,
    miningNote,
    `"Flat" means at most ${flatGoalMBPer10k} MB per 10,000 relays (about ${Math.round((flatGoalMBPer10k * MB) / 10_000)} B a relay) ` +
      "beyond the expected state. RSS moves with the V8 heap's collections, so a short run's slope is noisy: judge " +
      "on the 10-minute run, and read the series for a steady climb versus a sawtooth. The mock backend keeps " +
      "nothing per request: its slope is a yardstick of that noise. A negative remainder for the RelayMiner means " +
      "its RSS grew less than the estimate (V8 filling heap pages it had already committed, or the tree holding " +
      "less per leaf than bench/smst.ts measured).",
    `Requests: ${load.ok.toLocaleString("en-US")} answered 2xx, ${failures} failed (${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts); ` +
      `the RelayMiner served ${last.served.toLocaleString("en-US")} relays and mined ${last.mined.toLocaleString("en-US")}.`,
    ...targets.map(
      (t) => `Target: ${t.name} ${t.goal}: measured ${fmt(t.measured)}, ${t.met ? "met" : "NOT met"}.`,
    ),
  ];
  writeReport({
    name: "soak",
    title: "Soak: memory over a long run at fixed concurrency",
    machine,
    notes,
    tables,
    data: {
      minutes: totalSeconds / 60,
      connections,
      warmupSeconds,
      intervalSeconds,
      path: gateway.label,
      load,
      minedShare,
      treeBytesPerLeaf: tree ?? null,
      replayHeapBytesPerRelay: replayBytes ?? null,
      sessionStateMBAtEnd: sessionStateMB,
      processes,
      targets,
      series,
    },
  });
} finally {
  await runCleanup();
}

/** At most `n` samples, evenly spread, first and last included. */
function thin<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))] as T);
}
