import type { Address, Hex } from "viem";

/**
 * The most compute units this supplier may serve `application` for `serviceId` in `session`: beyond it the
 * supplier would not be paid. See {@link escrowCap} for the protocol's rule.
 */
export type MeterCap = (application: Address, serviceId: Hex, session: bigint) => bigint;

/** Compute units held for one in-flight relay; settle or release it exactly once. */
export type Reservation = { readonly key: string; readonly computeUnits: bigint; done: boolean };

/** What the meter has counted for one (application, service, session). */
export type MeterUsage = { used: bigint; reserved: bigint };

/**
 * The optimistic rate limiter: per (application, service, session) it charges each relay's worst case before it
 * is served (`reserve`), corrects to the actual weight afterwards (`settle`), and refuses once the cap is spent,
 * so over-serving, which earns nothing, never happens. Counts are in memory: after a restart they start from 0.
 *
 * @example
 * const meter = new RelayMeter(cap);
 * const r = meter.reserve(app, serviceId, session, worstCase);
 * if (!r) return reply429();
 * // ... serve ...
 * meter.settle(r, actualWeight);
 */
export class RelayMeter {
  readonly #usage = new Map<string, MeterUsage>();

  constructor(private readonly cap: MeterCap) {}

  /**
   * Holds `computeUnits` for a relay, or returns undefined (refuse with 429) when used + reserved + computeUnits
   * would exceed the cap.
   */
  reserve(
    application: Address,
    serviceId: Hex,
    session: bigint,
    computeUnits: bigint,
  ): Reservation | undefined {
    const key = `${application}|${serviceId}|${session}`.toLowerCase();
    let usage = this.#usage.get(key);
    if (!usage) {
      usage = { used: 0n, reserved: 0n };
      this.#usage.set(key, usage);
    }
    if (usage.used + usage.reserved + computeUnits > this.cap(application, serviceId, session))
      return undefined;
    usage.reserved += computeUnits;
    return { key, computeUnits, done: false };
  }

  /** Replaces a reservation by the relay's actual weight (which may exceed it: it is charged all the same). */
  settle(reservation: Reservation, actualComputeUnits: bigint): void {
    const usage = this.#finish(reservation);
    if (usage) usage.used += actualComputeUnits;
  }

  /** Drops a reservation for a relay that was not served (backend down, client gone before any byte). */
  release(reservation: Reservation): void {
    this.#finish(reservation);
  }

  /** What has been counted for (application, service, session). */
  usage(application: Address, serviceId: Hex, session: bigint): MeterUsage {
    return (
      this.#usage.get(`${application}|${serviceId}|${session}`.toLowerCase()) ?? { used: 0n, reserved: 0n }
    );
  }

  /**
   * Forgets sessions before `session` (they can no longer be served), except while relays of them are still in
   * flight: their claim waits for those (`usage().reserved`).
   */
  forgetBefore(session: bigint): void {
    for (const [key, usage] of this.#usage) {
      if (usage.reserved === 0n && BigInt(key.slice(key.lastIndexOf("|") + 1)) < session)
        this.#usage.delete(key);
    }
  }

  #finish(reservation: Reservation): MeterUsage | undefined {
    if (reservation.done) throw new Error("reservation already settled or released");
    reservation.done = true;
    const usage = this.#usage.get(reservation.key);
    if (usage) usage.reserved -= reservation.computeUnits;
    return usage;
  }
}

/** What {@link escrowCap} reads: the indexer's state fits. */
export type EscrowCapChain = {
  escrow(application: Address): bigint;
  readonly epochs: readonly { startSession: bigint; suppliersPerSession: number }[];
};

/**
 * The protocol's cap in compute units: a supplier can be paid at most
 * `escrow / (suppliersPerSession × pendingSessions)` payment tokens for one application in one session
 * (`RelayMining.maxPayablePerSupplier`), and each compute unit pays `paymentPerComputeUnit`.
 *
 * @example
 * const meter = new RelayMeter(escrowCap(indexer.state, { pendingSessions: 3n, paymentPerComputeUnit: 10n ** 12n }));
 */
export function escrowCap(
  chain: EscrowCapChain,
  params: { pendingSessions: bigint; paymentPerComputeUnit: bigint },
): MeterCap {
  if (params.pendingSessions <= 0n || params.paymentPerComputeUnit <= 0n) {
    throw new RangeError("pendingSessions and paymentPerComputeUnit must be positive");
  }
  return (application, _serviceId, session) => {
    let suppliers = 0;
    for (const e of chain.epochs) {
      if (e.startSession <= session) suppliers = e.suppliersPerSession;
      else break;
    }
    if (suppliers === 0) return 0n;
    const payable = chain.escrow(application) / (BigInt(suppliers) * params.pendingSessions);
    return payable / params.paymentPerComputeUnit;
  };
}
