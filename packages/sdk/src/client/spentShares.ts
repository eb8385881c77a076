import type { Address, Hex } from "viem";

/**
 * Remembers which suppliers refused an application with 429 (its share of the escrow for that supplier is spent)
 * in which session, so later requests of the session skip them. Sessions older than the previous one are
 * forgotten.
 * @internal
 */
export class SpentShares {
  readonly #spent = new Map<string, Set<string>>();

  /** The suppliers that are spent for (application, service, session), lower-cased. */
  of(application: Address, serviceId: Hex, session: bigint): ReadonlySet<string> | undefined {
    return this.#spent.get(`${application}|${serviceId}|${session}`.toLowerCase());
  }

  add(application: Address, serviceId: Hex, session: bigint, supplier: Address): void {
    const key = `${application}|${serviceId}|${session}`.toLowerCase();
    const spent = this.#spent.get(key) ?? new Set<string>();
    spent.add(supplier.toLowerCase());
    this.#spent.set(key, spent);
    for (const k of this.#spent.keys()) {
      if (BigInt(k.slice(k.lastIndexOf("|") + 1)) < session - 1n) this.#spent.delete(k);
    }
  }
}
