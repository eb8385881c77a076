/**
 * An exponentially weighted moving average over samples: `value += alpha × (sample − value)`, starting at the
 * first sample. Sample-weighted rather than time-weighted, so it is deterministic and a quiet supplier keeps
 * its last estimate instead of drifting towards zero.
 *
 * @example
 * const latency = new Ewma(0.2);
 * latency.add(100);
 * latency.add(200);
 * latency.value; // 120
 */
export class Ewma {
  #value: number | undefined;
  #count = 0;

  /** @param alpha Weight of each new sample, in (0, 1]; 1 keeps only the last sample. */
  constructor(readonly alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${alpha}`);
  }

  /** Adds a sample; non-finite samples are ignored (they would poison the average forever). */
  add(sample: number): void {
    if (!Number.isFinite(sample)) return;
    this.#count++;
    this.#value = this.#value === undefined ? sample : this.#value + this.alpha * (sample - this.#value);
  }

  /** The average, or undefined before the first sample. */
  get value(): number | undefined {
    return this.#value;
  }

  /** Samples added so far. */
  get count(): number {
    return this.#count;
  }
}
