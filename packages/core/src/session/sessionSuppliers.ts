import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";

/**
 * One period during which a supplier served a service, sessions `[fromSession, untilSession)`; mirrors
 * `SupplierEntry` in contracts/src/interfaces/IStaking.sol.
 */
export type SupplierEntry = { supplier: Address; fromSession: bigint; untilSession: bigint };

/** Inputs of the supplier draw for one (application, service, session). */
export type SessionDrawInput = {
  seed: Hex;
  application: Address;
  serviceId: Hex;
  session: bigint;
  /** All entries recorded for the service (any order). */
  entries: readonly SupplierEntry[];
  /** `suppliersPerSession` of the session's epoch. */
  suppliersPerSession: number;
};

const scoreParams = [
  { type: "bytes32" },
  { type: "address" },
  { type: "bytes32" },
  { type: "uint64" },
  { type: "address" },
] as const;

/**
 * The draw score of `supplier`: keccak256(abi.encode(seed, application, serviceId, session, supplier)).
 * Lower scores win. Same formula as `Sessions.sol`.
 *
 * @example
 * const score = sessionScore(seed, app, serviceId, 7n, supplier);
 */
export function sessionScore(
  seed: Hex,
  application: Address,
  serviceId: Hex,
  session: bigint,
  supplier: Address,
): Hex {
  return keccak256(encodeAbiParameters(scoreParams, [seed, application, serviceId, session, supplier]));
}

/**
 * The suppliers of one session: the `suppliersPerSession` eligible suppliers with the lowest score, in
 * ascending score order (ties: lower address first). A supplier is eligible when one of its entries covers
 * the session. Identical to `Sessions.getSessionSuppliers` on-chain, so anyone can compute it off-chain.
 *
 * @example
 * const suppliers = computeSessionSuppliers({ seed, application, serviceId, session: 7n, entries, suppliersPerSession: 3 });
 */
export function computeSessionSuppliers(input: SessionDrawInput): Address[] {
  const { seed, application, serviceId, session } = input;
  const scored: { supplier: Address; score: Hex; key: string }[] = [];
  // Staking never lets two entries of one supplier cover the same session, so there is nothing to dedupe
  // (and deduping here would diverge from the contract if that rule were ever broken).
  for (const entry of input.entries) {
    if (entry.fromSession > session || session >= entry.untilSession) continue;
    const key = entry.supplier.toLowerCase();
    scored.push({
      supplier: entry.supplier,
      score: sessionScore(seed, application, serviceId, session, entry.supplier),
      key,
    });
  }
  // Fixed-width lowercase hex compares like the numbers it encodes.
  scored.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.key < b.key ? -1 : 1));
  return scored.slice(0, input.suppliersPerSession).map((s) => s.supplier);
}
