// What interactive traffic is doing, per model, so batch work can stay out of its way: requests in flight (until
// the last byte of a stream) and an EWMA of the time to the upstream's first answer against its best recent level.
import type { Upstream, UpstreamResponse } from "../upstream/types.js";

type ModelLoad = {
  inFlight: number;
  peak: number;
  peakAt: number;
  lastAt: number;
  ewmaMs?: number;
  baselineMs?: number;
};

/**
 * Watches interactive requests: `wrap` the upstream the API uses, and the batch scheduler asks `inFlight(model)`
 * and `slowed(model)` before it sends batch work to that model's suppliers.
 *
 * @example
 * const load = new InteractiveLoad();
 * const upstream = load.wrap(createHttpUpstream({ baseUrl }));
 * if (load.inFlight("tiny-llama") === 0 && !load.slowed("tiny-llama")) sendBatchLine();
 */
export class InteractiveLoad {
  readonly #models = new Map<string, ModelLoad>();
  readonly #alpha: number;
  readonly #slowFactor: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  /**
   * @param options.alpha EWMA weight of each new latency. Default 0.3.
   * @param options.slowFactor Latency above this multiple of the baseline counts as slowed. Default 1.5.
   * @param options.windowMs How long a burst of interactive requests is remembered. Default 2 s.
   */
  constructor(options: { alpha?: number; slowFactor?: number; windowMs?: number; now?: () => number } = {}) {
    this.#alpha = options.alpha ?? 0.3;
    this.#slowFactor = options.slowFactor ?? 1.5;
    this.#windowMs = options.windowMs ?? 2_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Interactive requests to `model` in flight now. */
  inFlight(model: string): number {
    return this.#models.get(model)?.inFlight ?? 0;
  }

  /**
   * The suppliers interactive traffic on `model` needs now: the most requests in flight at once over the last
   * `windowMs`, plus one spare while it is active at all, so the next request finds a free supplier.
   */
  reserved(model: string): number {
    const m = this.#models.get(model);
    if (!m) return 0;
    const now = this.#now();
    const peak = now - m.peakAt < this.#windowMs ? m.peak : m.inFlight;
    const active = m.inFlight > 0 || now - m.lastAt < this.#windowMs;
    return Math.max(peak, m.inFlight) + (active ? 1 : 0);
  }

  /** Whether interactive latency on `model` rose well above its best recent level (its suppliers are loaded). */
  slowed(model: string): boolean {
    const m = this.#models.get(model);
    if (m?.ewmaMs === undefined || m.baselineMs === undefined) return false;
    return m.ewmaMs > m.baselineMs * this.#slowFactor;
  }

  /** An upstream that counts every call through it as interactive load. */
  wrap(upstream: Upstream): Upstream {
    const wrapped: Upstream = {
      models: (signal) => upstream.models(signal),
      call: async (request) => {
        const m = this.#load(request.model);
        m.inFlight++;
        const now = this.#now();
        m.lastAt = now;
        if (m.inFlight >= m.peak || now - m.peakAt >= this.#windowMs) {
          m.peak = m.inFlight;
          m.peakAt = now;
        }
        const started = performance.now();
        let response: UpstreamResponse;
        try {
          response = await upstream.call(request);
        } catch (error) {
          m.inFlight--;
          m.lastAt = this.#now();
          throw error;
        }
        this.#observe(m, performance.now() - started);
        if (!response.stream) {
          m.inFlight--;
          m.lastAt = this.#now();
          return response;
        }
        // A stream keeps its supplier busy until it ends, however it ends (even if nobody ever reads it).
        let open = true;
        const end = () => {
          if (open) {
            m.inFlight--;
            m.lastAt = this.#now();
          }
          open = false;
        };
        const source = response.chunks[Symbol.asyncIterator]();
        const chunks: AsyncIterableIterator<Record<string, unknown>> = {
          [Symbol.asyncIterator]: () => chunks,
          next: async () => {
            try {
              const next = await source.next();
              if (next.done) end();
              return next;
            } catch (error) {
              end();
              throw error;
            }
          },
          return: async (value?: unknown) => {
            end();
            return (await source.return?.(value)) ?? { done: true, value: undefined };
          },
        };
        return { ...response, chunks };
      },
    };
    if (upstream.close) wrapped.close = () => upstream.close?.() ?? Promise.resolve();
    return wrapped;
  }

  #load(model: string): ModelLoad {
    let m = this.#models.get(model);
    if (!m) {
      m = { inFlight: 0, peak: 0, peakAt: Number.NEGATIVE_INFINITY, lastAt: Number.NEGATIVE_INFINITY };
      this.#models.set(model, m);
    }
    return m;
  }

  #observe(m: ModelLoad, ms: number): void {
    m.ewmaMs = m.ewmaMs === undefined ? ms : m.ewmaMs + this.#alpha * (ms - m.ewmaMs);
    // The baseline follows the best level down at once and creeps up slowly, so a lasting change becomes normal.
    m.baselineMs = m.baselineMs === undefined ? m.ewmaMs : Math.min(m.ewmaMs, m.baselineMs * 1.01);
  }
}
