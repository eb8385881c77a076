// The soak's time series: every few seconds, each watched process's RSS and how many relays the RelayMiner has
// served and mined so far (from its Prometheus `/metrics`), so memory can be read against requests served.
import { processUsage } from "./processes.js";

/** One point of the series; `rssMB` by process name. */
export type SoakSample = { seconds: number; served: number; mined: number; rssMB: Record<string, number> };

/** Relays served (signed responses) and mined (in a session tree) so far, summed over every label. */
export type RelayCounts = { served: number; mined: number };

/**
 * Sums a counter's samples over all its label sets in a Prometheus text exposition; 0 when absent.
 *
 * @example
 * sumCounter('decai_relays_served_total{service="a",stream="false"} 12\n', "decai_relays_served_total"); // 12
 */
export function sumCounter(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/**
 * Reads the RelayMiner's relay counters from `${minerUrl}/metrics`.
 *
 * @example
 * const { served, mined } = await scrapeRelayCounts(miner.url);
 */
export async function scrapeRelayCounts(minerUrl: string): Promise<RelayCounts> {
  const res = await fetch(`${minerUrl}/metrics`);
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`GET ${minerUrl}/metrics answered ${res.status}: ${text.slice(0, 200)}`);
  return {
    served: sumCounter(text, "decai_relays_served_total"),
    mined: sumCounter(text, "decai_relays_mined_total"),
  };
}

/**
 * Least-squares slope of `ys` against `xs` (NaN with fewer than two distinct xs).
 *
 * @example
 * leastSquaresSlope([0, 1, 2], [1, 3, 5]); // 2
 */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] as number;
    my += ys[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    sxy += dx * ((ys[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/**
 * Samples RSS (from /proc) and the RelayMiner's relay counts every `intervalMs`, one sample at a time (a slow
 * `/metrics` answer delays the next sample rather than piling up). RSS is read right after the counts, so both
 * describe the same moment.
 *
 * @example
 * const sampler = new SoakSampler(watched, () => scrapeRelayCounts(miner.url), 5000, (s) => console.error(s));
 * sampler.start(); await load; const series = await sampler.stop();
 */
export class SoakSampler {
  readonly #samples: SoakSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #startedAt = 0;
  #stopped = false;

  constructor(
    private readonly processes: { name: string; pid: number }[],
    private readonly counts: () => Promise<RelayCounts>,
    private readonly intervalMs: number,
    private readonly onSample: (sample: SoakSample) => void = () => {},
  ) {}

  /** Takes the first sample now, then one every interval. */
  async start(): Promise<void> {
    this.#startedAt = performance.now();
    await this.#sample();
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.#sample().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.#timer = setTimeout(tick, this.intervalMs);
  }

  /** Stops, takes a last sample, and returns the series. */
  async stop(): Promise<SoakSample[]> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#sample();
    return this.#samples;
  }

  async #sample(): Promise<void> {
    let counts: RelayCounts;
    try {
      counts = await this.counts();
    } catch (error) {
      console.error(`  sample skipped: ${(error as Error).message}`);
      return;
    }
    const rssMB: Record<string, number> = {};
    for (const p of this.processes) {
      rssMB[p.name] = Number(((processUsage(p.pid)?.rssBytes ?? 0) / 2 ** 20).toFixed(1));
    }
    const sample = {
      seconds: Number(((performance.now() - this.#startedAt) / 1000).toFixed(1)),
      ...counts,
      rssMB,
    };
    this.#samples.push(sample);
    this.onSample(sample);
  }
}
