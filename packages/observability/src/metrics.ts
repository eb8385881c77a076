// Prometheus text exposition (format 0.0.4) without a dependency: counters, gauges and histograms with labels.

type Labels = Record<string, string>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`invalid metric name "${name}"`);
  }

  protected key(labels: Labels | undefined): string {
    if (this.labelNames.length === 0) return "";
    return this.labelNames.map((n) => labels?.[n] ?? "").join("\u0000");
  }

  protected values(key: string): string[] {
    return this.labelNames.length === 0 ? [] : key.split("\u0000");
  }

  abstract render(): string;
}

/**
 * A monotonically increasing count.
 *
 * @example
 * const served = registry.counter("decai_gateway_requests_total", "Requests.", ["model"]);
 * served.inc({ model: "tiny-llama" });
 */
export class Counter extends Metric {
  readonly #values = new Map<string, number>();

  inc(labels?: Labels, by = 1): void {
    const k = this.key(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }

  /** The current count for `labels` (0 when never incremented). */
  get(labels?: Labels): number {
    return this.#values.get(this.key(labels)) ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.#values)
      out += `${this.name}${labelText(this.labelNames, this.values(k))} ${v}\n`;
    return out;
  }
}

/**
 * A value that goes up and down, or is read on scrape through `collect`.
 *
 * @example
 * registry.gauge("decai_gateway_keys", "API keys.", [], () => keyCount);
 */
export class Gauge extends Metric {
  readonly #values = new Map<string, number>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly collect?: () => number,
  ) {
    super(name, help, labelNames);
  }

  set(value: number, labels?: Labels): void {
    this.#values.set(this.key(labels), value);
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    if (this.collect) return `${out}${this.name} ${this.collect()}\n`;
    for (const [k, v] of this.#values)
      out += `${this.name}${labelText(this.labelNames, this.values(k))} ${v}\n`;
    return out;
  }
}

/** Default latency buckets in seconds: 5 ms to 2 min, for LLM calls that range from embeddings to long streams. */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Observations counted into cumulative buckets, with their sum and count.
 *
 * @example
 * const latency = registry.histogram("decai_gateway_request_duration_seconds", "Latency.", ["model"]);
 * latency.observe(0.42, { model: "tiny-llama" });
 */
export class Histogram extends Metric {
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[] = latencyBuckets,
  ) {
    super(name, help, labelNames);
  }

  observe(value: number, labels?: Labels): void {
    const k = this.key(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    // Counted in the first bucket that holds it; render() makes the counts cumulative.
    let i = 0;
    while (i < this.buckets.length && value > (this.buckets[i] as number)) i++;
    if (i < this.buckets.length) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }

  /** Number of observations for `labels`. */
  count(labels?: Labels): number {
    return this.#series.get(this.key(labels))?.count ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [k, s] of this.#series) {
      const values = this.values(k);
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        out += `${this.name}_bucket${labelText(this.labelNames, values, `le="${le}"`)} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${s.count}\n`;
      out += `${this.name}_sum${labelText(this.labelNames, values)} ${s.sum}\n`;
      out += `${this.name}_count${labelText(this.labelNames, values)} ${s.count}\n`;
    }
    return out;
  }
}

/**
 * A set of metrics rendered together for `/metrics`.
 *
 * @example
 * const registry = new MetricsRegistry();
 * const c = registry.counter("decai_x_total", "Xs.");
 * res.end(registry.render());
 */
export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: () => number): Gauge {
    return this.#add(new Gauge(name, help, labelNames, collect));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets?: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** The Prometheus text format of every metric. */
  render(): string {
    return this.#metrics.map((m) => m.render()).join("");
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) {
      throw new Error(`metric "${metric.name}" is already registered`);
    }
    this.#metrics.push(metric);
    return metric;
  }
}
