import type { Address, Hex } from "viem";
import {
  type ClaimCounts,
  claimCounts,
  type EarningsPoint,
  earningsSeries,
  sessionRange,
} from "./earnings.js";
import type { ClaimView, NetworkStatus } from "./types.js";

/** An application as `decai app status` shows it: escrow, delegations, claims against it and what it spent. */
export type ApplicationDetail = {
  address: Address;
  /** Whether it holds an escrow now. */
  staked: boolean;
  escrow: bigint;
  withdrawableFromSession?: bigint;
  services: { id: Hex; name: string }[];
  gateways: Address[];
  /** Paid out of its escrow in total (supplier + source + DAO). */
  spent: bigint;
  /** Settled claims it paid for. */
  settledClaims: number;
  claimCounts: ClaimCounts;
  /** Claims against it, newest first. */
  claims: ClaimView[];
  /** Spent per session of the work it paid for, oldest first. */
  spending: EarningsPoint[];
};

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * One application's view out of the network status, the way {@link selectSupplier} reads a supplier's. An
 * application the status does not list (no escrow and never paid) comes back empty, with `staked: false`.
 *
 * @example
 * const { spent, settledClaims, claimCounts } = selectApplication(status, app);
 */
export function selectApplication(status: NetworkStatus, address: Address): ApplicationDetail {
  const record = status.applications.find((a) => same(a.address, address));
  const claims = status.claims.filter((c) => same(c.application, address)).reverse();
  const payments = status.payments.filter((p) => same(p.application, address));
  return {
    address: record?.address ?? address,
    staked: (record?.escrow ?? 0n) > 0n,
    escrow: record?.escrow ?? 0n,
    ...(record?.withdrawableFromSession !== undefined
      ? { withdrawableFromSession: record.withdrawableFromSession }
      : {}),
    services: record?.services ?? [],
    gateways: record?.gateways ?? [],
    spent: payments.reduce((sum, p) => sum + p.supplierAmount + p.sourceAmount + p.daoAmount, 0n),
    settledClaims: payments.length,
    claimCounts: claimCounts(claims),
    claims,
    spending: earningsSeries(payments, "total", sessionRange(claims)),
  };
}
