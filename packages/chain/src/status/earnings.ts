import type { Address, Hex } from "viem";
import type { ClaimStage, ClaimView, NetworkStatus, Payment, SupplierServiceView } from "./types.js";

/** What an actor earned for the work of one session, and in total up to it. */
export type EarningsPoint = { session: bigint; amount: bigint; cumulative: bigint };

/** Claims counted by stage. */
export type ClaimCounts = Record<ClaimStage, number>;

/** A supplier as its page shows it: stake, work, claims and earnings. */
export type SupplierDetail = {
  address: Address;
  /** Whether it is staked now. */
  staked: boolean;
  stake: bigint;
  withdrawableFromSession?: bigint;
  services: SupplierServiceView[];
  earned: bigint;
  /** Sessions it claimed work for. */
  sessionsServed: number;
  /** Reward-applicable relays it claimed (the relays in its trees). */
  relaysMined: bigint;
  /** Compute units it claimed. */
  computeUnits: bigint;
  claimCounts: ClaimCounts;
  /** Its claims, newest first. */
  claims: ClaimView[];
  /** Supplier share per session of the work, oldest first. */
  earnings: EarningsPoint[];
};

/** A source as its page shows it: the revenue share of each of its services over time. */
export type SourceDetail = {
  address: Address;
  earned: bigint;
  /** Settled claims that paid this source. */
  settledClaims: number;
  services: {
    id: Hex;
    name: string;
    modelName: string;
    sourceShareBps: number;
    /** Whether the source owns the service now (false for one it handed on but was paid for). */
    owned: boolean;
    earned: bigint;
    /** Settled claims on the service that paid this source. */
    settledClaims: number;
    earnings: EarningsPoint[];
  }[];
  /** Every service together, oldest first. */
  earnings: EarningsPoint[];
};

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Sums payments by an address field, e.g. what each supplier earned (keys lower-cased).
 *
 * @example
 * const earned = totalsBy(status.payments, "supplier", "supplierAmount");
 * earned.get(address.toLowerCase());
 */
export function totalsBy(
  payments: readonly Payment[],
  who: "application" | "supplier" | "source",
  amount: "supplierAmount" | "sourceAmount" | "daoAmount" | "total",
): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const p of payments) {
    const k = p[who].toLowerCase();
    totals.set(k, (totals.get(k) ?? 0n) + paid(p, amount));
  }
  return totals;
}

/** Most sessions {@link earningsSeries} fills with zeros, counted back from the range's end. */
export const MAX_FILLED_SESSIONS = 500n;

/**
 * Payments summed per session of the work they pay for (oldest first), with the running total. With a `range`,
 * every session in it appears, zero when nothing was paid for it (at most the last {@link MAX_FILLED_SESSIONS}),
 * so a chart's time axis has no holes.
 *
 * @example
 * const points = earningsSeries(status.payments.filter((p) => p.supplier === me), "supplierAmount");
 */
export function earningsSeries(
  payments: readonly Payment[],
  amount: "supplierAmount" | "sourceAmount" | "daoAmount" | "total",
  range?: { from: bigint; to: bigint },
): EarningsPoint[] {
  const bySession = new Map<bigint, bigint>();
  if (range) {
    const from =
      range.to - range.from >= MAX_FILLED_SESSIONS ? range.to - MAX_FILLED_SESSIONS + 1n : range.from;
    for (let session = from; session <= range.to; session++) bySession.set(session, 0n);
  }
  // A payment always comes with its claim's settlement; `0n` only guards against a chain that says otherwise.
  for (const p of payments)
    bySession.set(p.session ?? 0n, (bySession.get(p.session ?? 0n) ?? 0n) + paid(p, amount));
  let cumulative = 0n;
  return [...bySession.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([session, value]) => {
      cumulative += value;
      return { session, amount: value, cumulative };
    });
}

/**
 * Claims counted by stage.
 *
 * @example
 * claimCounts(status.claims)["proof required"]; // 0
 */
