import type { AbiEvent, Address, Hex } from "viem";
import { relayMiningAbi, stakingAbi } from "../generated/contracts.js";
import { serviceName } from "./serviceName.js";
import type { ClaimView, FeedItem, Payment, StatusSource } from "./types.js";

/** What the chain's events say about claims, payments, the live feed and who ever staked. */
export type Ledger = {
  /** Every claim, in the order they were made. */
  claims: ClaimView[];
  /** Every payment out of an escrow, oldest first. */
  payments: Payment[];
  /** Everyone who ever staked as a supplier / application, in order of first stake. */
  suppliers: Address[];
  applications: Address[];
  /** The latest protocol events, oldest first (at most `feedSize`). */
  feed: FeedItem[];
};

/** Options of {@link LedgerIndexer}. */
export type LedgerIndexerOptions = {
  /** Most blocks per `eth_getLogs` call (public L2 RPCs cap ranges). Default 10,000. */
  maxBlockRange?: bigint;
  /** Feed items kept. Default 200. */
  feedSize?: number;
};

const pick = (abi: readonly unknown[], names: string[]) =>
  (abi as AbiEvent[]).filter((item) => item.type === "event" && names.includes(item.name));

const ledgerEvents: AbiEvent[] = [
  ...pick(relayMiningAbi, [
    "ClaimSubmitted",
    "ProofSubmitted",
    "ClaimSettled",
    "ClaimVoided",
    "DifficultyUpdated",
  ]),
  ...pick(stakingAbi, ["SupplierStaked", "ApplicationStaked", "EscrowPaid"]),
];

type Log = {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  transactionHash: Hex;
  logIndex: number;
};

/**
 * Folds a deployment's claim, settlement and staking events into a {@link Ledger}, incrementally: each `sync()`
 * reads only the blocks since the last one, so a dashboard can follow the head cheaply while the CLI reads the
 * whole history once. Both read the same ledger this way.
 *
 * @example
 * const indexer = new LedgerIndexer({ client, deployment });
 * const { claims, payments } = await indexer.sync();
 */
export class LedgerIndexer {
  readonly #source: StatusSource;
  readonly #range: bigint;
  readonly #feedSize: number;
  #synced: bigint;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #claims = new Map<string, ClaimView>();
  readonly #payments: Payment[] = [];
  readonly #suppliers = new Map<string, Address>();
  readonly #applications = new Map<string, Address>();
  #feed: FeedItem[] = [];

  constructor(source: StatusSource, options: LedgerIndexerOptions = {}) {
    this.#source = source;
    this.#range = options.maxBlockRange ?? 10_000n;
    this.#feedSize = options.feedSize ?? 200;
    this.#synced = source.deployment.deployBlock - 1n;
  }

  /** The last block whose events are folded in. */
  get syncedBlock(): bigint {
    return this.#synced;
  }

