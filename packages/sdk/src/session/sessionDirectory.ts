import {
  computeSessionSuppliers,
  type Epoch,
  epochOf,
  type SupplierEntry,
  sessionOf,
  sessionStartBlock,
} from "@decai/core";
import type { Address, Hex } from "viem";
import { NoSessionError } from "../errors.js";
import { type Clock, systemClock } from "../qos/clock.js";
import type { SessionChain } from "./sessionChain.js";

/** A supplier drawn for a session, where to reach it, and the session to sign its relays for. */
export type SessionSupplier = {
  supplier: Address;
  /** Base URL of its RelayMiner, as declared on chain. */
  endpoint: string;
  session: bigint;
  /** Who runs it, for the operator-share cap (see `SessionDirectoryOptions.operatorOf`). */
  operator?: string;
  /**
   * The weights digest it declared on-chain for the service, as read when the session was loaded; absent when
   * it declared none (or the `SessionChain` cannot tell). Compare it with the service's registered digest.
   */
  weightsDigest?: Hex;
};

/** One (application, service, session) and its suppliers. */
export type Session = {
  application: Address;
  serviceId: Hex;
  session: bigint;
  startBlock: bigint;
  /** Last block of the session proper. */
  endBlock: bigint;
  /** Last block in which its relays are still served (the grace period ends here). */
  lastRelayBlock: bigint;
  /** In draw order; suppliers without a declared endpoint are left out. */
  suppliers: readonly SessionSupplier[];
};

/** Options of {@link SessionDirectory}. */
export type SessionDirectoryOptions = {
  chain: SessionChain;
  /** How long a read head block is trusted before it is read again, ms. Default 1000. */
  headTtlMs?: number;
  /** Names a supplier's operator (e.g. from its endpoint's domain); default: none (each supplier alone). */
  operatorOf?: (supplier: Address, endpoint: string) => string | undefined;
  /**
   * While the chain cannot be read, the sessions last read are served for up to this long (ms), as RelayMiners
   * serve from their cached chain state: an RPC outage does not stop traffic. Default 600_000; 0: never.
   */
  maxStaleMs?: number;
  clock?: Clock;
};

type Cached<T> = { value: Promise<T>; at: number };

/**
 * Knows, per (application, service), the sessions that can be served now and their suppliers: the current
 * session once its seed is recorded, and the previous one until its grace period ends
 * (`RelayMining.claimWindow(session).open - 1`), so relays keep flowing across a rollover even before the new
 * session's seed exists. Everything is read from chain lazily and cached: a session's suppliers are final once
 * its seed is known; the head is re-read after `headTtlMs`. While the chain cannot be read, the sessions last
 * read keep being answered (up to `maxStaleMs`), as RelayMiners keep serving from their cached chain state.
 *
 * @example
 * const directory = new SessionDirectory({ chain: createSessionChain(client, deployment.contracts) });
 * const [session, previous] = await directory.sessions(app, toServiceId("tiny-llama"));
 * session.suppliers; // [{ supplier, endpoint, session }, ...]
 */
export class SessionDirectory {
  readonly #chain: SessionChain;
  readonly #headTtl: number;
  readonly #clock: Clock;
  readonly #operatorOf: SessionDirectoryOptions["operatorOf"];
  #head: Cached<bigint> | undefined;
  #epochs: { value: Promise<readonly Epoch[]>; session: bigint } | undefined;
  readonly #views = new Map<string, Cached<Session | undefined>>();
  readonly #entries = new Map<string, Promise<readonly SupplierEntry[]>>();
  readonly #lastRelayBlocks = new Map<bigint, Promise<bigint>>();
  readonly #maxStaleMs: number;
  /** The last answer of `sessions` per (application, service), for when the chain cannot be read. */
  readonly #lastRead = new Map<string, { sessions: Session[]; at: number }>();
  /** Until when (clock ms) a failed chain read is not retried for a request that has a cached answer. */
  #chainDownUntil = 0;

