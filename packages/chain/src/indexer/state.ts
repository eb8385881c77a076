import {
  type ComputeUnitMode,
  computeSessionSuppliers,
  type Epoch,
  epochOf,
  type SupplierEntry,
  sessionEndBlock,
  sessionOf,
} from "@decai/core";
import type { Address, Hex } from "viem";

/** A registered service as the hot path needs it; mirrors the Solidity `Service` struct. */
export type ServiceRecord = {
  source: Address;
  modelName: string;
  weightsDigest: Hex;
  sourceShareBps: number;
  cuMode: ComputeUnitMode | number;
  cuPerRelay: bigint;
  cuPerInputToken: bigint;
  cuPerOutputToken: bigint;
};

/** An application's escrow and services, as of the indexer's last sync. */
export type ApplicationRecord = {
  escrow: bigint;
  /** First session it may withdraw in; 0n while not unbonding. */
  withdrawableFromSession: bigint;
  /** Lower-cased service ids it uses. */
  serviceIds: ReadonlySet<string>;
};

/** One delegation interval: sessions [fromSession, untilSession). */
export type DelegationInterval = { fromSession: bigint; untilSession: bigint };

const key = (...parts: (string | bigint)[]) => parts.join("|").toLowerCase();

/**
 * The chain state a RelayMiner reads on its hot path, held in memory and answered synchronously. The
 * `ChainIndexer` fills it from contract reads and events; nothing here touches the network.
 *
 * @example
 * const state = indexer.state;
 * if (!state.isDelegated(app, signer, session)) reject("signer not delegated");
 */
export class ChainState {
  #blockNumber = -1n;
  #currentSession = -1n;
  #epochs: readonly Epoch[] = [];
  readonly #seeds = new Map<bigint, Hex>();
  readonly #services = new Map<string, ServiceRecord>();
  readonly #entries = new Map<string, readonly SupplierEntry[]>();
  readonly #applications = new Map<string, ApplicationRecord>();
  readonly #delegations = new Map<string, readonly DelegationInterval[]>();
  readonly #weightsDigests = new Map<string, Hex>();
  // (application, service, session) → suppliers; only for sessions whose seed is known, which makes them final.
  readonly #drawMemo = new Map<string, readonly Address[]>();

  /** Head block the state reflects; -1n before the first sync. */
  get blockNumber(): bigint {
    return this.#blockNumber;
  }

  /** Session of `blockNumber`; -1n before the first sync. */
  get currentSession(): bigint {
    return this.#currentSession;
  }

  /** Every session epoch, oldest first (the last may be pending). */
  get epochs(): readonly Epoch[] {
    return this.#epochs;
  }

