// What happens to a verdict: counted, priced, folded into the supplier's reputation, kept as evidence when it
// failed, announced to listeners and metrics.
import type { Logger } from "../log.js";
import type { GatewayMetrics } from "../metrics.js";
import type { CostLedger } from "./costLedger.js";
import { toEvidenceRecord } from "./evidence.js";
import { emptyCheckStats } from "./report.js";
import type { Reputation, Transition } from "./reputation.js";
import type { VerificationStore } from "./store.js";
import type { CheckKind, CheckResult, EvidenceRecord, ReputationState } from "./types.js";

/** What verification announces: every verdict, every state change, every evidence record stored. */
export type VerificationEvents = { check: CheckResult; state: Transition; evidence: EvidenceRecord };

/** The gateway metrics verification reports into. */
export type VerificationMetrics = Pick<
  GatewayMetrics,
  "verificationChecks" | "verificationTokens" | "verificationCost" | "supplierState"
>;

const stateValue: Record<ReputationState, number> = { good: 0, probation: 1, excluded: 2 };

/** @internal The verdict sink of a `Verifier`. */
export class Verdicts {
  readonly stats = { served: { exchanges: 0, tokens: 0 }, checks: emptyCheckStats() };
  metrics: VerificationMetrics | undefined;
  readonly #reputation: Reputation;
  readonly #store: VerificationStore;
  readonly #ledger: CostLedger;
  readonly #log: Logger;
  readonly #listeners: { [E in keyof VerificationEvents]: Set<(e: VerificationEvents[E]) => void> } = {
    check: new Set(),
    state: new Set(),
    evidence: new Set(),
  };

  constructor(deps: { reputation: Reputation; store: VerificationStore; ledger: CostLedger; log: Logger }) {
    this.#reputation = deps.reputation;
    this.#store = deps.store;
    this.#ledger = deps.ledger;
    this.#log = deps.log;
  }

  useMetrics(metrics: VerificationMetrics): void {
    this.metrics = metrics;
    for (const r of this.#reputation.records()) {
      metrics.supplierState.set(stateValue[r.state], { supplier: r.supplier, service: r.service });
    }
  }

  on<E extends keyof VerificationEvents>(event: E, listener: (e: VerificationEvents[E]) => void): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Books tokens spent on a check. */
  book(check: CheckKind, tokens: number): void {
    if (tokens <= 0) return;
    this.#ledger.spend(check, tokens);
    this.stats.checks[check].tokens += tokens;
    this.metrics?.verificationTokens.inc({ check }, tokens);
    this.metrics?.verificationCost.set(this.#ledger.stats().fraction);
  }

  /** Counts a check that was due but not run (budget, full queue, nothing to judge). */
  skip(check: CheckKind): void {
    this.stats.checks[check].skipped++;
    this.metrics?.verificationChecks.inc({ check, outcome: "skipped" });
  }

  /** Counts, prices and records one verdict; stores evidence for a failure; announces it. */
  async conclude(result: CheckResult): Promise<void> {
    const stats = this.stats.checks[result.check];
    stats.run++;
    if (result.passed) stats.passed++;
    else stats.failed++;
    this.book(result.check, result.cost);
    this.metrics?.verificationChecks.inc({
      check: result.check,
      outcome: result.passed ? "passed" : "failed",
    });
    const transition = this.#reputation.record(result.supplier, result.service, result.check, result.passed);
    const record = this.#reputation.get(result.supplier, result.service);
    if (record) await this.#store.saveReputation(record);
    if (!result.passed) {
      const evidence = toEvidenceRecord(result);
      await this.#store.addEvidence(evidence);
      this.#log.warn("verification failed", {
        supplier: result.supplier,
        service: result.service,
        check: result.check,
        code: result.code,
        reason: result.reason,
      });
      this.#emit("evidence", evidence);
    }
    this.#emit("check", result);
    if (transition) {
      const { supplier, service } = transition;
      this.metrics?.supplierState.set(stateValue[transition.to], { supplier, service });
      this.#log.warn("supplier reputation changed", { ...transition });
      this.#emit("state", transition);
    }
  }

  #emit<E extends keyof VerificationEvents>(event: E, value: VerificationEvents[E]): void {
    for (const listener of this.#listeners[event]) {
      try {
        listener(value);
      } catch (error) {
        this.#log.error("verification listener failed", { event, error });
      }
    }
  }
}
