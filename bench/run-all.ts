// `npm run bench`: every scenario in turn, each in its own process, then one summary of the targets.
//
//   npm run bench [-- --only proxy-overhead,smst,verification] [--quick] [--gas] [--summary-only]
//
// --quick shortens every scenario (a smoke run; its numbers are not worth committing). --gas re-runs the relay
// mining gas report (10, 10^3 and 10^6 relays: about 25 min on 2 cores); without it the latest
// bench/results/relay-mining-gas.json is summarised as it is. Writes bench/results/summary.json and .md.
// The soak alone takes 10 minutes (1 with --quick); real-model runs the generated tiny model unless
// DECAI_BENCH_GGUF names a GGUF (then its time depends on that model and the machine).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { machineInfo } from "./lib/machine.js";
import { repoRoot } from "./lib/processes.js";
import { resultsDir, type Table, writeReport } from "./lib/report.js";
import { fmt } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    quick: { type: "boolean", default: false },
    gas: { type: "boolean", default: false },
    "summary-only": { type: "boolean", default: false },
  },
});

/** Each scenario: its file, Node flags, and the arguments of a quick run. */
const scenarios = [
  { name: "proxy-overhead", node: [], quick: ["--duration", "1", "--warmup", "0.5"] },
  { name: "streaming", node: [], quick: ["--streams", "8"] },
  { name: "relays-per-second", node: [], quick: ["--duration", "2", "--warmup", "1", "--levels", "64"] },
  {
    name: "smst",
    node: ["--expose-gc", "--max-old-space-size=8192"],
    quick: ["--sizes", "1000,10000", "--proofs", "100"],
  },
  { name: "relay-mining-gas", node: [], quick: [] },
  { name: "verification", node: [], quick: ["--requests", "200", "--runs", "1"] },
  { name: "soak", node: [], quick: ["--minutes", "1"] },
  { name: "real-model", node: [], quick: ["--requests", "4", "--max-tokens", "64"] },
];
const only = values.only?.split(",");
const chosen = values["summary-only"]
  ? []
  : scenarios.filter((s) => (only ? only.includes(s.name) : s.name !== "relay-mining-gas" || values.gas));

const failed: string[] = [];
for (const s of chosen) {
  const args = [...s.node, "--import", "tsx", join("bench", `${s.name}.ts`)];
  if (values.quick) args.push(...s.quick);
  console.error(`\n=== ${s.name}: node ${args.join(" ")}`);
  const run = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: "inherit" });
  if (run.status !== 0) failed.push(`${s.name} (exit ${run.status ?? run.signal})`);
}

