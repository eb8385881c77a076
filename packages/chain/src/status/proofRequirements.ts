import type { Hex } from "viem";
import { relayMiningAbi } from "../generated/contracts.js";
import type { ClaimStage, ClaimView, StatusSource } from "./types.js";

/**
 * Finds out which open claims must be proven, remembering answers once final: a claim's proof window and, after
 * its proof seed block, whether a proof is required never change.
 *
 * @example
 * const proofs = new ProofRequirements(source);
 * const claims = await proofs.resolve(ledger.claims, head); // claims with `proofRequired` and `stage` filled in
 */
export class ProofRequirements {
  readonly #source: StatusSource;
  /** key → first block of the claim's proof window (its seed block is the one before). */
  readonly #proofWindowOpen = new Map<string, bigint>();
  readonly #required = new Map<string, boolean>();

  constructor(source: StatusSource) {
    this.#source = source;
  }

  /**
   * Copies of `claims` with `proofRequired` known wherever the chain can tell at block `head`, and `stage` set
   * from it.
   */
  async resolve(claims: readonly ClaimView[], head: bigint): Promise<ClaimView[]> {
    const open = claims.filter((c) => c.state === "claimed" && !this.#required.has(c.key.toLowerCase()));
    await Promise.all(open.map((c) => this.#check(c.key, head)));
    return claims.map((c) => {
      // Only open claims say it: a settled claim looks the same whether or not this reader saw it open, so the
      // dashboard (reading for hours) and `decai status` (reading once) agree on every claim.
      const required = c.state === "claimed" ? this.#required.get(c.key.toLowerCase()) : undefined;
      const copy: ClaimView = { ...c, ...(required === undefined ? {} : { proofRequired: required }) };
      copy.stage = claimStage(copy);
      return copy;
    });
  }

  async #check(key: Hex, head: bigint): Promise<void> {
    const { client, deployment } = this.#source;
    const at = { address: deployment.contracts.relayMining, abi: relayMiningAbi, blockNumber: head } as const;
    const id = key.toLowerCase();
    let opens = this.#proofWindowOpen.get(id);
    if (opens === undefined) {
      const claim = await client.readContract({ ...at, functionName: "getClaim", args: [key] });
      opens = BigInt(claim.proofWindowOpen);
      this.#proofWindowOpen.set(id, opens);
    }
    if (head < opens) return; // the seed block is not mined yet: nobody knows
    try {
      this.#required.set(
        id,
        await client.readContract({ ...at, functionName: "isProofRequired", args: [key] }),
      );
    } catch {
      // The seed is not readable yet at this block: ask again next time.
    }
  }
}

/**
 * A claim's stage in the protocol's words, from its state and whether a proof is required.
 *
 * @example
 * claimStage({ state: "claimed", proofRequired: true }); // "proof required"
 */
export function claimStage(claim: Pick<ClaimView, "state" | "proofRequired">): ClaimStage {
  switch (claim.state) {
    case "settled":
      return "settled";
    case "voided":
      return "void";
    case "proven":
      return "proven";
    default:
      return claim.proofRequired ? "proof required" : "claimed";
  }
}
