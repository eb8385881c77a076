import { type ChainState, stakingAbi } from "@decai/chain";
import { fromServiceId } from "@decai/core";
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  maxUint64,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { type Logger, silentLogger } from "./log.js";

/** Options of {@link WeightsDigestDeclarer}. */
export type WeightsDigestDeclarerOptions = {
  publicClient: PublicClient;
  /** Signs with the supplier's key. */
  walletClient: WalletClient<Transport, Chain, Account>;
  staking: Address;
  /** The indexer's state: what the supplier serves and what it declared so far. */
  chain: Pick<ChainState, "supplierEntries" | "supplierWeightsDigest">;
  /** The digest of the model file each service's backend loaded; services without one are skipped. */
  services: readonly { id: Hex; weightsDigest?: Hex | undefined }[];
  log?: Logger;
  /** After a failed declaration, wait this long before trying that service again. Default 30 s. */
  retryAfterMs?: number;
  /** Longest wait for a declaration's receipt. Default 30 s. */
  receiptTimeoutMs?: number;
};

/**
 * Keeps the supplier's on-chain declarations (`Staking.declareWeightsDigest`) equal to the digests of the model
 * files its backends actually loaded (artifact commitment). `check()` sends a declaration for each service the
 * supplier serves whose declared digest differs or is missing; the RelayMiner runs it at start and after every
 * chain sync, so a stake made after the start is declared too. Never throws: failures are logged and retried
 * after `retryAfterMs`.
 *
 * @example
 * const declarer = new WeightsDigestDeclarer({ publicClient, walletClient, staking, chain: indexer.state,
 *   services: [{ id: toServiceId("tiny-llama"), weightsDigest: await backend.weightsDigest() }] });
 * await declarer.check(); // declared (or logged why not)
 */
export class WeightsDigestDeclarer {
  readonly #options: WeightsDigestDeclarerOptions;
  readonly #supplier: Address;
  // service → digest sent and mined, until the indexer shows it (avoids sending twice meanwhile)
  readonly #sent = new Map<string, Hex>();
  readonly #failedAt = new Map<string, number>();
  #running: Promise<Hex[]> | undefined;

  constructor(options: WeightsDigestDeclarerOptions) {
    this.#options = options;
    this.#supplier = options.walletClient.account.address;
  }

  /**
   * Declares what is missing or stale, one transaction per service; resolves with the services declared now.
   * Concurrent calls share one run.
   */
  check(): Promise<Hex[]> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<Hex[]> {
    const { chain, services } = this.#options;
    const declared: Hex[] = [];
    for (const s of services) {
      if (!s.weightsDigest) continue;
      const id = s.id.toLowerCase();
      const want = s.weightsDigest.toLowerCase() as Hex;
      const onChain = chain.supplierWeightsDigest(this.#supplier, s.id)?.toLowerCase();
      if (onChain === want) {
        this.#sent.delete(id);
        continue;
      }
      if (this.#sent.get(id) === want || !this.#serves(s.id)) continue;
      const failedAt = this.#failedAt.get(id);
      if (failedAt !== undefined && Date.now() - failedAt < (this.#options.retryAfterMs ?? 30_000)) continue;
      try {
        await this.#declare(s.id, want);
        this.#sent.set(id, want);
        this.#failedAt.delete(id);
        declared.push(s.id);
      } catch (error) {
        this.#failedAt.set(id, Date.now());
        (this.#options.log ?? silentLogger).warn("weights digest declaration failed", {
          service: name(s.id),
          error,
        });
      }
    }
    return declared;
  }

  /** Whether the supplier's latest entry for the service is open-ended (what the contract requires). */
  #serves(serviceId: Hex): boolean {
    const me = this.#supplier.toLowerCase();
    const entries = this.#options.chain.supplierEntries(serviceId);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e && e.supplier.toLowerCase() === me) return e.untilSession === maxUint64;
    }
    return false;
  }

  async #declare(serviceId: Hex, digest: Hex): Promise<void> {
    const { publicClient, walletClient, staking } = this.#options;
    const hash = await walletClient.writeContract({
      address: staking,
      abi: stakingAbi,
      functionName: "declareWeightsDigest",
      args: [serviceId, digest],
    });
    const receipt = await publicClient.waitForTransactionReceipt({
      hash,
      timeout: this.#options.receiptTimeoutMs ?? 30_000,
    });
    if (receipt.status !== "success") throw new Error(`Staking.declareWeightsDigest reverted (tx ${hash})`);
    (this.#options.log ?? silentLogger).info("declared weights digest", { service: name(serviceId), digest });
  }
}

function name(id: Hex): string {
  try {
    return fromServiceId(id);
  } catch {
    return id;
  }
}
