// How verification sends its own requests (watcher challenges, re-executions) to chosen suppliers: through the
// same SDK client, key and application as user traffic, so a supplier cannot tell them apart by who signs them.
import { randomBytes } from "node:crypto";
import { toServiceId } from "@decai/core";
import type { DecaiClient } from "@decai/sdk";
import type { Address } from "viem";
import type { Declaration } from "./artifactVerdicts.js";
import { choicesOf, StreamedAnswer, usageOf } from "./exchange.js";
import type { Exchange, ExchangeOrigin, VerifiedEndpoint } from "./types.js";

/** A request verification sends itself. */
export type ChallengeRequest = {
  service: string;
  endpoint: VerifiedEndpoint;
  body: Record<string, unknown>;
  /** Only this supplier (a challenge). */
  supplier?: string;
  /** Any supplier but these (a re-execution). */
  exclude?: readonly string[];
  origin: ExchangeOrigin;
  signal?: AbortSignal;
};

/** Sends verification's own requests and lists the suppliers a service has now. */
export interface ChallengeTransport {
  /** The suppliers currently serving the service (the session's, for the gateway's application). */
  suppliers(service: string): Promise<string[]>;
  /** Sends one request and reads the whole answer; throws when no supplier answered. */
  send(request: ChallengeRequest): Promise<Exchange>;
  /**
   * Optional: the weights digest each current supplier of the service declared on-chain (artifact commitment),
   * `weightsDigest` absent where it declared none. Without it the verifier checks no declarations.
   */
  declarations?(service: string): Promise<Declaration[]>;
}

const paths: Record<VerifiedEndpoint, string> = {
  "chat.completions": "/v1/chat/completions",
  completions: "/v1/completions",
};

/**
 * The transport over the Decai network: the gateway's own `DecaiClient` (its key, its application), pinned to one
 * supplier or excluding some, without hedging. Streams are read to the end; the exchange carries the signed
 * receipt's usage and the signed relay.
 *
 * @example
 * const { upstream, pricing, client } = connectDecaiNetwork({ client, deployment, gatewayKey, application });
 * const verifier = await Verifier.create({ transport: decaiTransport(client), references });
 */
export function decaiTransport(client: DecaiClient): ChallengeTransport {
  return {
    async suppliers(service) {
      const candidates = await client.sessions.suppliers(client.application, toServiceId(service));
      return [...new Set(candidates.map((c) => c.supplier.toLowerCase()))];
    },
    async declarations(service) {
      // Read with the session (current first, then the previous one in its grace period): the current one wins.
      const candidates = await client.sessions.suppliers(client.application, toServiceId(service));
      const declared = new Map<string, string | undefined>();
      for (const c of candidates) {
        const supplier = c.supplier.toLowerCase();
        if (!declared.has(supplier)) declared.set(supplier, c.weightsDigest);
      }
      return [...declared].map(([supplier, weightsDigest]) => ({
        supplier,
        ...(weightsDigest ? { weightsDigest } : {}),
      }));
    },
    async send(request) {
      const requestBody = Buffer.from(JSON.stringify(request.body));
      const result = await client.relay({
        body: request.body,
        path: paths[request.endpoint],
        service: request.service,
        hedge: false,
        ...(request.supplier ? { supplier: request.supplier as Address } : {}),
        ...(request.exclude ? { exclude: request.exclude as Address[] } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      const base = {
        service: request.service,
        endpoint: request.endpoint,
        request: request.body,
        supplier: result.supplier.toLowerCase(),
        origin: request.origin,
      };
      if (!result.stream) {
        const body = JSON.parse(result.body.toString("utf8")) as Record<string, unknown>;
        const relay = result.receipt.relay;
        const usage = result.receipt.usage;
        return {
          ...base,
          id: result.relayHash,
          stream: false,
          choices: choicesOf(body),
          usage: usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : usageOf(body),
          ...(relay ? { signed: { relay, requestBody, responseBody: result.body } } : {}),
          at: Date.now(),
        };
      }
      const answer = new StreamedAnswer();
      const bytes: Buffer[] = [];
      for await (const event of result) {
        bytes.push(event.bytes);
        if (event.event && event.event !== "message") continue;
        if (event.data === "[DONE]" || event.data === "") continue;
        answer.add(JSON.parse(event.data) as Record<string, unknown>);
      }
      const receipt = await result.receipt;
      const usage = receipt.usage;
      return {
        ...base,
        id: result.relayHash ?? `x_${randomBytes(8).toString("hex")}`,
        stream: true,
        choices: answer.choices(),
        usage: usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : answer.usage,
        ...(receipt.relay
          ? { signed: { relay: receipt.relay, requestBody, responseBody: Buffer.concat(bytes) } }
          : {}),
        at: Date.now(),
      };
    },
  };
}
