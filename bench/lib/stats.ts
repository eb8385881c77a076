// Exact order statistics over the samples of one run: runs are short, so every sample is kept and sorted
// (autocannon's own histogram rounds latencies to whole milliseconds, too coarse for sub-millisecond overheads).

/** Summary of a set of samples, in the samples' unit. */
export type Summary = { n: number; mean: number; p50: number; p90: number; p99: number; max: number };

/**
 * The `p`-th percentile (0..100) of ascending `sorted` samples, nearest-rank; NaN when empty.
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 2
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Sorts a copy of `samples` and summarises them.
 *
 * @example
 * summarize([0.2, 0.3, 0.25]).p50; // 0.25
 */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const n = sorted.length;
  return {
    n,
    mean: n ? total / n : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? (sorted[n - 1] as number) : Number.NaN,
  };
}

/**
 * A growable buffer of float samples (no per-sample allocation while a load test runs).
 *
 * @example
 * const s = new Samples(); s.push(0.31); summarize(s.view());
 */
export class Samples {
  #data = new Float64Array(1 << 14);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  /** The samples so far (a view: copy it before pushing more). */
  view(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
}

/**
 * Rounds for tables: 3 significant digits below 100, integers above.
 *
 * @example
 * fmt(0.123456); // "0.123"
 */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toString();
}
