import { type DecaiDeployment, relayMiningAbi, serviceRegistryAbi } from "@decai/chain";
import { fromServiceId, type PrivateKey } from "@decai/core";
import { DecaiClient, type DecaiClientOptions } from "@decai/sdk";
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
  /** Routing weight per supplier and service (verification reputation): 0 = no traffic. See `DecaiClientOptions`. */
  weight?: DecaiClientOptions["weight"];
  /** Called with every invalid receipt the SDK saw (verification evidence). */
  onEvidence?: DecaiClientOptions["onEvidence"];
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
export function connectDecaiNetwork(options: DecaiNetworkOptions): {
  upstream: Upstream;
  pricing: PriceFn;
  /** The SDK client the upstream relays with (verification sends its challenges through it). */
  client: DecaiClient;
} {
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
      // A batch tier is listed OpenRouter-style as `<interactive>:batch` and sold with its interactive service.
      const of = await batchOfId(read, id);
      if (options.services && !options.services.includes(of ?? name)) continue;
      const service = (await read("getService", [id])) as Parameters<typeof priceFromComputeUnits>[0] & {
        source: Address;
        weightsDigest: Hex;
      };
      const price = priceFromComputeUnits(service, paymentPerComputeUnit);
      const tier = of ? { tier: "batch" as const, serviceId: id, backendModel: of, batchOf: of } : {};
      const listed = of ? `${of}:batch` : name;
      next.set(listed, {
        name: listed,
        source: service.source,
        weightsDigest: service.weightsDigest,
        price,
        ...tier,
      });
    }
    return next;
  }

  async function services(): Promise<readonly DecaiService[]> {
    if (Date.now() - loadedAt > ttl) {
      loading ??= load().finally(() => {
        loading = undefined;
      });
      try {
        catalog = await loading;
        loadedAt = Date.now();
      } catch (error) {
        // The chain RPC is away: keep selling the last catalog (RelayMiners serve from their cached state too)
        // and try again in a few seconds rather than on every request.
        if (catalog.size === 0) throw error;
        loadedAt = Date.now() - ttl + 5_000;
      }
    }
    return [...catalog.values()];
  }

  const routing = options.metrics ? routingMetrics(options.metrics) : undefined;
  const sdk: DecaiClient = DecaiClient.fromDeployment({
    client,
    deployment: deployment as DecaiDeployment,
    signerKey: options.gatewayKey,
    application: options.application,
    ...(options.weight ? { weight: options.weight } : {}),
    ...(options.onEvidence ? { onEvidence: options.onEvidence } : {}),
    ...(routing
      ? {
          onAttempt: (e) => {
            routing.attempts.inc({ kind: e.kind, supplier: e.supplier });
            // A supplier tried again (a probe after its cool-down) is back in rotation until it fails again.
            routing.circuit.set(0, { supplier: e.supplier });
          },
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
    client: sdk,
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

/** The interactive service's name when `id` is a batch tier (`ServiceRegistry.batchOf`), else undefined. */
async function batchOfId(
  read: (functionName: string, args?: readonly unknown[]) => Promise<unknown>,
  id: Hex,
): Promise<string | undefined> {
  let of: Hex;
  try {
    of = (await read("batchOf", [id])) as Hex;
  } catch {
    return undefined; // a registry from before batch tiers
  }
  if (BigInt(of) === 0n) return undefined;
  try {
    return fromServiceId(of);
  } catch {
    return undefined;
  }
}
