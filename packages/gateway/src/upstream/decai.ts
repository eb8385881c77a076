import { toServiceId } from "@decai/core";
import { AllSuppliersFailedError, type DecaiClient, NoSessionError, RelayError } from "@decai/sdk";
import type { Address, Hex } from "viem";
import type { TokenUsage } from "../pricing.js";
import type { Endpoint } from "../usage.js";
import {
  type SignedRelay,
  type Upstream,
  UpstreamError,
  type UpstreamModel,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./types.js";

/** A service the gateway sells, as registered on-chain. */
export type DecaiService = {
  /** The service name, which is the OpenAI `model` id (e.g. "tiny-llama", or "tiny-llama:batch" for a batch tier). */
  name: string;
  source?: Address;
  weightsDigest?: Hex;
  /** The on-chain id, when `name` is not the service's own (a batch tier is listed under its interactive name). */
  serviceId?: Hex;
  /** The `model` sent to suppliers' backends; default `name` (a batch tier sends its interactive model's). */
  backendModel?: string;
  tier?: "interactive" | "batch";
  /** For a batch tier: the interactive model's name. */
  batchOf?: string;
};

/** Options of {@link createDecaiUpstream}. */
export type DecaiUpstreamOptions = {
  /** Signs with the gateway's key and routes by QoS; its `application` is the app the gateway acts for. */
  client: DecaiClient;
  /** The services offered (the registry's, or a chosen subset). */
  services: readonly DecaiService[] | (() => Promise<readonly DecaiService[]>);
};

const paths: Record<Endpoint, string> = {
  "chat.completions": "/v1/chat/completions",
  completions: "/v1/completions",
  embeddings: "/v1/embeddings",
};

const usageOf = (usage: { inputTokens: number; outputTokens: number } | undefined): TokenUsage | undefined =>
  usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : undefined;

/**
 * The gateway's upstream on the Decai network: every call is a signed relay to one of the session's suppliers,
 * picked, retried and hedged by the SDK's `DecaiClient` (the same QoS code sovereign applications use), and billed
 * from the supplier's signed receipt.
 *
 * @example
 * const client = DecaiClient.fromDeployment({ client: publicClient, deployment, signerKey: gatewayKey, application });
 * const upstream = createDecaiUpstream({ client, services: [{ name: "tiny-llama" }] });
 * const gateway = await Gateway.start({ store, upstream });
 */
export function createDecaiUpstream(options: DecaiUpstreamOptions): Upstream {
  const { client } = options;
  const services = async () =>
    typeof options.services === "function" ? options.services() : options.services;

  // Between two sessions (the new seed not yet recorded) no session may be servable for a moment; the catalog
  // keeps the last known supplier count rather than taking the model offline until its next refresh.
  const lastSuppliers = new Map<string, number>();
  return {
    async models() {
      const list: UpstreamModel[] = [];
      for (const service of await services()) {
        const serviceId = service.serviceId ?? toServiceId(service.name);
        let suppliers = 0;
        try {
          suppliers = (await client.sessions.suppliers(client.application, serviceId)).length;
          lastSuppliers.set(serviceId, suppliers);
        } catch (error) {
          if (!(error instanceof NoSessionError)) throw error;
          suppliers = lastSuppliers.get(serviceId) ?? 0;
        }
        list.push({
          id: service.name,
          suppliers,
          serviceId,
          ...(service.source ? { source: service.source } : {}),
          ...(service.weightsDigest ? { weightsDigest: service.weightsDigest } : {}),
          ...(service.tier ? { tier: service.tier } : {}),
          ...(service.batchOf ? { batchOf: service.batchOf } : {}),
        });
      }
      return list;
    },

    async call(request: UpstreamRequest): Promise<UpstreamResponse> {
      const sort = request.preferences.sort === "throughput" ? "throughput" : "latency";
      // A batch tier is its own service on-chain, serving its interactive model's weights under that model's name.
      const service = (await services()).find((s) => s.name === request.model);
      if (service?.backendModel)
        request = { ...request, body: { ...request.body, model: service.backendModel } };
      let result: Awaited<ReturnType<DecaiClient["relay"]>>;
      try {
        result = await client.relay({
          body: request.body,
          path: paths[request.endpoint],
          service: service?.serviceId ?? toServiceId(request.model),
          sort,
          signal: request.signal,
        });
      } catch (error) {
        throw toUpstreamError(error, request.model);
      }
      // What the relay's signatures cover: the body exactly as the SDK sent it (JSON.stringify of the object).
      const requestBody = Buffer.from(JSON.stringify(request.body));
      if (!result.stream) {
        const relay = result.receipt.relay;
        return {
          stream: false,
          body: JSON.parse(result.body.toString("utf8")),
          supplier: result.supplier,
          ...(result.receipt.usage ? { usage: usageOf(result.receipt.usage) as TokenUsage } : {}),
          ...(relay ? { signed: { relay, requestBody, responseBody: result.body } } : {}),
        };
      }
      const stream = result;
      let usage: TokenUsage | undefined;
      let signed: SignedRelay | undefined;
      const received: Buffer[] = [];
      let receivedBytes = 0;
      async function* chunks() {
        for await (const event of stream) {
          // Kept for verification evidence (the receipt's digest covers these bytes), up to 4 MiB.
          if (receivedBytes < 4 << 20) {
            received.push(event.bytes);
            receivedBytes += event.bytes.length;
          }
          if (event.event && event.event !== "message") continue;
          if (event.data === "[DONE]" || event.data === "") continue;
          yield JSON.parse(event.data) as Record<string, unknown>;
        }
        // The signed receipt is the authoritative usage; the stream has ended, so it is there.
        const receipt = await stream.receipt;
        usage = usageOf(receipt.usage);
        if (receipt.relay && receivedBytes < 4 << 20) {
          signed = { relay: receipt.relay, requestBody, responseBody: Buffer.concat(received) };
        }
      }
      return {
        stream: true,
        chunks: chunks(),
        supplier: stream.supplier,
        final: () => ({
          ...(usage ? { usage } : {}),
          ...(signed ? { signed } : {}),
          supplier: stream.supplier,
        }),
      };
    },
  };
}

function toUpstreamError(error: unknown, model: string): UpstreamError {
  if (error instanceof NoSessionError) {
    return new UpstreamError("unavailable", `no session of ${model} can be served now: ${error.message}`);
  }
  if (error instanceof AllSuppliersFailedError) {
    // Every supplier answered, and every answer was broken (their backends' 5xx or garbage, invalid receipts):
    // the upstream failed (502). Unreachable, slow, busy or no eligible supplier: unavailable (503, retry later).
    const broken =
      error.attempts.length > 0 &&
      error.attempts.every(
        (a) =>
          a.kind === "invalid_receipt" || (a.kind === "status" && (a.status ?? 0) >= 500 && a.status !== 503),
      );
    return new UpstreamError(
      broken ? "failed" : "unavailable",
      `no supplier of ${model} could serve the request: ${error.message}`,
    );
  }
  if (
    error instanceof RelayError &&
    !error.retryable &&
    error.status &&
    error.status >= 400 &&
    error.status < 500
  ) {
    let body: { error?: { message?: string; type?: string; param?: string | null; code?: string | null } } =
      {};
    try {
      body = JSON.parse(error.body ?? "{}");
    } catch {}
    return new UpstreamError(
      "rejected",
      error.message,
      error.status,
      body.error ?? { message: error.message },
    );
  }
  return new UpstreamError(
    "failed",
    `relaying ${model} failed: ${(error as Error)?.message ?? String(error)}`,
  );
}