  constructor(options: SessionDirectoryOptions) {
    this.#chain = options.chain;
    this.#headTtl = options.headTtlMs ?? 1000;
    this.#clock = options.clock ?? systemClock;
    this.#operatorOf = options.operatorOf;
    this.#maxStaleMs = options.maxStaleMs ?? 600_000;
  }

  /** The head block, re-read when the cached one is older than `headTtlMs`. */
  async blockNumber(): Promise<bigint> {
    const now = this.#clock();
    if (!this.#head || now - this.#head.at > this.#headTtl) {
      const value = this.#chain.blockNumber();
      this.#head = { value, at: now };
      value.catch(() => {
        if (this.#head?.value === value) this.#head = undefined;
      });
    }
    return this.#head.value;
  }

  /**
   * Forgets the cached head and every "seed not recorded yet" answer, so the next call reads the chain again
   * (e.g. when a RelayMiner says the session differs from ours: a rollover is in progress).
   */
  refresh(): void {
    this.#head = undefined;
    this.#chainDownUntil = 0;
    for (const [key, entry] of this.#views) if (entry.at >= 0) this.#views.delete(key);
  }

  /**
   * The sessions of (application, service) that can be served now, newest first: the current one when its
   * seed is recorded, then the previous one while in its grace period. Throws `NoSessionError` when there is
   * none. While the chain cannot be read, answers what it last read (up to `maxStaleMs` old).
   */
  async sessions(application: Address, serviceId: Hex): Promise<Session[]> {
    const key = `${application}|${serviceId}`.toLowerCase();
    const last = this.#lastRead.get(key);
    // The chain failed a moment ago: answer at once rather than wait on it (and its retries) for every request.
    if (last && this.#clock() < this.#chainDownUntil) return last.sessions;
    try {
      const sessions = await this.#read(application, serviceId);
      this.#lastRead.set(key, { sessions, at: this.#clock() });
      return sessions;
    } catch (error) {
      // The cached session stays servable through an RPC outage; the RelayMiners say when it is over.
      if (error instanceof NoSessionError || !last || this.#clock() - last.at > this.#maxStaleMs) throw error;
      this.#chainDownUntil = this.#clock() + Math.max(this.#headTtl, 1_000);
      return last.sessions;
    }
  }

  async #read(application: Address, serviceId: Hex): Promise<Session[]> {
    const blockNumber = await this.blockNumber();
    const epochs = await this.#epochsAt(blockNumber);
    const current = sessionOf(epochs, blockNumber);
    const found: Session[] = [];
    const now = await this.#session(application, serviceId, current, epochs);
    if (now && now.suppliers.length > 0) found.push(now);
    if (current > 0n && blockNumber <= (await this.#lastRelayBlock(current - 1n))) {
      const previous = await this.#session(application, serviceId, current - 1n, epochs);
      if (previous && previous.suppliers.length > 0) found.push(previous);
    }
    this.#prune(current);
    if (found.length === 0) {
      const why = now
        ? `no supplier with an endpoint is drawn in session ${current}`
        : `the seed of session ${current} is not recorded yet (RelayMiners record it at session start): retry in a few seconds`;
      throw new NoSessionError(application, serviceId, why, { pending: !now });
    }
    return found;
  }

  /**
   * Every supplier that can serve (application, service) now, current session first. Each carries the session
   * its relays must be signed for.
   */
  async suppliers(application: Address, serviceId: Hex): Promise<SessionSupplier[]> {
    return (await this.sessions(application, serviceId)).flatMap((s) => s.suppliers);
  }

  /** Epochs, re-read once per session (a parameter change takes effect at a session boundary). */
  async #epochsAt(blockNumber: bigint): Promise<readonly Epoch[]> {
    if (this.#epochs) {
      const epochs = await this.#epochs.value;
      if (sessionOf(epochs, blockNumber) === this.#epochs.session) return epochs;
    }
    const value = this.#chain.epochs();
    const entry = { value, session: -1n };
    this.#epochs = entry;
    try {
      entry.session = sessionOf(await value, blockNumber);
    } catch (error) {
      if (this.#epochs === entry) this.#epochs = undefined;
      throw error;
    }
    return value;
  }

  #session(application: Address, serviceId: Hex, session: bigint, epochs: readonly Epoch[]) {
    const key = `${application}|${serviceId}|${session}`.toLowerCase();
    const now = this.#clock();
    const hit = this.#views.get(key);
    if (hit && (hit.at < 0 || now - hit.at <= this.#headTtl)) return hit.value;
    const value = this.#load(application, serviceId, session, epochs);
    const entry: Cached<Session | undefined> = { value, at: now };
    this.#views.set(key, entry);
    // A session with a seed is final (at = -1: keep); without one, ask again after the head TTL; errors: retry.
    value.then(
      (view) => {
        if (view) entry.at = -1;
      },
      () => {
        if (this.#views.get(key) === entry) this.#views.delete(key);
      },
    );
    return value;
  }

  async #load(
    application: Address,
    serviceId: Hex,
    session: bigint,
    epochs: readonly Epoch[],
  ): Promise<Session | undefined> {
    const seed = await this.#chain.sessionSeed(session);
    if (!seed) return undefined;
    const [entries, lastRelayBlock] = await Promise.all([
      this.#serviceEntries(serviceId, session),
      this.#lastRelayBlock(session),
    ]);
    const drawn = computeSessionSuppliers({
      seed,
      application,
      serviceId,
      session,
      entries,
      suppliersPerSession: epochOf(epochs, session).suppliersPerSession,
    });
    const [endpoints, digests] = await Promise.all([
      Promise.all(drawn.map((s) => this.#chain.supplierEndpoint(s, serviceId))),
      Promise.all(drawn.map((s) => this.#chain.supplierWeightsDigest?.(s, serviceId))),
    ]);
    const suppliers: SessionSupplier[] = [];
    drawn.forEach((supplier, i) => {
      const endpoint = (endpoints[i] ?? "").replace(/\/+$/, "");
      if (!endpoint) return;
      const operator = this.#operatorOf?.(supplier, endpoint);
      const weightsDigest = digests[i];
      suppliers.push({
        supplier,
        endpoint,
        session,
        ...(operator ? { operator } : {}),
        ...(weightsDigest ? { weightsDigest } : {}),
      });
    });
    return {
      application,
      serviceId,
      session,
      startBlock: sessionStartBlock(epochs, session),
      endBlock: sessionStartBlock(epochs, session + 1n) - 1n,
      lastRelayBlock,
      suppliers,
    };
  }

  /** Entries change only for future sessions: one read per (service, session) serves every application. */
  #serviceEntries(serviceId: Hex, session: bigint): Promise<readonly SupplierEntry[]> {
    const key = `${serviceId}|${session}`.toLowerCase();
    let hit = this.#entries.get(key);
    if (!hit) {
      hit = this.#chain.supplierEntries(serviceId);
      this.#entries.set(key, hit);
      hit.catch(() => this.#entries.delete(key));
    }
    return hit;
  }

  #lastRelayBlock(session: bigint): Promise<bigint> {
    let hit = this.#lastRelayBlocks.get(session);
    if (!hit) {
      hit = this.#chain.lastRelayBlock(session);
      this.#lastRelayBlocks.set(session, hit);
      hit.catch(() => this.#lastRelayBlocks.delete(session));
    }
    return hit;
  }

  /** Drops what belongs to sessions that can no longer be served. */
  #prune(current: bigint): void {
    for (const key of this.#views.keys()) {
      if (BigInt(key.slice(key.lastIndexOf("|") + 1)) < current - 1n) this.#views.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (BigInt(key.slice(key.lastIndexOf("|") + 1)) < current - 1n) this.#entries.delete(key);
    }
    for (const session of this.#lastRelayBlocks.keys()) {
      if (session < current - 1n) this.#lastRelayBlocks.delete(session);
    }
  }
}