  /** The last block of `session` (inclusive). */
  sessionEndBlock(session: bigint): bigint {
    return sessionEndBlock(this.#epochs, session);
  }

  /** The recorded seed of `session`, or undefined while none is recorded (or known). */
  sessionSeed(session: bigint): Hex | undefined {
    return this.#seeds.get(session);
  }

  /** The service registered under `serviceId`, if it is one the indexer follows and it exists. */
  service(serviceId: Hex): ServiceRecord | undefined {
    return this.#services.get(serviceId.toLowerCase());
  }

  /** Every supplier entry of a followed service, in insertion order. */
  supplierEntries(serviceId: Hex): readonly SupplierEntry[] {
    return this.#entries.get(serviceId.toLowerCase()) ?? [];
  }

  /** Whether `supplier` has an entry covering `session` for `serviceId` (it is staked for it then). */
  isSupplierStaked(supplier: Address, serviceId: Hex, session: bigint): boolean {
    const wanted = supplier.toLowerCase();
    for (const e of this.supplierEntries(serviceId)) {
      if (e.supplier.toLowerCase() === wanted && e.fromSession <= session && session < e.untilSession)
        return true;
    }
    return false;
  }

  /**
   * The suppliers of (application, service, session), as `Sessions.getSessionSuppliers` draws them; memoised.
   * Undefined while the session's seed is unknown (not recorded yet, or the session has not started).
   */
  sessionSuppliers(application: Address, serviceId: Hex, session: bigint): readonly Address[] | undefined {
    const memoKey = key(application, serviceId, session);
    const hit = this.#drawMemo.get(memoKey);
    if (hit) return hit;
    const seed = this.#seeds.get(session);
    if (!seed || this.#epochs.length === 0) return undefined;
    const suppliers = computeSessionSuppliers({
      seed,
      application,
      serviceId,
      session,
      entries: this.supplierEntries(serviceId),
      suppliersPerSession: epochOf(this.#epochs, session).suppliersPerSession,
    });
    this.#drawMemo.set(memoKey, suppliers);
    return suppliers;
  }

  /** Whether `gateway` may sign relays for `application` in `session`. */
  isDelegated(application: Address, gateway: Address, session: bigint): boolean {
    const intervals = this.#delegations.get(key(application, gateway));
    if (!intervals) return false;
    for (const d of intervals) if (d.fromSession <= session && session < d.untilSession) return true;
    return false;
  }

  /** The application's record, if it ever used a followed service. */
  application(application: Address): ApplicationRecord | undefined {
    return this.#applications.get(application.toLowerCase());
  }

  /** The application's escrow in payment-token base units (0n when unknown). */
  escrow(application: Address): bigint {
    return this.#applications.get(application.toLowerCase())?.escrow ?? 0n;
  }

  /** Whether `application` uses `serviceId` (a claim for it would be accepted). */
  usesService(application: Address, serviceId: Hex): boolean {
    return (
      this.#applications.get(application.toLowerCase())?.serviceIds.has(serviceId.toLowerCase()) ?? false
    );
  }

  /**
   * The weights digest `supplier` declared on-chain for `serviceId` (`Staking.supplierWeightsDigest`), or undefined
   * when it declared none. Compare it with `service(serviceId).weightsDigest`.
   */
  supplierWeightsDigest(supplier: Address, serviceId: Hex): Hex | undefined {
    return this.#weightsDigests.get(key(supplier, serviceId));
  }

  // ---------------------------------------------------------------- writers (the indexer's)

  /** @internal Moves the head and forgets memoised draws of sessions too old to be served. */
  setHead(blockNumber: bigint): void {
    this.#blockNumber = blockNumber;
    if (this.#epochs.length === 0) return;
    this.#currentSession = sessionOf(this.#epochs, blockNumber);
    if (this.#drawMemo.size > 10_000) this.#drawMemo.clear();
  }

  /** @internal */
  setEpochs(epochs: readonly Epoch[]): void {
    this.#epochs = epochs;
    this.#drawMemo.clear();
    if (this.#blockNumber >= 0n) this.#currentSession = sessionOf(epochs, this.#blockNumber);
  }

  /** @internal Seeds are final once recorded. */
  setSeed(session: bigint, seed: Hex): void {
    this.#seeds.set(session, seed);
  }

  /** @internal */
  setService(serviceId: Hex, service: ServiceRecord | undefined): void {
    if (service) this.#services.set(serviceId.toLowerCase(), service);
    else this.#services.delete(serviceId.toLowerCase());
  }

  /** @internal Entries only change for future sessions, but drop the memo anyway: it is cheap to rebuild. */
  setSupplierEntries(serviceId: Hex, entries: readonly SupplierEntry[]): void {
    this.#entries.set(serviceId.toLowerCase(), entries);
    this.#drawMemo.clear();
  }

  /** @internal */
  setApplication(application: Address, record: ApplicationRecord): void {
    this.#applications.set(application.toLowerCase(), record);
  }

  /** @internal */
  setSupplierWeightsDigest(supplier: Address, serviceId: Hex, digest: Hex): void {
    this.#weightsDigests.set(key(supplier, serviceId), digest);
  }

  /** @internal Withdrawal deletes every declaration of the supplier. */
  forgetSupplierWeightsDigests(supplier: Address): void {
    const prefix = key(supplier, "");
    for (const k of this.#weightsDigests.keys()) if (k.startsWith(prefix)) this.#weightsDigests.delete(k);
  }

  /** @internal */
  setDelegations(application: Address, gateway: Address, intervals: readonly DelegationInterval[]): void {
    this.#delegations.set(key(application, gateway), intervals);
  }
}
