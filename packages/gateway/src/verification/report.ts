// What verification publishes: counters for operators and benches, and each supplier's standing for everyone.
import type { CostStats } from "./costLedger.js";
import {
  type CheckCounts,
  type CheckKind,
  checkKinds,
  type ReputationRecord,
  type ReputationState,
} from "./types.js";

/** One check kind's counters: `skipped` = sampled but not run (budget, queue full, nothing to judge). */
export type CheckStats = { run: number; passed: number; failed: number; skipped: number; tokens: number };

/** What verification did so far (the bench prints `cost.fraction`). */
export type VerificationStats = {
  /** User answers observed and their tokens (prompt + completion). */
  served: { exchanges: number; tokens: number };
  checks: Record<CheckKind, CheckStats>;
  cost: CostStats;
  queue: { pending: number; running: number; dropped: number };
};

/** A supplier's public standing for one service: one row of `GET /v1/decai/suppliers`. */
export type SupplierReport = {
  supplier: string;
  service: string;
  state: ReputationState;
  /** 0-1, three decimals. */
  score: number;
  checks: Record<CheckKind, CheckCounts>;
  /** Evidence records stored against it. */
  evidence: number;
};

/** Fresh counters for every check. */
export function emptyCheckStats(): Record<CheckKind, CheckStats> {
  return Object.fromEntries(
    checkKinds.map((k) => [k, { run: 0, passed: 0, failed: 0, skipped: 0, tokens: 0 }]),
  ) as Record<CheckKind, CheckStats>;
}

/**
 * The public rows from reputation records and evidence counts (keyed `supplier|service`), sorted by service then
 * supplier.
 *
 * @example
 * supplierReports(verifier.reputation.records(), await store.evidenceCounts());
 */
export function supplierReports(
  records: readonly ReputationRecord[],
  evidenceCounts: ReadonlyMap<string, number>,
): SupplierReport[] {
  return records
    .map((r) => ({
      supplier: r.supplier,
      service: r.service,
      state: r.state,
      score: Math.round(r.score * 1000) / 1000,
      checks: Object.fromEntries(
        checkKinds.map((k) => [k, { passed: r.checks[k]?.passed ?? 0, failed: r.checks[k]?.failed ?? 0 }]),
      ) as Record<CheckKind, CheckCounts>,
      evidence: evidenceCounts.get(`${r.supplier}|${r.service}`) ?? 0,
    }))
    .sort((a, b) => a.service.localeCompare(b.service) || a.supplier.localeCompare(b.supplier));
}
