import { relayMiningAbi } from "../generated/contracts.js";
import { readDifficulty } from "./difficulty.js";
import { totalsBy } from "./earnings.js";
import { LedgerIndexer, type LedgerIndexerOptions } from "./ledger.js";
import { ProofRequirements } from "./proofRequirements.js";
import {
  readApplication,
  readDeploymentTokens,
  readServiceSuppliers,
  readServices,
  readSession,
  readSupplier,
} from "./reads.js";
import type { NetworkStatus, StatusSource, TokenInfo } from "./types.js";

/** Options of {@link NetworkStatusReader}. */
export type NetworkStatusReaderOptions = LedgerIndexerOptions & {
  /** Feed items in a status, newest first. Default 100. */
  feedItems?: number;
};

/**
 * Reads {@link NetworkStatus} again and again, keeping what never changes between reads: the events already folded
 * (a {@link LedgerIndexer}), the tokens, and the claims' proof requirements once final. The dashboard keeps one and
 * reads it on every new block; `decai status` reads once through {@link readNetworkStatus}.
 *
 * @example
 * const reader = new NetworkStatusReader({ client, deployment });
 * const status = await reader.read(); // later calls read only the new blocks' events
 */
export class NetworkStatusReader {
  readonly #source: StatusSource;
  readonly #ledger: LedgerIndexer;
  readonly #proofs: ProofRequirements;
  readonly #feedItems: number;
  #tokens: Promise<{ stake: TokenInfo; payment: TokenInfo }> | undefined;

  constructor(source: StatusSource, options: NetworkStatusReaderOptions = {}) {
    this.#source = source;
    this.#ledger = new LedgerIndexer(source, options);
    this.#proofs = new ProofRequirements(source);
    this.#feedItems = options.feedItems ?? 100;
  }

  /** The whole network as of the current head. */
  async read(): Promise<NetworkStatus> {
    const source = this.#source;
    const { deployment } = source;
    this.#tokens ??= readDeploymentTokens(source).catch((error) => {
      this.#tokens = undefined;
      throw error;
    });
    const now = await readSession(source);
    const [tokens, services, ledger, paymentPerComputeUnit] = await Promise.all([
      this.#tokens,
      readServices(source),
      this.#ledger.sync(now.block),
      source.client.readContract({
        address: deployment.contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "paymentPerComputeUnit",
        blockNumber: now.block,
      }),
    ]);
    const [withSuppliers, claims] = await Promise.all([
      Promise.all(
        services.map(async (s) => ({
          ...s,
          suppliers: await readServiceSuppliers(source, s.id, now.session),
          difficulty: await readDifficulty(source, s.id, now.session),
        })),
      ),
      this.#proofs.resolve(ledger.claims, now.block),
    ]);
    const earnedBySupplier = totalsBy(ledger.payments, "supplier", "supplierAmount");
    const earnedBySource = totalsBy(ledger.payments, "source", "sourceAmount");
    const spentByApp = totalsBy(ledger.payments, "application", "total");
    const [suppliers, applications] = await Promise.all([
      Promise.all(ledger.suppliers.map((a) => readSupplier(source, a))),
      Promise.all(ledger.applications.map((a) => readApplication(source, a))),
    ]);
    const sources = [...new Map(services.map((s) => [s.source.toLowerCase(), s.source])).values()].map(
      (address) => ({ address, earned: earnedBySource.get(address.toLowerCase()) ?? 0n }),
    );
    return {
      chainId: deployment.chainId,
      contracts: deployment.contracts,
      ...now,
      tokens,
      paymentPerComputeUnit,
      services: withSuppliers,
      suppliers: suppliers
        .filter((s) => s.stake > 0n)
        .map((s) => ({ ...s, earned: earnedBySupplier.get(s.address.toLowerCase()) ?? 0n })),
      applications: applications
        .filter((a) => a.escrow > 0n || spentByApp.has(a.address.toLowerCase()))
        .map((a) => ({ ...a, spent: spentByApp.get(a.address.toLowerCase()) ?? 0n })),
      claims,
      sources,
      dao: {
        address: deployment.dao,
        earned: ledger.payments.reduce((sum, p) => sum + p.daoAmount, 0n),
      },
      payments: ledger.payments.map((p) => ({ ...p })),
      feed: ledger.feed.slice(-this.#feedItems).reverse(),
    };
  }
}

/**
 * The whole network as the chain sees it, once: current block and session, services with their suppliers and
 * difficulty, suppliers' stakes and earnings, applications' escrows and spending, every claim and its stage,
 * payments and the latest protocol events. What `decai status` prints and the dashboard shows.
 *
 * @example
 * const status = await readNetworkStatus({ client, deployment });
 * console.log(status.session, status.claims.filter((c) => c.stage === "settled").length);
 */
export function readNetworkStatus(source: StatusSource): Promise<NetworkStatus> {
  return new NetworkStatusReader(source).read();
}
