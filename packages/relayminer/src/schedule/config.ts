// The `schedule` section of a RelayMiner config: when an idle-hardware supplier serves, and when it gives its
// machine back to its owner.
import { parseHours, type ServingHours } from "./hours.js";

/** When to serve; outside it the RelayMiner pauses (drains, and pauses on-chain unless `onChain` is false). */
export type ScheduleConfig = {
  /** Serve only inside these daily windows ("09:00-18:00", "22:00-06:00" wraps midnight); none: any time. */
  hours?: ServingHours;
  /** Read `hours` in UTC rather than the machine's local time. Default false. */
  utc: boolean;
  /** Serve only while other processes keep less than this share (0-1) of all CPU cores busy. */
  maxCpuLoad?: number;
  /** Serve only while other processes keep less than this share (0-1) of the busiest GPU busy (`nvidia-smi`). */
  maxGpuLoad?: number;
  /** Process names that count as the supplier's own load (its LLM server, e.g. "llama-server", "ollama"). */
  ownProcesses: string[];
  /** How often to look, ms. Default 15 s. */
  checkIntervalMs: number;
  /** Consecutive checks that must agree before switching, so a short spike does not flap. Default 2. */
  samples: number;
  /** Also pause and resume on-chain (out of the draw from the next session). Default true. */
  onChain: boolean;
};

/**
 * Reads the `schedule` section of a config file, or `undefined` when absent. `fail` throws the caller's config
 * error.
 *
 * @example
 * parseScheduleConfig({ hours: ["22:00-07:00"], maxGpuLoad: 0.2 }, (m, h) => { throw new ConfigError(m, h) });
 */
export function parseScheduleConfig(
  value: unknown,
  fail: (message: string, hint: string) => never,
): ScheduleConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    fail("schedule must be an object", 'e.g. "schedule": { "hours": ["22:00-07:00"], "maxCpuLoad": 0.5 }');
  }
  const s = value as Record<string, unknown>;
  const share = (name: string): number | undefined => {
    const v = s[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      fail(
        `schedule.${name} must be a share from 0 to 1, got ${JSON.stringify(v)}`,
        "0.5 = half the capacity",
      );
    }
    return v as number;
  };
  const int = (name: string, fallback: number, min: number): number => {
    const v = s[name] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) < min) {
      fail(
        `schedule.${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`,
        `fix schedule.${name}`,
      );
    }
    return v as number;
  };
  let hours: ServingHours | undefined;
  if (s.hours !== undefined) {
    const list = typeof s.hours === "string" ? [s.hours] : s.hours;
    try {
      hours = parseHours(list);
    } catch (error) {
      fail((error as Error).message, 'e.g. "hours": ["09:00-18:00"] or ["22:00-06:00"]');
    }
  }
  const own = s.ownProcesses ?? [];
  if (!Array.isArray(own) || !own.every((p) => typeof p === "string")) {
    fail("schedule.ownProcesses must be a list of process names", 'e.g. ["llama-server", "ollama"]');
  }
  const maxCpuLoad = share("maxCpuLoad");
  const maxGpuLoad = share("maxGpuLoad");
  return {
    ...(hours ? { hours } : {}),
    utc: s.utc === true,
    ...(maxCpuLoad !== undefined ? { maxCpuLoad } : {}),
    ...(maxGpuLoad !== undefined ? { maxGpuLoad } : {}),
    ownProcesses: own as string[],
    checkIntervalMs: int("checkIntervalMs", 15_000, 100),
    samples: int("samples", 2, 1),
    onChain: s.onChain !== false,
  };
}
