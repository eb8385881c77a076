import autocannon, { type RequestParams } from "autocannon";
import { Samples, type Summary, summarize } from "./stats.js";

/** Hands out one value per request for a header (signed relays), `undefined` once spent. */
export type HeaderSource = { next(): string | undefined; readonly size: number };

/** One closed-loop load run: `connections` clients, each sending its next request when the last one answered. */
export type LoadOptions = {
  /** Full URL, e.g. "http://127.0.0.1:8080/v1/chat/completions". */
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** A header set per request, e.g. `Decai-Relay-Request` from a pool of signed relays. */
  perRequest?: { header: string; source: HeaderSource };
};

/** What a run measured; latencies in milliseconds, of 2xx answers only. */
export type LoadResult = {
  connections: number;
  seconds: number;
  /** 2xx answers. */
  ok: number;
  /** 2xx answers per second. */
  rps: number;
  latencyMs: Summary;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** True when the per-request header source ran out before `durationSeconds`. */
  exhausted: boolean;
};

/**
 * Runs autocannon against `url` and times every answer exactly (autocannon's own histogram rounds to whole
 * milliseconds). The same generator serves every target: with `perRequest`, each request gets its own header
 * value (rebuilt per request); targets that need none get a constant of the same size, so the generator does
 * the same work everywhere.
 *
 * @example
 * const r = await runLoad({ url, body, connections: 16, durationSeconds: 5 });
 * console.log(r.rps, r.latencyMs.p50);
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  const source = options.perRequest?.source;
  // Every client builds its first request twice (at setup and before sending): keep a margin.
  const cap =
    source && Number.isFinite(source.size)
      ? Math.max(1, source.size - 2 * options.connections - 8)
      : undefined;
  let exhausted = false;
  const setupRequest = options.perRequest
    ? (request: RequestParams): RequestParams => {
        const value = options.perRequest?.source.next();
        if (value === undefined) exhausted = true;
        return {
          ...request,
          headers: { ...request.headers, [options.perRequest?.header as string]: value ?? "spent" },
        };
      }
    : undefined;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        method: "POST",
        body: options.body,
        headers: { "content-type": "application/json", ...options.headers },
        connections: options.connections,
        duration: options.durationSeconds,
        timeout: 30,
        ...(cap !== undefined ? { maxOverallRequests: cap } : {}),
        ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - started) / 1000;
        const ok = result["2xx"];
        const statusCodes: Record<string, number> = {};
        for (const [code, s] of Object.entries(result.statusCodeStats)) statusCodes[code] = s.count;
        resolve({
          connections: options.connections,
          seconds: Number(seconds.toFixed(2)),
          ok,
          rps: Math.round(ok / seconds),
          latencyMs: summarize(samples.view()),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          exhausted: exhausted || (cap !== undefined && ok + result.non2xx >= cap),
        });
      },
    );
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) samples.push(ms);
    });
  });
}

/**
 * A header source that always gives the same value: for targets that need no per-request header, so that the
 * load generator still rebuilds every request like it does for signed relays.
 *
 * @example
 * const source = constantSource("x".repeat(700));
 */
export function constantSource(value: string): HeaderSource {
  return { next: () => value, size: Number.POSITIVE_INFINITY };
}
