import { relayMiningAbi, serviceRegistryAbi, sessionClockAbi } from "@decai/chain";
import type { ServiceComputeUnits } from "@decai/core";
import type { Address, Hex } from "viem";
import { ChainOutage } from "../chainOutage.js";
import type { Logger } from "../log.js";
import { type Counter, MetricsRegistry } from "../metrics.js";
import { type ClaimRecord, ClaimStateStore } from "./claimState.js";
import {
  type ClaimOutcome,
  claimSession,
  type MiningChain,
  proveSession,
  type SessionHeader,
  settleSession,
} from "./claimSteps.js";
import type { SessionTrees } from "./trees.js";

/** What the lifecycle needs: the supplier's chain access, its trees, and where they live on disk. */
export type SessionLifecycleOptions = {
  chain: MiningChain;
  contracts: { sessionClock: Address; serviceRegistry: Address };
  trees: SessionTrees;
  /** The directory `trees` writes to; claim records are kept beside the trees. */
  dir: string;
  log: Logger;
  /** How often to look at the chain. Default 1000 ms. */
  pollMs?: number;
  /** First retry delay after a failed step, doubled up to `maxRetryMs`. Default 1000 / 60000 ms. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Where to count claims, proofs, settlements and failed steps (the RelayMiner's `/metrics`). */
  metrics?: MetricsRegistry;
  /** The chain RPC endpoint, named when it is unreachable. */
  rpcUrl?: string;
  /**
   * Whether the RelayMiner may still add relays to a session's tree: its chain cache has not yet passed the
   * session's last relay block (it lags the chain a little), or relays of the session are still in flight. A
   * claim waits until not (through the first half of its window at most): its tree is sealed when it is claimed,
   * and a relay finishing after that is lost. Default: never.
   */
  stillServing?: (header: SessionHeader) => boolean;
};

const CLAIM_NONE = 0;
const CLAIM_PROVEN = 2;
const CLAIM_SETTLED = 3;
const CLAIM_VOIDED = 4;

/**
 * Drives every session tree through its on-chain life without anyone watching: records each session's seed,
 * claims in the claim window, proves when the seed says so, settles once the proof window closes, then prunes.
 * Progress is persisted next to each tree, so after a crash or restart every pending claim or proof resumes (a
 * claim or proof that landed just before the crash is found on-chain, not sent twice). Chain errors are retried
 * with exponential backoff, and each wait is logged once with what it waits for; so is a chain RPC outage, with
 * the claims, proofs and settlements it holds up, which all go ahead as soon as the chain answers again.
 *
 * @example
 * const lifecycle = new SessionLifecycle({ chain, contracts, trees, dir: ".decai/trees", log });
 * lifecycle.start();
 * // ... on shutdown:
 * await lifecycle.stop();
 */
