import type { Address, PublicClient } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { SupplierScorer } from "../qos/supplierScorer.js";
import type { Evidence } from "../relay/evidence.js";
import { createSessionChain, type SessionContracts } from "../session/sessionChain.js";
import { SessionDirectory } from "../session/sessionDirectory.js";
import type { ClientRelayResult } from "./attempt.js";
import type { DecaiClientOptions, RelayParameters } from "./clientOptions.js";
import { relayWithRetries } from "./relayLoop.js";
import { createResources, type Resources } from "./resources.js";
import type { ClientContext } from "./routing.js";
import { SpentShares } from "./spentShares.js";

export type { ClientRelayResult } from "./attempt.js";
export type { DecaiClientOptions, RelayParameters } from "./clientOptions.js";

const evidenceKept = 1000;

/**
 * An application's (or a gateway's) client of the network: finds the session's suppliers, picks one by QoS,
 * signs the relay, checks the receipt, and retries on another supplier on connection errors, timeouts, 5xx,
 * 429 and invalid receipts, as long as nothing was handed to the caller yet (for streams: until the first
 * event). Across a session rollover (new seed not recorded yet, RelayMiners behind the chain) it falls back on
 * the previous session while that is in its grace period, else waits briefly and asks again, so callers see no
 * error. Non-streamed requests may be hedged. Every outcome feeds the scorer; every invalid receipt is kept as
 * evidence. Streams are committed once their first event arrives: a later cut throws `RelayStreamError`, which
 * a gateway turns into a clean SSE error event (`streamErrorEvent`).
 *
 * @example
 * const client = DecaiClient.fromDeployment({ client: publicClient, deployment, signerKey: appKey });
 * const completion = await client.chat.completions.create({
 *   model: "tiny-llama", messages: [{ role: "user", content: "Hello" }], max_tokens: 32,
 * });
 * console.log(completion.choices[0]?.message.content, completion.decai.receipt.valid);
 */
export class DecaiClient {
  readonly application: Address;
  readonly signer: Address;
  readonly scorer: SupplierScorer;
  readonly sessions: SessionDirectory;
  /** The most recent invalid receipts (up to 1000), oldest first. */
  readonly evidence: Evidence[] = [];
  readonly chat: Resources["chat"];
  readonly completions: Resources["completions"];
  readonly embeddings: Resources["embeddings"];
  readonly #options: DecaiClientOptions;
  readonly #context: ClientContext;

  constructor(options: DecaiClientOptions) {
    this.#options = options;
    this.signer = privateKeyToAddress(
      typeof options.signerKey === "string"
        ? options.signerKey
        : `0x${Buffer.from(options.signerKey).toString("hex")}`,
    );
    this.application = options.application ?? this.signer;
    this.scorer = options.scorer ?? new SupplierScorer();
    this.sessions = options.sessions;
    const resources = createResources(this, options.defaultMaxTokens ?? 1024);
    this.chat = resources.chat;
    this.completions = resources.completions;
    this.embeddings = resources.embeddings;
    this.#context = {
      options,
      application: this.application,
      scorer: this.scorer,
      sessions: this.sessions,
      spent: new SpentShares(),
      record: (evidence) => this.#record(evidence),
    };
  }

  /**
   * A client reading sessions straight from the contracts of a deployment.
   *
   * @example
   * const client = DecaiClient.fromDeployment({ client: publicClient, deployment: loadDeployment(path), signerKey });
   */
  static fromDeployment(
    args: Omit<DecaiClientOptions, "domain" | "sessions"> & {
      client: PublicClient;
      deployment: { chainId: number; contracts: SessionContracts };
      headTtlMs?: number;
    },
  ): DecaiClient {
    const { client, deployment, headTtlMs, ...options } = args;
    const sessions = new SessionDirectory({
      chain: createSessionChain(client, deployment.contracts),
      ...(headTtlMs !== undefined ? { headTtlMs } : {}),
    });
    const domain = { chainId: deployment.chainId, verifyingContract: deployment.contracts.relayMining };
    return new DecaiClient({ ...options, sessions, domain });
  }

  /**
   * Sends one request through the network, with supplier choice, retries, hedging and receipt checks. Resolves
   * with a complete answer whose receipt verified, or a stream whose first event arrived. Throws
   * `AllSuppliersFailedError` when no supplier could serve it, a non-retryable `RelayError` when the request
   * itself was refused (its `status` and `body` fit an OpenAI client), `NoSessionError` when no session is
   * servable.
   *
   * @example
   * const answer = await client.relay({ body: { model: "tiny-llama", messages, max_tokens: 16, stream: true } });
   * if (answer.stream) for await (const event of answer) res.write(event.bytes);
   * else res.end(answer.body);
   */
  async relay(params: RelayParameters): Promise<ClientRelayResult> {
    return relayWithRetries(this.#context, params);
  }

  #record(evidence: readonly Evidence[]): void {
    for (const e of evidence) {
      this.evidence.push(e);
      this.#options.onEvidence?.(e);
    }
    if (this.evidence.length > evidenceKept) this.evidence.splice(0, this.evidence.length - evidenceKept);
  }
}
