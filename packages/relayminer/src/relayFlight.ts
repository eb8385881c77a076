import type { Relay } from "@decai/core";
import type { Logger } from "./log.js";
import type { RelayMeter, Reservation } from "./meter.js";
import type { RelayMinerMetrics } from "./metrics.js";
import type { StoreHealth } from "./mining/storeHealth.js";
import type { OpenSessionTree, SessionTrees } from "./mining/trees.js";
import type { BackendClient } from "./proxy.js";
import type { ReplayGuard } from "./replay.js";
import type { RequestBodyInfo } from "./usage.js";
import type { AuthorizedRelay, ValidationContext } from "./validate.js";

/** A served relay, as reported to `onRelay` observers (the claim lifecycle, tests). */
export type ServedRelay = {
  relay: Relay;
  /** Compute units the meter charged. */
  weight: bigint;
  /** Whether it met the difficulty and went into its session tree. */
  mined: boolean;
  stream: boolean;
  /** False when the client left mid-stream: the receipt covers only what was sent before. */
  complete: boolean;
};

/** Everything one relay needs; built once by the server. */
export type RelayHandlerDeps = {
  validation: ValidationContext;
  /** Backend client, metrics label and the model file's digest (when known) per lower-cased service id. */
  backends: ReadonlyMap<string, { name: string; client: BackendClient; weightsDigest?: `0x${string}` }>;
  maxBodyBytes: number;
  supplierKey: Uint8Array;
  meter: RelayMeter;
  replay: ReplayGuard;
  trees: SessionTrees;
  /** Whether trees and replay logs take writes: relays are refused (503) while they do not. */
  store: StoreHealth;
  metrics: RelayMinerMetrics;
  log: Logger;
  onRelay?: (served: ServedRelay) => void;
  /**
   * Brings the chain cache up to date now. Called at most once per relay, only when the relay names a session
   * the cache has not seen start yet (its seed or first block): at a session rollover the application may read the
   * chain a few hundred ms before our next poll.
   */
  refreshChain?: () => Promise<unknown>;
};

/**
 * Per-relay state shared by the serving paths.
 * @internal
 */
export type Flight = {
  relay: AuthorizedRelay;
  info: RequestBodyInfo;
  reservation: Reservation;
  service: string;
  stream: boolean;
  /** The relay's session tree, opened before the first byte is served: a store that cannot open it serves nothing. */
  tree?: OpenSessionTree;
};
