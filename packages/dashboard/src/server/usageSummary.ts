import type { AdminKey, AdminUsage } from "@decai/gateway";

/** Requests, tokens, cost and latency of a group of usage rows. */
export type UsageStats = {
  requests: number;
  /** Requests that did not end `ok`. */
  failed: number;
  inputTokens: number;
  outputTokens: number;
  /** Payment-token base units, as a decimal string. */
  cost: string;
  ttftP50: number | null;
  ttftP95: number | null;
  latencyP50: number | null;
  latencyP95: number | null;
};

/** The console's usage view: per key, per model, and over time. */
export type UsageSummary = {
  since: string;
  until: string;
  /** Rows read (at most the gateway's page size). */
  rows: number;
  total: UsageStats;
  byKey: (UsageStats & { keyId: string; name: string })[];
  byModel: (UsageStats & { model: string })[];
  /** Equal time buckets from `since` to `until`, oldest first. */
  series: { start: string; requests: number; tokens: number; cost: string }[];
};

type Row = AdminUsage & {
  model?: string | null;
  requestedModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  ttftMs?: number | null;
  latencyMs?: number;
  createdAt?: string;
};

/**
 * Groups a gateway's usage rows by key and by model, with latency percentiles, and buckets them over time.
 *
 * @example
 * const summary = summarizeUsage(await admin.usage({ since }), await admin.listKeys(), { since, until, buckets: 24 });
 */
export function summarizeUsage(
  usage: readonly AdminUsage[],
  keys: readonly AdminKey[],
  window: { since: number; until: number; buckets: number },
): UsageSummary {
  const rows = usage as readonly Row[];
  const names = new Map(keys.map((k) => [k.id, k.name || k.prefix]));
  const group = <K extends string>(by: (r: Row) => K) => {
    const groups = new Map<K, Row[]>();
    for (const r of rows) {
      const list = groups.get(by(r));
      if (list) list.push(r);
      else groups.set(by(r), [r]);
    }
    return groups;
  };
  const byKey = [...group((r) => r.keyId)].map(([keyId, rs]) => ({
    keyId,
    name: names.get(keyId) ?? keyId,
    ...stats(rs),
  }));
  const byModel = [...group((r) => r.model ?? r.requestedModel ?? "unknown")].map(([model, rs]) => ({
    model,
    ...stats(rs),
  }));
  const span = Math.max(1, window.until - window.since);
  const size = span / window.buckets;
  const series = Array.from({ length: window.buckets }, (_, i) => ({
    start: new Date(window.since + i * size).toISOString(),
    requests: 0,
    tokens: 0,
    cost: 0n,
  }));
  for (const r of rows) {
    const at = r.createdAt ? Date.parse(r.createdAt) : Number.NaN;
    if (!Number.isFinite(at)) continue;
    const bucket = series[Math.min(window.buckets - 1, Math.max(0, Math.floor((at - window.since) / size)))];
    if (!bucket) continue;
    bucket.requests++;
    bucket.tokens += (r.inputTokens ?? 0) + (r.outputTokens ?? 0);
    bucket.cost += toBig(r.cost);
  }
  return {
    since: new Date(window.since).toISOString(),
    until: new Date(window.until).toISOString(),
    rows: rows.length,
    total: stats(rows),
    byKey: byKey.sort((a, b) => b.requests - a.requests),
    byModel: byModel.sort((a, b) => b.requests - a.requests),
    series: series.map((b) => ({ ...b, cost: b.cost.toString() })),
  };
}

/**
 * The `p`-th percentile (0–100) of `values` by nearest rank; null when there are none.
 *
 * @example
 * percentile([10, 20, 30, 40], 50); // 20
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

function stats(rows: readonly Row[]): UsageStats {
  const ttft = rows.map((r) => r.ttftMs).filter((v): v is number => typeof v === "number");
  const latency = rows.map((r) => r.latencyMs).filter((v): v is number => typeof v === "number");
  return {
    requests: rows.length,
    failed: rows.filter((r) => r.outcome !== "ok").length,
    inputTokens: rows.reduce((n, r) => n + (r.inputTokens ?? 0), 0),
    outputTokens: rows.reduce((n, r) => n + (r.outputTokens ?? 0), 0),
    cost: rows.reduce((n, r) => n + toBig(r.cost), 0n).toString(),
    ttftP50: percentile(ttft, 50),
    ttftP95: percentile(ttft, 95),
    latencyP50: percentile(latency, 50),
    latencyP95: percentile(latency, 95),
  };
}

function toBig(value: unknown): bigint {
  try {
    return BigInt(String(value ?? "0"));
  } catch {
    return 0n;
  }
}
