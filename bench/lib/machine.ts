import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { benchRuntime } from "./runtime.js";

/** Where and with what a benchmark ran: printed with every result, since numbers mean nothing without it. */
export type MachineInfo = {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews timings. */
  loadAverage1m: number;
  commit: string;
  versions: Record<string, string>;
};

const root = join(import.meta.dirname, "..", "..");
const require = createRequire(join(root, "package.json"));

const packageVersion = (name: string): string => {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
      .version;
  } catch {
    return "absent";
  }
};

/** First line of a command's output (stdout, else stderr: `nginx -v` writes there), or "absent". */
const commandVersion = (command: string, args: string[]): string => {
  const run = spawnSync(command, args, { encoding: "utf8" });
  if (run.error) return "absent";
  const out = `${run.stdout ?? ""}`.trim() || `${run.stderr ?? ""}`.trim();
  return out.split("\n")[0] ?? "absent";
};

/**
 * Describes this machine and the versions that shape the numbers (Node, nginx, the load generator, crypto).
 *
 * @example
 * const machine = machineInfo(); // { cores: 2, cpuModel: "AMD EPYC", ... }
 */
export function machineInfo(): MachineInfo {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" }).trim();
    if (dirty) commit += "+uncommitted";
  } catch {
    // not a git checkout
  }
  const nginx = commandVersion("nginx", ["-v"]).replace(/^nginx version: /, "");
  return {
    date: new Date().toISOString(),
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
    commit,
    versions: {
      node: process.versions.node,
      autocannon: packageVersion("autocannon"),
      viem: packageVersion("viem"),
      secp256k1: packageVersion("secp256k1"),
      nginx,
      wrk: commandVersion("wrk", ["--version"]).split(" ")[1] ?? "absent",
      runtime: benchRuntime,
    },
  };
}

/**
 * One line for Markdown headers and stdout.
 *
 * @example
 * describeMachine(machineInfo()); // "2 cores (AMD EPYC), 23 GiB, Node 20.20.2, ..."
 */
export function describeMachine(m: MachineInfo): string {
  const v = m.versions;
  return (
    `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, load ${m.loadAverage1m} at start; ` +
    `Node ${v.node}, autocannon ${v.autocannon}, nginx ${v.nginx}, secp256k1 ${v.secp256k1}, viem ${v.viem}; ` +
    `${v.runtime === "tsx" ? "Decai processes through tsx" : "Decai processes bundled (npm run bundle)"}; commit ${m.commit}; ${m.date}`
  );
}