// ---------------------------------------------------------------- summary of the latest results
type Target = { name: string; goal: string; measured: unknown; met: boolean };
const read = (name: string): Record<string, unknown> | undefined => {
  const file = join(resultsDir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;
};
const rows: (string | number)[][] = [];
const dates: string[] = [];
for (const name of ["proxy-overhead", "streaming", "relays-per-second", "smst", "verification", "soak"]) {
  const result = read(name);
  if (!result) {
    rows.push([name, "no results yet", "–", "–", "–"]);
    continue;
  }
  if (typeof result.skipped === "string") {
    rows.push([name, "skipped", "–", result.skipped, "–"]);
    continue;
  }
  const machine = result.machine as { date: string; cores: number; loadAverage1m: number };
  dates.push(`${name}: ${machine.date} (${machine.cores} cores, load ${machine.loadAverage1m} at start)`);
  const targets = (result.targets ?? (result.target ? [result.target] : [])) as Target[];
  for (const t of targets) {
    rows.push([
      name,
      t.name,
      t.goal,
      typeof t.measured === "number" ? fmt(t.measured) : String(t.measured),
      t.met ? "met" : "NOT met",
    ]);
  }
}
const tables: Table[] = [
  { title: "Targets", columns: ["scenario", "target", "goal", "measured", "status"], rows },
];

const proxy = read("proxy-overhead") as
  | {
      networkPath: string;
      levels: number[];
      runs: {
        target: string;
        result: { connections: number; rps: number; latencyMs: { p50: number; p99: number } };
      }[];
    }
  | undefined;
if (proxy) {
  const at = (id: string, c: number) =>
    proxy.runs.find((r) => r.target === id && r.result.connections === c)?.result;
  const added = (id: string, c: number, p: "p50" | "p99") => {
    const x = at(id, c);
    const a = at("a", c);
    return x && a ? x.latencyMs[p] - a.latencyMs[p] : undefined;
  };
  const ratio = (x?: number, y?: number) =>
    x === undefined || y === undefined || y <= 0 ? "–" : `${fmt(x / y)}×`;
  const n = proxy.networkPath;
  tables.push({
    title: `Proxy overhead: (${n}) against two nginx hops (b), added over direct (a), ms`,
    columns: [
      "conns",
      "(b) added p50",
      `(${n}) added p50`,
      "ratio p50",
      "(b) added p99",
      `(${n}) added p99`,
      "ratio p99",
      "req/s ratio",
    ],
    rows: proxy.levels.map((c) => [
      c,
      fmt(added("b", c, "p50")),
      fmt(added(n, c, "p50")),
      ratio(added(n, c, "p50"), added("b", c, "p50")),
      fmt(added("b", c, "p99")),
      fmt(added(n, c, "p99")),
      ratio(added(n, c, "p99"), added("b", c, "p99")),
      ratio(at(n, c)?.rps, at("b", c)?.rps),
    ]),
  });
}
const real = read("real-model") as
  | {
      skipped?: string;
      tiny: boolean;
      model: string;
      embedded: { gpu: string | false; gpuDevices: string[] };
      machine: { date: string };
      results: {
        label: string;
        tokensPerSecond: number;
        decodeTokensPerSecond: number;
        ttftMs: { p50: number };
      }[];
      ratio: { tokensPerSecond: number; decodeTokensPerSecond: number; addedTtftMsP50: number };
    }
  | undefined;
if (real?.skipped) dates.push(`real-model: skipped (${real.skipped})`);
else if (real) {
  dates.push(`real-model: ${real.machine.date}`);
  const device = real.embedded.gpu ? `${real.embedded.gpu} ${real.embedded.gpuDevices.join(", ")}` : "CPU";
  tables.push({
    title: `Real model on llama.cpp (bench/results/real-model.md): ${real.tiny ? "the generated tiny model, random weights: only the ratios mean anything" : real.model} on ${device}`,
    columns: ["path", "tokens/s", "decode tokens/s", "TTFT p50 ms"],
    rows: [
      ...real.results.map((r) => [
        r.label,
        fmt(r.tokensPerSecond),
        fmt(r.decodeTokensPerSecond),
        fmt(r.ttftMs.p50),
      ]),
      [
        "network / direct",
        `${fmt(real.ratio.tokensPerSecond)}×`,
        `${fmt(real.ratio.decodeTokensPerSecond)}×`,
        `${real.ratio.addedTtftMsP50 >= 0 ? "+" : ""}${fmt(real.ratio.addedTtftMsP50)}`,
      ],
    ],
  });
}
const gas = read("relay-mining-gas") as
  | { measuredAt: string; rows: { leaves: number; claimGas: number; proofGas: number; settleGas: number }[] }
  | undefined;
if (gas) {
  dates.push(`relay-mining-gas: ${gas.measuredAt}`);
  tables.push({
    title: "Relay mining gas (bench/results/relay-mining-gas.md)",
    columns: ["leaves", "claim gas", "proof gas", "settle gas"],
    rows: gas.rows.map((r) => [r.leaves, r.claimGas, r.proofGas, r.settleGas]),
  });
}
writeReport({
  name: "summary",
  title: "Decai benchmarks: summary",
  machine: machineInfo(),
  notes: [
    [
      "The latest result of each scenario (its own file under bench/results/ has every number and how it was measured):",
      ...dates.map((d) => `- ${d}`),
    ].join("\n"),
    ...(failed.length > 0 ? [`Failed in this run: ${failed.join(", ")}.`] : []),
  ],
  tables,
  data: { failed, tables },
});
if (failed.length > 0) process.exitCode = 1;
