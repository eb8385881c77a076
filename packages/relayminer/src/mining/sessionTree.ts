import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  encodeRelay,
  isRewardApplicable,
  type Relay,
  type RelayDomainInput,
  relayHash,
  relayWeight,
  type ServiceComputeUnits,
} from "@decai/core";
import {
  encodeClosestProof,
  type FsyncPolicy,
  LogStore,
  MemoryStore,
  Smst,
  type SmstRoot,
} from "@decai/smst";
import { bytesToHex, type Hex, hexToBytes } from "viem";

/** What a tree needs to weigh and sample relays: the domain, the service's compute units and its difficulty. */
export type SessionTreeOptions = {
  domain: RelayDomainInput;
  service: ServiceComputeUnits;
  /** The service's difficulty target for this session (`RelayMining.targetAt`). */
  target: bigint;
  /** Log file for crash safety; omit for an in-memory tree (tests, benchmarks). */
  path?: string;
  fsync?: FsyncPolicy;
};

/** The outcome of offering one relay to the tree. */
export type MinedRelay = { relayHash: Hex; weight: bigint; applicable: boolean };

/** The claim a supplier commits on-chain for one (application, service, session). */
export type SessionClaimRoot = { rootHash: Hex; rootSum: bigint; rootCount: bigint };

/**
 * One supplier's sparse Merkle sum tree for one (application, service, session): relays that meet the
 * difficulty go in under their relay hash, valued by their canonical encoding and weighted by compute units.
 * The tree is what the supplier claims (its root) and proves (a closest proof plus the relay itself).
 *
 * @example
 * const tree = await SessionTree.open({ domain, service, target, path: "trees/app-svc-42.smst" });
 * await tree.add(relay);                       // durable once it resolves
 * const { rootHash, rootSum, rootCount } = tree.claimRoot();
 * const { proof, relay: leafRelay } = tree.proveClosest(proofPath);
 */
export class SessionTree {
  private constructor(
    private readonly tree: Smst,
    private readonly options: SessionTreeOptions,
  ) {}

  /** Opens (or re-opens after a crash, replaying its log) a session tree. */
  static async open(options: SessionTreeOptions): Promise<SessionTree> {
    let store: LogStore | MemoryStore;
    if (options.path) {
      mkdirSync(dirname(options.path), { recursive: true });
      store = await LogStore.open(options.path, { fsync: options.fsync ?? "always" });
    } else {
      store = new MemoryStore();
    }
    return new SessionTree(await Smst.open(store), options);
  }

  /**
   * Offers a served relay: if its hash meets the difficulty it is inserted (durably, per the fsync policy).
   * Relays below the difficulty are counted by the caller's meter but earn nothing and are not stored.
   */
  async add(relay: Relay): Promise<MinedRelay> {
    const hash = relayHash(relay, this.options.domain);
    const weight = relayWeight(this.options.service, relay);
    const applicable = isRewardApplicable(hash, this.options.target);
    if (applicable) await this.tree.update(hexToBytes(hash), hexToBytes(encodeRelay(relay)), weight);
    return { relayHash: hash, weight, applicable };
  }

  /** The root to claim: hash, total weight (compute units), number of relays. */
  claimRoot(): SessionClaimRoot {
    const root: SmstRoot = this.tree.root();
    return { rootHash: bytesToHex(root.hash), rootSum: root.sum, rootCount: root.count };
  }

  /** Number of relays in the tree. */
  get size(): number {
    return this.tree.size;
  }

  /**
   * The closest proof for the on-chain challenge path, and the relay at that leaf (its canonical encoding),
   * ready for `RelayMining.submitProof`.
   */
  proveClosest(path: Hex): { proof: Hex; relay: Hex } {
    const { leaf, proof } = this.tree.proveClosest(hexToBytes(path));
    return { proof: bytesToHex(encodeClosestProof(proof)), relay: bytesToHex(leaf.value) };
  }

  /** Flushes and closes the underlying store. */
  async close(): Promise<void> {
    await this.tree.close();
  }
}
