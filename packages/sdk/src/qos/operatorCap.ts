/** Options of {@link OperatorShareCap}. */
export type OperatorShareCapOptions = {
  /** Largest share of recent picks one operator may take, in (0, 1]. */
  maxShare: number;
  /** How many recent picks the share is measured over. Default 200. */
  window?: number;
  /** No cap until this many picks are in the window (a share of 3 picks means little). Default 20. */
  minPicks?: number;
};

/**
 * Caps any single operator's share of recent traffic, so one party running many suppliers (or one very fast
 * supplier) cannot take over a service's routing. The share is measured over the last `window` picks. An
 * operator at or above `maxShare` is skipped while another operator can serve; with no alternative it is used
 * anyway: the cap spreads traffic, it never fails a request.
 *
 * @example
 * const cap = new OperatorShareCap({ maxShare: 0.5 });
 * const allowed = cap.filter(candidates, (c) => c.operator);
 * cap.record(chosen.operator);
 */
export class OperatorShareCap {
  readonly maxShare: number;
  readonly #window: number;
  readonly #minPicks: number;
  readonly #ring: string[] = [];
  #next = 0;
  readonly #counts = new Map<string, number>();

  constructor(options: OperatorShareCapOptions) {
    if (!(options.maxShare > 0 && options.maxShare <= 1)) {
      throw new RangeError(`maxShare must be in (0, 1], got ${options.maxShare}`);
    }
    this.maxShare = options.maxShare;
    this.#window = Math.max(1, Math.floor(options.window ?? 200));
    this.#minPicks = Math.max(1, Math.floor(options.minPicks ?? 20));
  }

  /** Counts one pick of `operator`, dropping the oldest pick once the window is full. */
  record(operator: string): void {
    if (this.#ring.length < this.#window) {
      this.#ring.push(operator);
    } else {
      const old = this.#ring[this.#next] as string;
      const left = (this.#counts.get(old) ?? 1) - 1;
      if (left > 0) this.#counts.set(old, left);
      else this.#counts.delete(old);
      this.#ring[this.#next] = operator;
      this.#next = (this.#next + 1) % this.#window;
    }
    this.#counts.set(operator, (this.#counts.get(operator) ?? 0) + 1);
  }

  /** The operator's share of the picks in the window (0 when there are none). */
  share(operator: string): number {
    const total = this.#ring.length;
    return total === 0 ? 0 : (this.#counts.get(operator) ?? 0) / total;
  }

  /** Whether `operator` is under its cap (always true until `minPicks` picks were recorded). */
  allows(operator: string): boolean {
    return this.#ring.length < this.#minPicks || this.share(operator) < this.maxShare;
  }

  /** The candidates whose operator is under the cap, or all of them when that would leave none. */
  filter<T>(candidates: readonly T[], operatorOf: (candidate: T) => string): readonly T[] {
    const allowed = candidates.filter((c) => this.allows(operatorOf(c)));
    return allowed.length > 0 ? allowed : candidates;
  }
}
