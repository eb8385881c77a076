import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RelayDomainInput, ServiceComputeUnits } from "@decai/core";
import type { FsyncPolicy } from "@decai/smst";
import type { Address, Hex } from "viem";
import { type OpenStore, openLogStore, SessionTree } from "./sessionTree.js";

/**
 * The difficulty target of a service in a session (`RelayMining.targetAt`). Called once per tree opened, so it
 * may read the chain: it is final once the session has started.
 */
export type TargetFn = (serviceId: Hex, session: bigint) => bigint | Promise<bigint>;

/** Which tree: one per (application, service, session). */
export type SessionTreeKey = { application: Address; serviceId: Hex; session: bigint };

/** An open session tree and the target it mines against. */
export type OpenSessionTree = SessionTreeKey & { tree: SessionTree; target: bigint };

/**
 * The supplier's session trees, opened on first use: under `dir/<session>/<application>-<serviceId>.smst` (crash
 * safe, re-opened after a restart with what was mined before), or in memory without `dir`. The claim/proof
 * lifecycle iterates `list()` to claim each tree once its session is over.
 *
 * @example
 * const trees = new SessionTrees({ domain, target: () => 2n ** 256n - 1n, dir: ".decai/trees" });
 * const { tree, target } = await trees.get({ application, serviceId, session }, service);
 * await tree.add(relay);
 */
export class SessionTrees {
  readonly #open = new Map<string, Promise<OpenSessionTree>>();
  /** The same trees once opened, for synchronous reads (metrics). */
  readonly #ready = new Map<string, OpenSessionTree>();

  constructor(
    private readonly options: {
      domain: RelayDomainInput;
      target: TargetFn;
      dir?: string;
      fsync?: FsyncPolicy;
      /** How tree logs are opened. Default `LogStore.open`. */
      openStore?: OpenStore;
    },
  ) {}

  /** The tree of `key`, opened (or re-opened from disk) with `service`'s compute units on first use. */
  get(key: SessionTreeKey, service: ServiceComputeUnits): Promise<OpenSessionTree> {
    const id = `${key.session}/${key.application}-${key.serviceId}`.toLowerCase();
    let open = this.#open.get(id);
    if (!open) {
      const { dir, domain, fsync, openStore } = this.options;
      open = (async () => {
        const target = await this.options.target(key.serviceId, key.session);
        const tree = await SessionTree.open({
          domain,
          service,
          target,
          ...(dir ? { path: join(dir, `${id}.smst`) } : {}),
          ...(fsync ? { fsync } : {}),
          ...(openStore ? { openStore } : {}),
        });
        const opened = { ...key, tree, target };
        if (this.#open.get(id) === open) this.#ready.set(id, opened);
        return opened;
      })();
      // A failed open (disk full, corrupt log) must not poison the key forever.
      open.catch(() => this.#open.delete(id));
      this.#open.set(id, open);
    }
    return open;
  }

  /**
   * Writes, syncs and deletes a scratch log in the trees' directory through the same store code as real trees:
   * rejects while the disk refuses writes. Resolves at once for in-memory trees.
   */
  async probe(): Promise<void> {
    const { dir } = this.options;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `.probe-${process.pid}.smst`);
    try {
      const store = await (this.options.openStore ?? openLogStore)(path, { fsync: "always" });
      try {
        await store.put(new Uint8Array(32), new Uint8Array(1), 1n);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Relays in the open trees: what their sessions hold until closed (memory, the soak benchmark). */
  leaves(): number {
    let total = 0;
    for (const open of this.#ready.values()) total += open.tree.size;
    return total;
  }

  /** Every tree opened so far. */
  async list(): Promise<OpenSessionTree[]> {
    return Promise.all(this.#open.values());
  }

  /** Closes (flushes) and forgets the tree of `key`; its file stays for claims and proofs. */
  async close(key: SessionTreeKey): Promise<void> {
    const id = `${key.session}/${key.application}-${key.serviceId}`.toLowerCase();
    const open = this.#open.get(id);
    this.#open.delete(id);
    this.#ready.delete(id);
    if (open) await (await open).tree.close();
  }

  /** Closes every tree. */
  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    this.#ready.clear();
    await Promise.all(all.map(async (open) => (await open).tree.close()));
  }
}
