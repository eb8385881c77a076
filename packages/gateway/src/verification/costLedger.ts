// The verification budget: tokens spent on checks against tokens served to users.
import { type CheckKind, checkKinds } from "./types.js";

/** Served and spent tokens, and their ratio. */
export type CostStats = {
  /** Tokens (prompt + completion) served to users. */
  servedTokens: number;
  /** Tokens spent on verification: reference prefill and generation, challenge and re-execution requests. */
  verificationTokens: number;
  /** `verificationTokens / servedTokens` (0 before anything was served). */
  fraction: number;
  byCheck: Record<CheckKind, number>;
};

/**
 * Keeps verification within `maxFraction` of served tokens (plus `burstTokens` of head start). Sampled checks
 * reserve their estimated cost before they are queued and settle the real cost when they finish, so checks in
 * flight cannot overrun the budget together.
 *
 * @example
 * const ledger = new CostLedger({ maxFraction: 0.05, burstTokens: 0 });
 * ledger.served(1200);
 * if (ledger.reserve(60)) { const spent = await check(); ledger.settle(60, "prefill", spent); }
 */
export class CostLedger {
  readonly #maxFraction: number;
  readonly #burst: number;
  #served = 0;
  #spent = 0;
  #reserved = 0;
  readonly #byCheck = Object.fromEntries(checkKinds.map((k) => [k, 0])) as Record<CheckKind, number>;

  constructor(options: { maxFraction: number; burstTokens: number }) {
    this.#maxFraction = options.maxFraction;
    this.#burst = options.burstTokens;
  }

  /** Counts tokens served to users (they grow the budget). */
  served(tokens: number): void {
    this.#served += tokens;
  }

  /** Holds `estimate` tokens of budget; false when that would exceed it. */
  reserve(estimate: number): boolean {
    const allowed = this.#maxFraction * this.#served + this.#burst;
    if (this.#spent + this.#reserved + estimate > allowed) return false;
    this.#reserved += estimate;
    return true;
  }

  /** Releases a reservation and books what the check really spent. */
  settle(reserved: number, check: CheckKind, spent: number): void {
    this.#reserved = Math.max(0, this.#reserved - reserved);
    this.spend(check, spent);
  }

  /** Books tokens spent outside a reservation (explicit checks, SDK-side work). */
  spend(check: CheckKind, tokens: number): void {
    this.#spent += tokens;
    this.#byCheck[check] += tokens;
  }

  stats(): CostStats {
    return {
      servedTokens: this.#served,
      verificationTokens: this.#spent,
      fraction: this.#served ? this.#spent / this.#served : 0,
      byCheck: { ...this.#byCheck },
    };
  }
}
