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
  type SmstStore,
} from "@decai/smst";
import { bytesToHex, type Hex, hexToBytes } from "viem";

/**
 * Opens the durable store of a tree log (default `LogStore.open`). A seam for other stores, and for fault tests
 * that make writes fail (a full disk).
 */
export type OpenStore = (path: string, options: { fsync: FsyncPolicy }) => Promise<SmstStore>;

/** What a tree needs to weigh and sample relays: the domain, the service's compute units and its difficulty. */
export type SessionTreeOptions = {
  domain: RelayDomainInput;
  service: ServiceComputeUnits;
  /** The service's difficulty target for this session (`RelayMining.targetAt`). */
  target: bigint;
  /** Log file for crash safety; omit for an in-memory tree (tests, benchmarks). */
  path?: string;
  fsync?: FsyncPolicy;
  /** How the log at `path` is opened. Default `LogStore.open`. */
  openStore?: OpenStore;
};

/** Opens a tree log as a crash-safe `LogStore`. */
export const openLogStore: OpenStore = (path, options) => LogStore.open(path, options);

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
  #sealed = false;

  private constructor(
    private readonly tree: Smst,
    private readonly options: SessionTreeOptions,
  ) {}

  /** Opens (or re-opens after a crash, replaying its log) a session tree. */
  static async open(options: SessionTreeOptions): Promise<SessionTree> {
    let store: SmstStore;
    if (options.path) {
      mkdirSync(dirname(options.path), { recursive: true });
      store = await (options.openStore ?? openLogStore)(options.path, { fsync: options.fsync ?? "always" });
    } else {
      store = new MemoryStore();
    }
    return new SessionTree(await Smst.open(store), options);
  }

  /**
   * Offers a served relay: if its hash meets the difficulty it is inserted (durably, per the fsync policy).
   * Relays below the difficulty are counted by the caller's meter but earn nothing and are not stored.
   * `hash` is the relay's hash when the caller already computed it from this same request (the RelayMiner did
   * when it checked the signature): the hot path hashes each request once.
   */
  async add(relay: Relay, hash: Hex = relayHash(relay, this.options.domain)): Promise<MinedRelay> {
    if (this.#sealed) {
      // Its root is (being) claimed: a leaf added now would not be in the claim, and a proof over it would fail.
      throw new Error(
        "this session's claim is taken: its tree takes no more relays (the relay came too late)",
      );
    }
    const weight = relayWeight(this.options.service, relay);
    const applicable = isRewardApplicable(hash, this.options.target);
    if (applicable) await this.tree.update(hexToBytes(hash), hexToBytes(encodeRelay(relay)), weight);
    return { relayHash: hash, weight, applicable };
  }

  /**
   * Stops the tree taking relays (`add` rejects from now on), before its root is claimed: the claim, and every
   * proof against it, must be over exactly the tree on disk. Not persisted: after a restart the chain cache no
   * longer admits relays of a session whose claim window is open.
   */
  seal(): void {
    this.#sealed = true;
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
