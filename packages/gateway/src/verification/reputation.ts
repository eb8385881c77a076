// Reputation: each supplier's standing per service, from its check results. good → probation → excluded, and
// back through passing checks; the state is the routing weight the SDK applies.
import type { ReputationConfig } from "./config.js";
import type { CheckKind, ReputationRecord, ReputationState } from "./types.js";

/** A change of state, as `Reputation.record` reports it. */
export type Transition = {
  supplier: string;
  service: string;
  from: ReputationState;
  to: ReputationState;
  /** Unix ms. */
  at: number;
};

const keyOf = (supplier: string, service: string) => `${supplier.toLowerCase()}|${service}`;
const total = (r: ReputationRecord) => Object.values(r.demerits).reduce((a, b) => a + (b ?? 0), 0);

/**
 * Per-(supplier, service) reputation. A failed check adds its severity to that check's demerits; a passed check
 * forgives a share (`forgiveness`) of the same check's demerits only, so cheap checks passing on every answer
 * never wash out failures of the sampled ones. The sum decides the state, with hysteresis:
 * - `good` → `probation` at `probationAt`, → `excluded` at `excludeAt`;
 * - `probation` → `good` below `recoverAt`;
 * - `excluded` → `probation` only after `minExclusionMs`, once passing checks (watchers keep probing excluded
 *   suppliers) bring the demerits below `probationAt`.
 *
 * @example
 * const reputation = new Reputation(defaultVerificationConfig.reputation, Date.now);
 * reputation.record("0xabc…", "tiny-llama", "usage", false); // +2 demerits
 * reputation.weight("0xabc…", "tiny-llama"); // 1, 0.05 on probation, 0 when excluded
 */
export class Reputation {
  readonly #config: ReputationConfig;
  readonly #now: () => number;
  readonly #records = new Map<string, ReputationRecord>();

  constructor(config: ReputationConfig, now: () => number = Date.now) {
    this.#config = config;
    this.#now = now;
  }

  /** Loads stored records (a restart keeps exclusions). */
  restore(records: readonly ReputationRecord[]): void {
    for (const r of records) this.#records.set(keyOf(r.supplier, r.service), structuredClone(r));
  }

  /** Folds one check result in; returns the state change it caused, if any. */
  record(supplier: string, service: string, check: CheckKind, passed: boolean): Transition | undefined {
    const now = this.#now();
    const r = this.#get(supplier, service);
    const counts = r.checks[check] ?? { passed: 0, failed: 0 };
    r.checks[check] = counts;
    const owed = r.demerits[check] ?? 0;
    if (passed) {
      counts.passed++;
      r.demerits[check] = owed * (1 - this.#config.forgiveness);
    } else {
      counts.failed++;
      r.demerits[check] = owed + this.#config.severity[check];
    }
    r.updatedAt = now;
    const from = r.state;
    const to = this.#next(r, total(r), now);
    r.score = 1 / (1 + total(r));
    if (to === from) return undefined;
    r.state = to;
    r.since = now;
    return { supplier: r.supplier, service, from, to, at: now };
  }

  /** Where the supplier stands for the service (`good` when never checked). */
  state(supplier: string, service: string): ReputationState {
    return this.#records.get(keyOf(supplier, service))?.state ?? "good";
  }

  /** The routing weight: 1 good, `probationWeight` on probation, 0 excluded. */
  weight(supplier: string, service: string): number {
    const state = this.state(supplier, service);
    return state === "good" ? 1 : state === "probation" ? this.#config.probationWeight : 0;
  }

  /** The supplier's record (a copy), if it was ever checked for the service. */
  get(supplier: string, service: string): ReputationRecord | undefined {
    const r = this.#records.get(keyOf(supplier, service));
    return r && structuredClone(r);
  }

  /** Every record (copies). */
  records(): ReputationRecord[] {
    return [...this.#records.values()].map((r) => structuredClone(r));
  }

  #next(r: ReputationRecord, demerits: number, now: number): ReputationState {
    const c = this.#config;
    switch (r.state) {
      case "good":
        return demerits >= c.excludeAt ? "excluded" : demerits >= c.probationAt ? "probation" : "good";
      case "probation":
        return demerits >= c.excludeAt ? "excluded" : demerits < c.recoverAt ? "good" : "probation";
      case "excluded":
        return now - r.since >= c.minExclusionMs && demerits < c.probationAt ? "probation" : "excluded";
    }
  }

  #get(supplier: string, service: string): ReputationRecord {
    const key = keyOf(supplier, service);
    let r = this.#records.get(key);
    if (!r) {
      const now = this.#now();
      r = {
        supplier: supplier.toLowerCase(),
        service,
        state: "good",
        score: 1,
        demerits: {},
        checks: {},
        since: now,
        updatedAt: now,
      };
      this.#records.set(key, r);
    }
    return r;
  }
}