export class SessionLifecycle {
  readonly #store: ClaimStateStore;
  readonly #services = new Map<Hex, ServiceComputeUnits>();
  readonly #retry = new Map<string, { attempts: number; at: number }>();
  readonly #waiting = new Map<string, string>();
  #seededSession = -1n;
  readonly #outage: ChainOutage;
  readonly #counters: Record<"claims" | "proofs" | "settled" | "voided" | "paid" | "failures", Counter>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly options: SessionLifecycleOptions) {
    this.#store = new ClaimStateStore(options.dir);
    this.#outage = new ChainOutage({
      log: options.log,
      ...(options.rpcUrl ? { rpcUrl: options.rpcUrl } : {}),
      effect: "claims, proofs and settlements wait until it answers",
    });
    const registry = options.metrics ?? new MetricsRegistry();
    this.#counters = {
      claims: registry.counter("decai_claims_total", "Claims submitted.", ["service"]),
      proofs: registry.counter("decai_proofs_total", "Closest proofs submitted.", ["service"]),
      settled: registry.counter("decai_claims_settled_total", "Claims settled and paid.", ["service"]),
      voided: registry.counter("decai_claims_voided_total", "Claims voided for a missing proof.", [
        "service",
      ]),
      paid: registry.counter(
        "decai_settled_amount_total",
        "Payment-token base units paid out by settled claims (supplier, source and DAO parts).",
        ["service"],
      ),
      failures: registry.counter(
        "decai_claim_step_failures_total",
        "Claim, proof or settle steps that failed.",
        ["stage"],
      ),
    };
  }

  /** Starts polling the chain. */
  start(): void {
    const loop = async () => {
      this.#running = this.tick().then(
        () => undefined,
        (error) => {
          // An unreachable chain is reported once per outage (by `tick`), not on every poll.
          if (!this.#outage.down)
            this.options.log.warn("lifecycle tick failed; retrying next poll", { error });
        },
      );
      await this.#running;
      if (this.#timer !== undefined) this.#timer = setTimeout(loop, this.options.pollMs ?? 1000);
    };
    this.#timer = setTimeout(loop, 0);
  }

  /** Stops polling and waits for the step in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over every tree; exposed so tests and tools can drive the lifecycle block by block. */
  async tick(): Promise<ClaimRecord[]> {
    const { publicClient } = this.options.chain;
    let block: bigint;
    try {
      block = await publicClient.getBlockNumber({ cacheTime: 0 });
    } catch (error) {
      if (this.#outage.failed(error, { waitingFor: await this.#pending() })) this.#retry.clear();
      throw error;
    }
    if (this.#outage.recovered({ block })) this.#retry.clear(); // steps failed by the outage: go now
    await this.#recordSeed();
    const headers = new Map<string, SessionHeader>();
    for (const h of [...(await this.options.trees.list()), ...this.#store.scan()]) {
      const header = { application: h.application, serviceId: h.serviceId, session: h.session };
      headers.set(idOf(header), header);
    }
    // Steps with a deadline first (claims, then proofs, oldest session first); settlements can wait. One tick
    // sends its transactions one after the other, and a tick busy settling must not let a claim window close.
    const due = [...headers].map(([id, header]) => ({ id, header, record: this.#store.load(header) }));
    const urgency = (r: ClaimRecord) => ({ mining: 0, claimed: 1 })[r.stage as string] ?? 2;
    due.sort(
      (a, b) => urgency(a.record) - urgency(b.record) || (a.record.session < b.record.session ? -1 : 1),
    );
    const records: ClaimRecord[] = [];
    for (const { id, header, record } of due) {
      const retry = this.#retry.get(id);
      if (retry && retry.at > Date.now()) continue;
      try {
        records.push(await this.#advance(record, block));
        this.#retry.delete(id);
      } catch (error) {
        const attempts = (retry?.attempts ?? 0) + 1;
        const delay = Math.min(
          (this.options.retryMs ?? 1000) * 2 ** (attempts - 1),
          this.options.maxRetryMs ?? 60_000,
        );
        this.#retry.set(id, { attempts, at: Date.now() + delay });
        this.options.log.warn("claim step failed; will retry", {
          ...header,
          attempts,
          retryInMs: delay,
          error,
        });
      }
    }
    return records;
  }

  /** What each tree waits for, in words: for the outage line ("claim of session 4 (claim window opens at block 81)"). */
  async #pending(): Promise<string[]> {
    const headers = new Map<string, SessionHeader>();
    for (const h of [...(await this.options.trees.list()), ...this.#store.scan()]) headers.set(idOf(h), h);
    const steps = { mining: "claim", claimed: "proof", proved: "settlement" } as Record<string, string>;
    return [...headers.values()].map((h) => {
      const step = steps[this.#store.load(h).stage] ?? "pruning";
      const what = this.#waiting.get(idOf(h));
      return `${step} of session ${h.session} (application ${h.application})${what ? `: ${what}` : ""}`;
    });
  }

  /** Records the current session's seed if nobody has yet: session draws need it, and it is one cheap tx. */
  async #recordSeed(): Promise<void> {
    const { chain, contracts } = this.options;
    const read = (functionName: string, args: readonly unknown[] = []) =>
      chain.publicClient.readContract({
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName,
        args,
      } as never);
    const session = (await read("currentSession")) as bigint;
    if (session === this.#seededSession) return;
    if (BigInt((await read("sessionSeed", [session])) as Hex) === 0n) {
      const hash = await chain.walletClient.writeContract({
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "recordSessionSeed",
      });
      await chain.publicClient.waitForTransactionReceipt({ hash });
      this.options.log.info("recorded session seed", { session });
    }
    this.#seededSession = session;
  }

  async #advance(record: ClaimRecord, block: bigint): Promise<ClaimRecord> {
    const next = block + 1n; // the block our next transaction lands in
    const read = <T>(functionName: string, args: readonly unknown[]) =>
      this.options.chain.publicClient.readContract({
        address: this.options.chain.relayMining,
        abi: relayMiningAbi,
        functionName,
        args,
      } as never) as Promise<T>;

    if (record.stage === "mining") {
      const [open, close] = await read<readonly [bigint, bigint]>("claimWindow", [record.session]);
      if (next < open) return this.#wait(record, `claim window opens at block ${open}`);
      if (next >= close) {
        this.options.log.warn("claim window missed; the session's relays earn nothing", { ...record, close });
        return this.#finish({ ...record, stage: "missed" });
      }
      // For the first half of the window at most: a cache that never catches up must not cost the claim.
      if (next < open + (close - open) / 2n && this.options.stillServing?.(record)) {
        return this.#wait(record, "the session's last relays to finish");
      }
      const { tree } = await this.options.trees.get(record, await this.#service(record.serviceId));
      if (tree.size === 0) return this.#finish({ ...record, stage: "settled" });
      const landed = await this.#landedClaim(record);
      if (landed) {
        // Claimed just before a crash, the record not saved yet: sending it again would revert as a duplicate
        // until the window closed, and the claim would go unproven.
        tree.seal();
        this.options.log.info("claim found on-chain; resuming after it", { ...record, key: landed.key });
        return this.#save({ ...record, stage: "claimed", outcome: landed });
      }
      const outcome = await claimSession(this.options.chain, record, tree);
      this.#counters.claims.inc({ service: record.serviceId });
      this.options.log.info("claimed", {
        ...record,
        key: outcome.key,
        rootSum: outcome.rootSum,
        relays: outcome.rootCount,
      });
      return this.#save({ ...record, stage: "claimed", outcome });
    }

    const outcome = record.outcome as ClaimOutcome;
    const claim = await read<{ status: number; proofWindowOpen: bigint; proofWindowClose: bigint }>(
      "getClaim",
      [outcome.key],
    );
    if (claim.status === CLAIM_SETTLED || claim.status === CLAIM_VOIDED) {
      return this.#finish({
        ...record,
        stage: "settled",
        outcome: { ...outcome, voided: claim.status === CLAIM_VOIDED },
      });
    }

    if (record.stage === "claimed" && claim.status === CLAIM_PROVEN) {
      // Proven just before a crash, the record not saved yet: on to settlement.
      return this.#save({
        ...record,
        stage: "proved",
        outcome: { ...outcome, proofRequired: true, proven: true },
      });
    }
    if (record.stage === "claimed") {
      if (next <= claim.proofWindowOpen)
        return this.#wait(record, `proof seed at block ${claim.proofWindowOpen - 1n}`);
      if (next < claim.proofWindowClose) {
        const { tree } = await this.options.trees.get(record, await this.#service(record.serviceId));
        const proved = await proveSession(this.options.chain, outcome, tree);
        if (proved.proven) this.#counters.proofs.inc({ service: record.serviceId });
        this.options.log.info(proved.proven ? "proof submitted" : "no proof required", {
          ...record,
          key: outcome.key,
        });
        return this.#save({ ...record, stage: "proved", outcome: proved });
      }
      // Too late to prove: settle anyway; if a proof was required the claim is void.
      this.options.log.warn("proof window passed before the proof step ran", { ...record, key: outcome.key });
    }

    if (next < claim.proofWindowClose)
      return this.#wait(record, `settlement from block ${claim.proofWindowClose}`);
    const settled = await settleSession(this.options.chain, outcome);
    const labels = { service: record.serviceId };
    if (settled.voided) this.#counters.voided.inc(labels);
    else {
      this.#counters.settled.inc(labels);
      // Counters hold numbers; amounts beyond 2^53 base units lose precision here, never on-chain.
      this.#counters.paid.inc(labels, Number(settled.settledAmount ?? 0n));
    }
    this.options.log.info(settled.voided ? "claim voided" : "settled", {
      ...record,
      key: outcome.key,
      amount: settled.settledAmount,
    });
    await this.#updateDifficulty(record);
    return this.#finish({ ...record, stage: "settled", outcome: settled });
  }

  /** This supplier's claim of `header` if it is already on-chain (as its root: hash, sum, count). */
  async #landedClaim(header: SessionHeader): Promise<ClaimOutcome | undefined> {
    const { publicClient, relayMining, walletClient } = this.options.chain;
    const read = <T>(functionName: string, args: readonly unknown[]) =>
      publicClient.readContract({
        address: relayMining,
        abi: relayMiningAbi,
        functionName,
        args,
      } as never) as Promise<T>;
    const key = await read<Hex>("claimKey", [
      walletClient.account.address,
      header.application,
      header.serviceId,
      header.session,
    ]);
    const claim = await read<{ status: number; rootHash: Hex; rootSum: bigint; rootCount: bigint }>(
      "getClaim",
      [key],
    );
    if (claim.status === CLAIM_NONE) return undefined;
    return { key, rootHash: claim.rootHash, rootSum: claim.rootSum, rootCount: claim.rootCount };
  }

  /** Best effort: any supplier may move the service's difficulty once a session's claims are in. */
  async #updateDifficulty(header: SessionHeader): Promise<void> {
    try {
      const hash = await this.options.chain.walletClient.writeContract({
        address: this.options.chain.relayMining,
        abi: relayMiningAbi,
        functionName: "updateDifficulty",
        args: [header.serviceId, header.session],
      });
      await this.options.chain.publicClient.waitForTransactionReceipt({ hash });
    } catch {
      // Someone else updated it already, or a later session did: nothing to do.
    }
  }

  async #service(serviceId: Hex): Promise<ServiceComputeUnits> {
    let service = this.#services.get(serviceId);
    if (!service) {
      service = await this.options.chain.publicClient.readContract({
        address: this.options.contracts.serviceRegistry,
        abi: serviceRegistryAbi,
        functionName: "getService",
        args: [serviceId],
      });
      this.#services.set(serviceId, service);
    }
    return service;
  }

  #wait(record: ClaimRecord, what: string): ClaimRecord {
    const id = idOf(record);
    if (this.#waiting.get(id) !== what) {
      this.#waiting.set(id, what);
      this.options.log.info("waiting", { ...record, stage: record.stage, for: what });
    }
    return record;
  }

  #save(record: ClaimRecord): ClaimRecord {
    this.#store.save(record);
    return record;
  }

  async #finish(record: ClaimRecord): Promise<ClaimRecord> {
    this.#waiting.delete(idOf(record));
    await this.options.trees.close(record);
    this.#store.prune(record);
    return record;
  }
}

const idOf = (h: SessionHeader) => `${h.session}/${h.application}-${h.serviceId}`.toLowerCase();
