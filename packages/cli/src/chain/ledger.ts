import { relayMiningAbi, stakingAbi } from "@decai/chain";
import type { Address, Hex } from "viem";
import type { Connection } from "./connect.js";
import { eventsOf, readLogs } from "./logs.js";
import { serviceName } from "./revert.js";

/** Where a claim stands, from its events. */
export type ClaimState = "claimed" | "proven" | "settled" | "voided";

/** One claim and what became of it. */
export type ClaimView = {
  key: Hex;
  supplier: Address;
  application: Address;
  serviceId: Hex;
  service: string;
  session: bigint;
  rootSum: bigint;
  rootCount: bigint;
  state: ClaimState;
  /** Paid in total (supplier + source + DAO) once settled. */
  amount?: bigint;
  supplierAmount?: bigint;
  sourceAmount?: bigint;
  daoAmount?: bigint;
  /** Stake slashed when voided. */
  slashed?: bigint;
};

/** One payment out of an application's escrow (a settled claim). */
export type Payment = {
  application: Address;
  supplier: Address;
  source: Address;
  supplierAmount: bigint;
  sourceAmount: bigint;
  daoAmount: bigint;
  /** The claim's service (found through the settlement in the same transaction). */
  serviceId?: Hex;
};

/** What the chain's events say about claims, payments and who ever staked. */
export type Ledger = {
  claims: ClaimView[];
  payments: Payment[];
  /** Everyone who ever staked as a supplier / application, in order of first stake. */
  suppliers: Address[];
  applications: Address[];
};

const miningEvents = eventsOf(relayMiningAbi, [
  "ClaimSubmitted",
  "ProofSubmitted",
  "ClaimSettled",
  "ClaimVoided",
]);
const stakingEvents = eventsOf(stakingAbi, ["SupplierStaked", "ApplicationStaked", "EscrowPaid"]);

/**
 * Reads the claim and payment history of a deployment from its events (`eth_getLogs` from the deployment block).
 *
 * @example
 * const { claims, payments } = await readLedger(conn);
 */
export async function readLedger(conn: Connection): Promise<Ledger> {
  const { client, deployment } = conn;
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const from = deployment.deployBlock;
  const [mining, staking] = await Promise.all([
    readLogs(client, {
      address: deployment.contracts.relayMining,
      events: miningEvents,
      fromBlock: from,
      toBlock: head,
    }),
    readLogs(client, {
      address: deployment.contracts.staking,
      events: stakingEvents,
      fromBlock: from,
      toBlock: head,
    }),
  ]);

  const claims = new Map<string, ClaimView>();
  const settledIn = new Map<string, Hex>(); // tx hash → claim service, to attribute EscrowPaid
  for (const { eventName, args, transactionHash } of mining) {
    const key = (args.key as Hex).toLowerCase();
    const claim = claims.get(key);
    if (eventName === "ClaimSubmitted") {
      claims.set(key, {
        key: args.key as Hex,
        supplier: args.supplier as Address,
        application: args.application as Address,
        serviceId: args.serviceId as Hex,
        service: serviceName(args.serviceId as Hex),
        session: BigInt(args.session as bigint),
        rootSum: BigInt(args.rootSum as bigint),
        rootCount: BigInt(args.rootCount as bigint),
        state: "claimed",
      });
    } else if (!claim) {
    } else if (eventName === "ProofSubmitted") {
      claim.state = "proven";
    } else if (eventName === "ClaimSettled") {
      claim.state = "settled";
      claim.amount = args.amount as bigint;
      claim.supplierAmount = args.supplierAmount as bigint;
      claim.sourceAmount = args.sourceAmount as bigint;
      claim.daoAmount = args.daoAmount as bigint;
      settledIn.set(transactionHash.toLowerCase(), claim.serviceId);
    } else if (eventName === "ClaimVoided") {
      claim.state = "voided";
      claim.slashed = args.slashed as bigint;
    }
  }

  const suppliers = new Map<string, Address>();
  const applications = new Map<string, Address>();
  const payments: Payment[] = [];
  for (const { eventName, args, transactionHash } of staking) {
    if (eventName === "SupplierStaked")
      suppliers.set((args.supplier as string).toLowerCase(), args.supplier as Address);
    else if (eventName === "ApplicationStaked")
      applications.set((args.application as string).toLowerCase(), args.application as Address);
    else if (eventName === "EscrowPaid") {
      const serviceId = settledIn.get(transactionHash.toLowerCase());
      payments.push({
        application: args.application as Address,
        supplier: args.supplier as Address,
        source: args.source as Address,
        supplierAmount: args.supplierAmount as bigint,
        sourceAmount: args.sourceAmount as bigint,
        daoAmount: args.daoAmount as bigint,
        ...(serviceId ? { serviceId } : {}),
      });
    }
  }
  return {
    claims: [...claims.values()],
    payments,
    suppliers: [...suppliers.values()],
    applications: [...applications.values()],
  };
}

/**
 * Sums payments by an address field, e.g. what each supplier earned.
 *
 * @example
 * const earned = totalsBy(ledger.payments, "supplier", "supplierAmount");
 * earned.get(address.toLowerCase());
 */
export function totalsBy(
  payments: readonly Payment[],
  who: "application" | "supplier" | "source",
  amount: "supplierAmount" | "sourceAmount" | "daoAmount" | "total",
): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const p of payments) {
    const value = amount === "total" ? p.supplierAmount + p.sourceAmount + p.daoAmount : p[amount];
    const k = p[who].toLowerCase();
    totals.set(k, (totals.get(k) ?? 0n) + value);
  }
  return totals;
}