export function claimCounts(claims: readonly ClaimView[]): ClaimCounts {
  const counts: ClaimCounts = { claimed: 0, "proof required": 0, proven: 0, settled: 0, void: 0 };
  for (const c of claims) counts[c.stage]++;
  return counts;
}

/**
 * One supplier's page out of the network status: also for a supplier that is no longer staked.
 *
 * @example
 * const { earned, claims, earnings } = selectSupplier(status, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
 */
export function selectSupplier(status: NetworkStatus, address: Address): SupplierDetail {
  const record = status.suppliers.find((s) => same(s.address, address));
  const claims = status.claims.filter((c) => same(c.supplier, address)).reverse();
  const payments = status.payments.filter((p) => same(p.supplier, address));
  return {
    address: record?.address ?? address,
    staked: record !== undefined,
    stake: record?.stake ?? 0n,
    ...(record?.withdrawableFromSession !== undefined
      ? { withdrawableFromSession: record.withdrawableFromSession }
      : {}),
    services: record?.services ?? [],
    earned: payments.reduce((sum, p) => sum + p.supplierAmount, 0n),
    sessionsServed: new Set(claims.map((c) => c.session)).size,
    relaysMined: claims.reduce((sum, c) => sum + c.rootCount, 0n),
    computeUnits: claims.reduce((sum, c) => sum + c.rootSum, 0n),
    claimCounts: claimCounts(claims),
    claims,
    earnings: earningsSeries(payments, "supplierAmount", sessionRange(claims)),
  };
}

/**
 * One source's page out of the network status: its services and their revenue share over time.
 *
 * @example
 * const { services } = selectSource(status, source);
 * services[0]?.earnings; // [{ session: 3n, amount: …, cumulative: … }]
 */
export function selectSource(status: NetworkStatus, address: Address): SourceDetail {
  const payments = status.payments.filter((p) => same(p.source, address));
  const ids = new Map<string, Hex>();
  for (const s of status.services) if (same(s.source, address)) ids.set(s.id.toLowerCase(), s.id);
  for (const p of payments) if (p.serviceId) ids.set(p.serviceId.toLowerCase(), p.serviceId);
  const claims = status.claims.filter((c) => ids.has(c.serviceId.toLowerCase()));
  const services = [...ids.values()].map((id) => {
    const service = status.services.find((s) => same(s.id, id));
    const own = payments.filter((p) => same(p.serviceId, id));
    return {
      id,
      name: service?.name ?? own[0]?.service ?? id,
      modelName: service?.modelName ?? "",
      sourceShareBps: service?.sourceShareBps ?? 0,
      owned: same(service?.source, address),
      earned: own.reduce((sum, p) => sum + p.sourceAmount, 0n),
      settledClaims: own.length,
      earnings: earningsSeries(
        own,
        "sourceAmount",
        sessionRange(claims.filter((c) => same(c.serviceId, id))),
      ),
    };
  });
  return {
    address: status.sources.find((s) => same(s.address, address))?.address ?? address,
    earned: payments.reduce((sum, p) => sum + p.sourceAmount, 0n),
    settledClaims: payments.length,
    services,
    earnings: earningsSeries(payments, "sourceAmount", sessionRange(claims)),
  };
}

/**
 * The first and last session of `claims`, or undefined when there are none: the time axis of their chart.
 *
 * @example
 * earningsSeries(payments, "total", sessionRange(claims));
 */
export function sessionRange(claims: readonly ClaimView[]): { from: bigint; to: bigint } | undefined {
  if (claims.length === 0) return undefined;
  let from = claims[0]?.session ?? 0n;
  let to = from;
  for (const c of claims) {
    if (c.session < from) from = c.session;
    if (c.session > to) to = c.session;
  }
  return { from, to };
}

function paid(p: Payment, amount: "supplierAmount" | "sourceAmount" | "daoAmount" | "total"): bigint {
  return amount === "total" ? p.supplierAmount + p.sourceAmount + p.daoAmount : p[amount];
}
