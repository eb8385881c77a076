import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** The repository root: children run from here so that workspace imports resolve. */
export const repoRoot = join(import.meta.dirname, "..", "..");

/**
 * A free TCP port on 127.0.0.1 (bound, then released: fine for a benchmark on a quiet machine).
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A child process of the benchmark, with its output kept for error messages. */
export type Child = {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last few KB of its stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
};

/**
 * Spawns a TypeScript entry point under `node --import tsx` (plus `nodeArgs`, e.g. `--cpu-prof`), so that the
 * pid is the Node process itself (CPU and RSS sampling read /proc/<pid>). Rejects if it dies at once.
 *
 * @example
 * const miner = spawnTs("relayminer", "packages/relayminer/src/main.ts", ["--config", file]);
 */
export function spawnTs(
  name: string,
  entry: string,
  args: string[] = [],
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Child {
  return spawnCommand(
    name,
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", "tsx", entry, ...args],
    {
      env: options.env ?? {},
    },
  );
}

/**
 * Spawns any command (nginx, ...), keeping the tail of its output.
 *
 * @example
 * const nginx = spawnCommand("nginx", "nginx", ["-p", dir, "-c", conf, "-g", "daemon off;"]);
 */
export function spawnCommand(
  name: string,
  command: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): Child {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-8192);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  return {
    name,
    pid: child.pid,
    process: child,
    output: () => tail,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `url` until it answers 200, or fails with the child's output when it exits or `timeoutMs` passes.
 *
 * @example
 * await waitForHttp(`${miner.url}/health`, child);
 */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(
        `${child.name} exited (${child.process.exitCode}) before ${url} was up:\n${child.output()}`,
      );
    }
    try {
      const res = await fetch(url);
      last = `HTTP ${res.status}`;
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms (${last}):\n${child.output()}`);
}

const ticksPerSecond = 100; // USER_HZ on Linux
const pageBytes = 4096;

/** CPU seconds (user + system) a process has used so far, and its resident set now, in bytes. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuSeconds: (utime + stime) / ticksPerSecond, rssBytes: rssPages * pageBytes };
  } catch {
    return undefined;
  }
}

/** CPU share and peak RSS of one process over a measured interval. */
export type ProcessStats = { name: string; cpuCores: number; peakRssMB: number };

/**
 * Samples processes' RSS every 100 ms and their CPU time at start and end of a measured interval.
 *
 * @example
 * const monitor = new ProcessMonitor([{ name: "relayminer", pid }, { name: "load generator", pid: process.pid }]);
 * monitor.start(); await run(); const stats = monitor.stop(); // [{ name, cpuCores: 0.93, peakRssMB: 141 }]
 */
export class ProcessMonitor {
  #timer: NodeJS.Timeout | undefined;
  #start = new Map<number, number>();
  #peak = new Map<number, number>();
  #startedAt = 0;

  constructor(private readonly processes: { name: string; pid: number }[]) {}

  start(): void {
    this.#startedAt = performance.now();
    for (const p of this.processes) {
      const usage = processUsage(p.pid);
      this.#start.set(p.pid, usage?.cpuSeconds ?? 0);
      this.#peak.set(p.pid, usage?.rssBytes ?? 0);
    }
    this.#timer = setInterval(() => this.#sample(), 100);
    this.#timer.unref();
  }

  stop(): ProcessStats[] {
    clearInterval(this.#timer);
    this.#sample();
    const seconds = (performance.now() - this.#startedAt) / 1000;
    return this.processes.map((p) => {
      const cpu = (processUsage(p.pid)?.cpuSeconds ?? 0) - (this.#start.get(p.pid) ?? 0);
      return {
        name: p.name,
        cpuCores: Number((cpu / seconds).toFixed(2)),
        peakRssMB: Math.round((this.#peak.get(p.pid) ?? 0) / 2 ** 20),
      };
    });
  }

  #sample(): void {
    for (const p of this.processes) {
      const rss = processUsage(p.pid)?.rssBytes ?? 0;
      if (rss > (this.#peak.get(p.pid) ?? 0)) this.#peak.set(p.pid, rss);
    }
  }
}
