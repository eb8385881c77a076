import type { Agent } from "node:http";
import type { PrivateKey, RelayDomain } from "@decai/core";
import type { Address, Hex } from "viem";
import type { SortBy, SupplierScorer } from "../qos/supplierScorer.js";
import type { Evidence } from "../relay/evidence.js";
import type { UsagePolicy } from "../relay/receipt.js";
import type { SessionDirectory } from "../session/sessionDirectory.js";

/** Options of {@link DecaiClient}. */
export type DecaiClientOptions = {
  /** Signs every relay: the application's own key, or a gateway's key for applications that delegate to it. */
  signerKey: PrivateKey;
  /** The application relays are for, unless a call names one. Default: the signer's address (sovereign). */
  application?: Address;
  /** `{ chainId, verifyingContract: deployment.contracts.relayMining }`. */
  domain: RelayDomain;
  sessions: SessionDirectory;
  /** Shared QoS state; pass the same scorer to every client of a gateway. Default: a fresh one. */
  scorer?: SupplierScorer;
  /** Default "latency". */
  sort?: SortBy;
  /** Suppliers tried per request, hedges included. Default 3. */
  maxAttempts?: number;
  /** Non-streamed requests: ask a second supplier after `delayMs` without an answer; the first answer wins. */
  hedge?: { delayMs: number };
  /** Longest wait for a supplier's response headers, ms. Default 60_000. */
  timeoutMs?: number;
  /**
   * How long a request waits out a session rollover before failing, ms: a new session whose seed is not recorded
   * yet, or RelayMiners that have not seen the session the chain is in (all of them lag alike, so trying another
   * supplier does not help; a moment later they have caught up). Default 5_000; 0: fail at once.
   */
  rolloverWaitMs?: number;
  /** max_tokens set on chat and text completions that do not set one (it bounds the signed cost). Default 1024. */
  defaultMaxTokens?: number;
  usagePolicy?: UsagePolicy;
  /** Called with every invalid receipt (also kept in `evidence`). */
  onEvidence?: (evidence: Evidence) => void;
  /** Called for every supplier tried: the first pick, a retry after a failure, or a hedge. For metrics. */
  onAttempt?: (event: { kind: "first" | "retry" | "hedge"; supplier: Address; serviceId: Hex }) => void;
  /**
   * A routing weight per supplier and service, from outside QoS (e.g. a gateway's verification reputation): 0
   * sends it no traffic, a value in (0, 1) sends it less, 1 (default) changes nothing. Ignored for a relay that
   * names its `supplier`.
   */
  weight?: (supplier: Address, serviceId: Hex) => number;
  /** Called for every failed attempt, with the failure kind (`unreachable`, `status`, `invalid_receipt`, ...). */
  onFailure?: (event: { kind: string; supplier: Address; serviceId: Hex; retryable: boolean }) => void;
  agent?: Agent;
};

/** One relay through the client: where it goes and what it carries. */
export type RelayParameters = {
  /** The request body: bytes and strings go out unchanged, objects as JSON. */
  body: string | Uint8Array | Record<string, unknown>;
  /** Default "/v1/chat/completions". */
  path?: string;
  /** The service: a name ("tiny-llama") or a bytes32 id. Default: the body's `model`. */
  service?: string | Hex;
  /** Default: the client's application. */
  application?: Address;
  /** Signed output bound. Default: the body's max_tokens, else 0. */
  maxTokens?: number;
  sort?: SortBy;
  /** Overrides the client's hedging for this request (`false`: none). */
  hedge?: { delayMs: number } | false;
  /** Only this supplier of the session (e.g. a verification challenge): no other is tried, weights are ignored. */
  supplier?: Address;
  /** Suppliers not to use for this request (e.g. the one whose answer is being re-executed). */
  exclude?: readonly Address[];
  signal?: AbortSignal;
};
