import type { Address, Hex, PublicClient } from "viem";
import type { DecaiDeployment } from "../deploy/deployment.js";

/** What every status read needs: a client of the chain and the deployment on it (a CLI `Connection` is one). */
export type StatusSource = { client: PublicClient; deployment: DecaiDeployment };

/** The session the chain is in. */
export type SessionInfo = { block: bigint; session: bigint; startBlock: bigint; endBlock: bigint };

/** An ERC-20 the protocol uses, with what it takes to print amounts of it. */
export type TokenInfo = { address: Address; symbol: string; decimals: number };

/** A registered service. */
export type ServiceView = {
  id: Hex;
  /** The id as text ("decai-tiny") when it is one, else the hex. */
  name: string;
  source: Address;
  modelName: string;
  weightsDigest: Hex;
  sourceShareBps: number;
  cuMode: "per-relay" | "per-token";
  cuPerRelay: bigint;
  cuPerInputToken: bigint;
  cuPerOutputToken: bigint;
  /**
   * `batch` for a cheaper, latency-tolerant tier of another service (`ServiceRegistry.registerBatchService`), else
   * `interactive`.
   */
  tier: ServiceTier;
  /** A batch tier's interactive service. */
  batchOf?: Hex;
  /** An interactive service's batch tier, when its source registered one. */
  batchTier?: Hex;
};

/** How a service is sold: answered now (`interactive`), or cheaper for work that can wait (`batch`). */
export type ServiceTier = "interactive" | "batch";

/** A supplier's service: where it serves it, and the sessions [fromSession, untilSession) it is drawn for. */
export type SupplierServiceView = {
  id: Hex;
  name: string;
  endpoint: string;
  fromSession: bigint;
  /** Undefined while open-ended. */
  untilSession?: bigint;
};

/** A supplier's on-chain record. */
export type SupplierView = {
  address: Address;
  stake: bigint;
  /** First session it may withdraw in; undefined while not unbonding. */
  withdrawableFromSession?: bigint;
  services: SupplierServiceView[];
};

/** An application's on-chain record. */
export type ApplicationView = {
  address: Address;
  escrow: bigint;
  withdrawableFromSession?: bigint;
  services: { id: Hex; name: string }[];
  /** Gateways it delegates to now (or from the next session). */
  gateways: Address[];
};

/**
 * A service's relay-mining difficulty in the current session: a relay is reward-applicable when its hash is below
 * `target`, so about one relay in `2^256 / target` goes into a claim.
 */
export type DifficultyView = {
  target: bigint;
  /** 2^256 / target, rounded: 1 while every relay is applicable. */
  relaysPerApplicable: number;
  /** The EMA of relays per session the target was last set from; undefined before the first update. */
  ema?: bigint;
  /** The last session folded into the EMA; undefined before the first update. */
  lastSession?: bigint;
};

/** Where a claim stands, from its events (the names `decai status` prints). */
export type ClaimState = "claimed" | "proven" | "settled" | "voided";

/**
 * Where a claim stands in the protocol's words: `claimed`, then `proof required` once the proof seed asks for a
 * proof (else it stays `claimed` until settled), `proven`, and finally `settled` (paid) or `void` (a required proof
 * never came; the supplier was slashed).
 */
export type ClaimStage = "claimed" | "proof required" | "proven" | "settled" | "void";

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
  stage: ClaimStage;
  /** Whether settlement needs a proof, for open (`claimed`) claims once the proof seed is known. */
  proofRequired?: boolean;
  /** Block of the claim transaction. */
  claimedBlock: bigint;
  /** Block of the settlement or void. */
  settledBlock?: bigint;
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
  /** Block of the settlement. */
  blockNumber: bigint;
  /** The settled claim's key, service and session (found through the settlement in the same transaction). */
  claimKey?: Hex;
  serviceId?: Hex;
  service?: string;
  session?: bigint;
};

/** One protocol event of the live feed. */
export type FeedItem = {
  kind: "claim" | "proof" | "settlement" | "void" | "difficulty";
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
  /** The claim's key (claims, proofs, settlements, voids). */
  key?: Hex;
  supplier?: Address;
  application?: Address;
  service?: string;
  session?: bigint;
  /** Claims: relays and compute units in the tree. */
  rootCount?: bigint;
  rootSum?: bigint;
  /** Settlements: paid in total; voids: slashed. */
  amount?: bigint;
  /** Difficulty updates: the new target and the session it applies from. */
  target?: bigint;
  effectiveSession?: bigint;
};

/** The whole network as the chain sees it: what `decai status` prints and the dashboard shows. */
export type NetworkStatus = SessionInfo & {
  chainId: number;
  contracts: DecaiDeployment["contracts"];
  tokens: { stake: TokenInfo; payment: TokenInfo };
  /** Payment-token base units per compute unit: a service's price is its compute units times this. */
  paymentPerComputeUnit: bigint;
  /** Services with the suppliers that serve them from the current session on, and their difficulty now. */
  services: (ServiceView & {
    suppliers: (SupplierServiceView & { supplier: Address })[];
    difficulty: DifficultyView;
  })[];
  /** Staked suppliers, with what they earned in total. */
  suppliers: (SupplierView & { earned: bigint })[];
  /** Applications with an escrow or a payment, with what they spent in total. */
  applications: (ApplicationView & { spent: bigint })[];
  /** Every claim, oldest first. */
  claims: ClaimView[];
  /** Every source of a registered service, with what it earned in total. */
  sources: { address: Address; earned: bigint }[];
  dao: { address: Address; earned: bigint };
  /** Every payment out of an escrow, oldest first. */
  payments: Payment[];
  /** The latest protocol events (claims, proofs, settlements, voids, difficulty), newest first. */
  feed: FeedItem[];
};
