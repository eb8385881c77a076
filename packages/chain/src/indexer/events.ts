import { type AbiEvent, type Address, type Hex, parseAbiItem } from "viem";
import { serviceRegistryAbi, sessionClockAbi, stakingAbi } from "../generated/contracts.js";

// EscrowPaid lowers an escrow; it arrives with the settlement contract, so it may be missing from older
// bindings. Declared here too, it is followed either way.
const escrowPaid = parseAbiItem(
  "event EscrowPaid(address indexed application, address indexed supplier, address indexed source, uint256 supplierAmount, uint256 sourceAmount, uint256 daoAmount)",
);

const sessionClockEvents = ["SessionSeedRecorded", "BlocksPerSessionUpdated", "SuppliersPerSessionUpdated"];
const registryEvents = ["ServiceRegistered", "ServiceUpdated"];
const stakingEvents = [
  "SupplierServiceAdded",
  "SupplierServiceRemoved",
  "SupplierWeightsDigestDeclared",
  "SupplierWithdrawn",
  "ApplicationStaked",
  "ApplicationServiceAdded",
  "ApplicationUnstaked",
  "ApplicationWithdrawn",
  "GatewayDelegated",
  "GatewayUndelegated",
];

function pick(abi: readonly unknown[], names: string[]): AbiEvent[] {
  return (abi as AbiEvent[]).filter((item) => item.type === "event" && names.includes(item.name));
}

/** The events the indexer follows, across the SessionClock, ServiceRegistry and Staking contracts. */
export const indexedEvents: readonly AbiEvent[] = [
  ...pick(sessionClockAbi, sessionClockEvents),
  ...pick(serviceRegistryAbi, registryEvents),
  ...pick(stakingAbi, stakingEvents),
  ...(pick(stakingAbi, ["EscrowPaid"]).length ? pick(stakingAbi, ["EscrowPaid"]) : [escrowPaid]),
];

/** A decoded log, as viem's `getLogs({ events })` returns it. */
export type IndexedLog = { eventName?: string; args?: unknown; blockNumber: bigint | null };

/** What a batch of logs changed: seeds to store, and state to re-read at the batch's last block. */
export type ChainChanges = {
  seeds: Map<bigint, Hex>;
  epochs: boolean;
  services: Set<Hex>;
  entries: Set<Hex>;
  /** Applications seen using a followed service (tracked from then on). */
  newApplications: Set<Address>;
  /** Applications whose escrow or services may have changed. */
  applications: Set<Address>;
  /** [application, gateway] pairs whose delegation history changed. */
  delegations: Map<string, [Address, Address]>;
  /** Weights digests declared since the last batch, by supplier|service (the event carries the value). */
  weightsDigests: Map<string, { supplier: Address; serviceId: Hex; digest: Hex }>;
  /** Suppliers that withdrew: their declarations are gone (applied before `weightsDigests`). */
  withdrawnSuppliers: Set<Address>;
};

/** An empty change set. */
export function noChanges(): ChainChanges {
  return {
    seeds: new Map(),
    epochs: false,
    services: new Set(),
    entries: new Set(),
    newApplications: new Set(),
    applications: new Set(),
    delegations: new Map(),
    weightsDigests: new Map(),
    withdrawnSuppliers: new Set(),
  };
}

/**
 * Folds decoded logs into `changes`. Services and applications outside `followed` (lower-cased service ids) are
 * ignored, except delegations, which are few and cheap to keep for every application.
 */
export function collectChanges(
  logs: readonly IndexedLog[],
  followed: ReadonlySet<string>,
  changes: ChainChanges,
) {
  const follows = (serviceId: unknown) =>
    typeof serviceId === "string" && followed.has(serviceId.toLowerCase());
  for (const log of logs) {
    const args = (log.args ?? {}) as Record<string, unknown>;
    switch (log.eventName) {
      case "SessionSeedRecorded":
        changes.seeds.set(BigInt(args.session as bigint), args.seed as Hex);
        break;
      case "BlocksPerSessionUpdated":
      case "SuppliersPerSessionUpdated":
        changes.epochs = true;
        break;
      case "ServiceRegistered":
      case "ServiceUpdated":
        if (follows(args.id)) changes.services.add(args.id as Hex);
        break;
      case "SupplierServiceAdded":
      case "SupplierServiceRemoved":
        if (follows(args.serviceId)) changes.entries.add(args.serviceId as Hex);
        break;
      case "SupplierWeightsDigestDeclared":
        if (follows(args.serviceId)) {
          const supplier = args.supplier as Address;
          const serviceId = args.serviceId as Hex;
          changes.weightsDigests.set(`${supplier}|${serviceId}`.toLowerCase(), {
            supplier,
            serviceId,
            digest: args.digest as Hex,
          });
        }
        break;
      case "SupplierWithdrawn": {
        // Withdrawal deletes the declarations on-chain; one made later (after a new stake) wins again.
        const prefix = `${args.supplier as string}|`.toLowerCase();
        for (const k of changes.weightsDigests.keys())
          if (k.startsWith(prefix)) changes.weightsDigests.delete(k);
        changes.withdrawnSuppliers.add(args.supplier as Address);
        break;
      }
      case "ApplicationServiceAdded":
        if (follows(args.serviceId)) changes.newApplications.add(args.application as Address);
        changes.applications.add(args.application as Address);
        break;
      case "ApplicationStaked":
      case "ApplicationUnstaked":
      case "ApplicationWithdrawn":
      case "EscrowPaid":
        changes.applications.add(args.application as Address);
        break;
      case "GatewayDelegated":
      case "GatewayUndelegated": {
        const pair: [Address, Address] = [args.application as Address, args.gateway as Address];
        changes.delegations.set(`${pair[0]}|${pair[1]}`.toLowerCase(), pair);
        break;
      }
    }
  }
}
