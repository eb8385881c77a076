// How busy the machine is with work that is not the supplier's: the CPU share of other processes (Linux /proc, else
// os.cpus() minus this process), and the GPU share of other processes from `nvidia-smi` when it is installed.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

/** Clock ticks per second of /proc times; 100 on every mainstream Linux. */
const ticksPerSecond = 100;

const cpuTotals = () => {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    const sum = t.user + t.nice + t.sys + t.idle + t.irq;
    total += sum;
    busy += sum - t.idle;
  }
  return { busy, total }; // ms, summed over cores
};

/** CPU ms used so far by processes whose command name is in `names` (Linux only; 0 elsewhere). */
function namedProcessesMs(names: ReadonlySet<string>): number {
  if (names.size === 0 || process.platform !== "linux") return 0;
  let ms = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      if (!names.has(comm)) continue;
      const fields = stat.slice(close + 2).split(" ");
      ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond; // utime + stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ms;
}

/**
 * A sampler of the CPU share (0-1 of all cores) used by other processes since the previous call: the machine's
 * busy time minus this process's and minus processes named in `ownProcesses`. The first call measures from the
 * sampler's creation.
 *
 * @example
 * const otherCpu = cpuLoadSampler({ ownProcesses: ["llama-server"] });
 * setInterval(() => console.log(otherCpu()), 10_000);
 */
export function cpuLoadSampler(options: { ownProcesses?: readonly string[] } = {}): () => number {
  const names = new Set(options.ownProcesses ?? []);
  const read = () => {
    const { busy, total } = cpuTotals();
    const own = process.cpuUsage();
    return { busy, total, own: (own.user + own.system) / 1000 + namedProcessesMs(names) };
  };
  let last = read();
  return () => {
    const now = read();
    const total = now.total - last.total;
    const other = now.busy - last.busy - (now.own - last.own);
    last = now;
    return total > 0 ? Math.min(1, Math.max(0, other / total)) : 0;
  };
}

/**
 * The busiest GPU's share (0-1) used by processes other than ours, from `nvidia-smi pmon -c 1 -s u` output:
 * the SM% of each process, summed per GPU, leaving out `ownPids` and `ownProcesses`.
 *
 * @example
 * gpuLoadFromPmon(text, { ownPids: [process.pid], ownProcesses: ["llama-server"] }); // 0.42
 */
export function gpuLoadFromPmon(
  text: string,
  own: { ownPids: readonly number[]; ownProcesses: readonly string[] },
): number {
  const perGpu = new Map<string, number>();
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || line.trim().startsWith("#")) continue;
    const [gpu, pid, , sm] = cols as [string, string, string, string];
    perGpu.set(gpu, perGpu.get(gpu) ?? 0);
    const command = cols.at(-1) ?? "";
    if (!/^\d+$/.test(pid) || !/^\d+$/.test(sm)) continue;
    if (own.ownPids.includes(Number(pid)) || own.ownProcesses.includes(command)) continue;
    perGpu.set(gpu, (perGpu.get(gpu) ?? 0) + Number(sm));
  }
  return Math.min(1, Math.max(0, ...perGpu.values()) / 100);
}

/**
 * A sampler of other processes' GPU share through `nvidia-smi` (NVIDIA GPUs); resolves `undefined` when
 * `nvidia-smi` is missing or fails, so a schedule without a GPU simply ignores the GPU condition.
 *
 * @example
 * const otherGpu = gpuLoadSampler({ ownProcesses: ["ollama"] });
 * console.log(await otherGpu()); // 0.0 on an idle GPU, undefined without nvidia-smi
 */
export function gpuLoadSampler(
  options: { ownProcesses?: readonly string[]; command?: string } = {},
): () => Promise<number | undefined> {
  const own = { ownPids: [process.pid], ownProcesses: options.ownProcesses ?? [] };
  return () =>
    new Promise((resolve) => {
      execFile(
        options.command ?? "nvidia-smi",
        ["pmon", "-c", "1", "-s", "u"],
        { timeout: 10_000 },
        (error, stdout) => resolve(error ? undefined : gpuLoadFromPmon(String(stdout), own)),
      );
    });
}
