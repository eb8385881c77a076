import { type DecaiDeployment, relayMiningAbi, serviceRegistryAbi } from "@decai/chain";
import { fromServiceId, type PrivateKey } from "@decai/core";
import { DecaiClient } from "@decai/sdk";
import type { Address, Hex, PublicClient } from "viem";
import type { MetricsRegistry } from "../metrics.js";
import { type ModelPrice, type PriceFn, priceFromComputeUnits } from "../pricing.js";
import { createDecaiUpstream, type DecaiService } from "./decai.js";
import type { Upstream } from "./types.js";

/** What a gateway needs to sell the Decai network: the chain, the deployment, its key, the app it acts for. */
export type DecaiNetworkOptions = {
  client: PublicClient;
  deployment: Pick<DecaiDeployment, "chainId" | "contracts">;
  /** The gateway's staked key: it signs relays for applications that delegated to it. */
  gatewayKey: PrivateKey;
  /** The application the gateway acts for (it must have delegated to the gateway). */
  application: Address;
  /** Service names to sell; default: every registered service. */
  services?: readonly string[];
  /** How long the catalog (services, prices) is cached. Default 30 s. */
  catalogTtlMs?: number;
  /** The gateway's metrics registry: routing metrics (attempts, retries, hedges, failures, open circuits) go there. */
  metrics?: MetricsRegistry;
};

/** The catalog entry of one service: its registry record and its network price. */
type CatalogEntry = DecaiService & { price: ModelPrice };

/**
 * Connects a gateway to the Decai network: an `Upstream` that relays through the SDK, and a `PriceFn` that prices
 * every service from the chain (its compute units × RelayMining's `paymentPerComputeUnit`). The catalog lists each
 * registered service with its Source and weights digest.
 *
 * @example
 * const { upstream, pricing } = connectDecaiNetwork({ client, deployment, gatewayKey, application });
 * await Gateway.start({ store, upstream, pricing });
 */
export function connectDecaiNetwork(options: DecaiNetworkOptions): { upstream: Upstream; pricing: PriceFn } {
  const { client, deployment } = options;
  const ttl = options.catalogTtlMs ?? 30_000;
  let catalog: Map<string, CatalogEntry> = new Map();
  let loadedAt = -Infinity;
  let loading: Promise<Map<string, CatalogEntry>> | undefined;

  async function load(): Promise<Map<string, CatalogEntry>> {
    const registry = deployment.contracts.serviceRegistry;
    const read = (functionName: string, args: readonly unknown[] = []) =>
      client.readContract({ address: registry, abi: serviceRegistryAbi, functionName, args } as never);
    const paymentPerComputeUnit = (await client.readContract({
      address: deployment.contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "paymentPerComputeUnit",
    })) as bigint;
    const count = Number((await read("serviceCount")) as bigint);
    const next = new Map<string, CatalogEntry>();
    for (let i = 0; i < count; i++) {
      const id = (await read("serviceIdAt", [BigInt(i)])) as Hex;
      let name: string;
      try {
        name = fromServiceId(id);
      } catch {
        continue; // not a readable name: cannot be an OpenAI model id
      }
      if (options.services && !options.services.includes(name)) continue;
      const service = (await read("getService", [id])) as Parameters<typeof priceFromComputeUnits>[0] & {
        source: Address;
        weightsDigest: Hex;
      };
      next.set(name, {
        name,
        source: service.source,
        weightsDigest: service.weightsDigest,
        price: priceFromComputeUnits(service, paymentPerComputeUnit),
      });
    }
    return next;
  }

  async function services(): Promise<readonly DecaiService[]> {
    if (Date.now() - loadedAt > ttl) {
      loading ??= load().finally(() => {
        loading = undefined;
      });
      catalog = await loading;
      loadedAt = Date.now();
    }
    return [...catalog.values()];
  }

  const routing = options.metrics ? routingMetrics(options.metrics) : undefined;
  const sdk: DecaiClient = DecaiClient.fromDeployment({
    client,
    deployment: deployment as DecaiDeployment,
    signerKey: options.gatewayKey,
    application: options.application,
    ...(routing
      ? {
          onAttempt: (e) => routing.attempts.inc({ kind: e.kind, supplier: e.supplier }),
          onFailure: (e) => {
            routing.failures.inc({ reason: e.kind, supplier: e.supplier });
            routing.circuit.set(sdk.scorer.stats(e.supplier).state === "open" ? 1 : 0, {
              supplier: e.supplier,
            });
          },
        }
      : {}),
  });
  const upstream = createDecaiUpstream({ client: sdk, services });
  return {
    upstream,
    // Prices are read with the catalog; the gateway asks for the model list before it prices a model.
    pricing: (model) => catalog.get(model)?.price,
  };
}

/** Routing metrics of the network upstream, per supplier. */
function routingMetrics(registry: MetricsRegistry) {
  return {
    attempts: registry.counter(
      "decai_gateway_relay_attempts_total",
      "Suppliers tried, by kind: first pick, retry after a failure, or hedge.",
      ["kind", "supplier"],
    ),
    failures: registry.counter("decai_gateway_relay_failures_total", "Failed relay attempts, by reason.", [
      "reason",
      "supplier",
    ]),
    circuit: registry.gauge(
      "decai_gateway_supplier_circuit_open",
      "1 while a supplier's circuit breaker keeps it out of rotation, after its last failure.",
      ["supplier"],
    ),
  };
}