  /** The ledger as of {@link syncedBlock} (live objects: copy before keeping them). */
  get ledger(): Ledger {
    return {
      claims: [...this.#claims.values()],
      payments: [...this.#payments],
      suppliers: [...this.#suppliers.values()],
      applications: [...this.#applications.values()],
      feed: [...this.#feed],
    };
  }

  /**
   * Reads the events of every block from the last sync to `toBlock` (default: the head) and folds them in. Calls
   * are serialised; a failed read changes nothing and the next call retries.
   *
   * @example
   * const ledger = await indexer.sync(head);
   */
  sync(toBlock?: bigint): Promise<Ledger> {
    const run = this.#queue.then(() => this.#sync(toBlock));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #sync(toBlock: bigint | undefined): Promise<Ledger> {
    const { client, deployment } = this.#source;
    const head = toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
    const address = [deployment.contracts.relayMining, deployment.contracts.staking];
    for (let from = this.#synced + 1n; from <= head; from += this.#range) {
      const to = from + this.#range - 1n < head ? from + this.#range - 1n : head;
      const logs = (await client.getLogs({
        address,
        events: ledgerEvents,
        fromBlock: from,
        toBlock: to,
      })) as unknown as Log[];
      this.#fold(logs.filter((l) => l.eventName));
      this.#synced = to;
    }
    return this.ledger;
  }

  /** Folds one chunk; the logs of one transaction are contiguous, and a settlement's EscrowPaid is matched to it. */
  #fold(logs: Log[]): void {
    for (let i = 0; i < logs.length; ) {
      let j = i;
      while (j < logs.length && logs[j]?.transactionHash === logs[i]?.transactionHash) j++;
      const tx = logs.slice(i, j);
      const settled: ClaimView[] = [];
      for (const log of tx) if (log.eventName !== "EscrowPaid") this.#apply(log, settled);
      for (const log of tx) if (log.eventName === "EscrowPaid") this.#pay(log, settled);
      i = j;
    }
    if (this.#feed.length > this.#feedSize) this.#feed = this.#feed.slice(-this.#feedSize);
  }

  #apply(log: Log, settled: ClaimView[]): void {
    const { eventName, args, blockNumber, logIndex, transactionHash } = log;
    const where = { blockNumber, logIndex, transactionHash };
    if (eventName === "SupplierStaked") {
      this.#suppliers.set((args.supplier as string).toLowerCase(), args.supplier as Address);
      return;
    }
    if (eventName === "ApplicationStaked") {
      this.#applications.set((args.application as string).toLowerCase(), args.application as Address);
      return;
    }
    if (eventName === "DifficultyUpdated") {
      this.#feed.push({
        kind: "difficulty",
        ...where,
        service: serviceName(args.serviceId as Hex),
        session: BigInt(args.session as bigint),
        target: args.newTarget as bigint,
        effectiveSession: BigInt(args.effectiveSession as bigint),
      });
      return;
    }
    const key = (args.key as Hex).toLowerCase();
    if (eventName === "ClaimSubmitted") {
      const claim: ClaimView = {
        key: args.key as Hex,
        supplier: args.supplier as Address,
        application: args.application as Address,
        serviceId: args.serviceId as Hex,
        service: serviceName(args.serviceId as Hex),
        session: BigInt(args.session as bigint),
        rootSum: BigInt(args.rootSum as bigint),
        rootCount: BigInt(args.rootCount as bigint),
        state: "claimed",
        stage: "claimed",
        claimedBlock: blockNumber,
      };
      this.#claims.set(key, claim);
      this.#feed.push({
        kind: "claim",
        ...where,
        ...about(claim),
        rootCount: claim.rootCount,
        rootSum: claim.rootSum,
      });
      return;
    }
    const claim = this.#claims.get(key);
    if (!claim) return; // a claim made before the deployment block cannot exist
    if (eventName === "ProofSubmitted") {
      claim.state = "proven";
      claim.stage = "proven";
      this.#feed.push({ kind: "proof", ...where, ...about(claim) });
    } else if (eventName === "ClaimSettled") {
      claim.state = "settled";
      claim.stage = "settled";
      claim.settledBlock = blockNumber;
      claim.amount = args.amount as bigint;
      claim.supplierAmount = args.supplierAmount as bigint;
      claim.sourceAmount = args.sourceAmount as bigint;
      claim.daoAmount = args.daoAmount as bigint;
      settled.push(claim);
      this.#feed.push({ kind: "settlement", ...where, ...about(claim), amount: claim.amount });
    } else if (eventName === "ClaimVoided") {
      claim.state = "voided";
      claim.stage = "void";
      claim.settledBlock = blockNumber;
      claim.slashed = args.slashed as bigint;
      this.#feed.push({ kind: "void", ...where, ...about(claim), amount: claim.slashed });
    }
  }

  #pay(log: Log, settled: ClaimView[]): void {
    const { args, blockNumber } = log;
    const supplier = (args.supplier as string).toLowerCase();
    const application = (args.application as string).toLowerCase();
    const index = settled.findIndex(
      (c) => c.supplier.toLowerCase() === supplier && c.application.toLowerCase() === application,
    );
    const claim = index >= 0 ? settled.splice(index, 1)[0] : undefined;
    this.#payments.push({
      application: args.application as Address,
      supplier: args.supplier as Address,
      source: args.source as Address,
      supplierAmount: args.supplierAmount as bigint,
      sourceAmount: args.sourceAmount as bigint,
      daoAmount: args.daoAmount as bigint,
      blockNumber,
      ...(claim
        ? { claimKey: claim.key, serviceId: claim.serviceId, service: claim.service, session: claim.session }
        : {}),
    });
  }
}

function about(claim: ClaimView) {
  return {
    key: claim.key,
    supplier: claim.supplier,
    application: claim.application,
    service: claim.service,
    session: claim.session,
  };
}
