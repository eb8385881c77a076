import { loadDeployment } from "@decai/chain";
import type { DecaiClient } from "@decai/sdk";
import { createPublicClient, http } from "viem";
import { describeConfig, type GatewayConfig } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { createGatewayMetrics, type MetricsRegistry } from "./metrics.js";
import type { PriceFn } from "./pricing.js";
import { Gateway } from "./server.js";
import { PostgresStore } from "./store/postgres.js";
import { SqliteStore } from "./store/sqlite.js";
import type { GatewayStore } from "./store/types.js";
import { createHttpUpstream } from "./upstream/http.js";
import { connectDecaiNetwork, type DecaiNetworkOptions } from "./upstream/network.js";
import type { Upstream } from "./upstream/types.js";
import { loadReference, type Reference } from "./verification/reference.js";
import { openVerificationStore } from "./verification/store.open.js";
import { decaiTransport } from "./verification/transport.js";
import { Verifier } from "./verification/verifier.js";

/** A running gateway and how to stop it (closing its store too). */
export type RunningGateway = {
  gateway: Gateway;
  /** Its verification, unless `verification.enabled` is false. */
  verifier: Verifier | undefined;
  stop: () => Promise<void>;
};

/**
 * Opens the configured store, builds the upstream and starts the gateway. `upstream` replaces the configured
 * upstream (an HTTP passthrough, or the Decai network when the config has a "network" section).
 *
 * @example
 * const { gateway, stop } = await runGateway(loadConfig({ argv: process.argv.slice(3) }));
 * process.on("SIGTERM", stop);
 */
export async function runGateway(
  config: GatewayConfig,
  options: { logger?: Logger; upstream?: Upstream } = {},
): Promise<RunningGateway> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  log.info("starting gateway", describeConfig(config));
  const store: GatewayStore =
    config.database.kind === "postgres"
      ? await PostgresStore.connect({ connectionString: config.database.url })
      : SqliteStore.open(config.database.path);
  const prices = config.prices;
  const references: Record<string, Reference> = {};
  try {
    const metrics = createGatewayMetrics();
    // The network client is built before the verifier; routing reads the verifier's weights once it exists.
    let verifier: Verifier | undefined;
    const hooks = {
      weight: (supplier: string, serviceId: `0x${string}`) => verifier?.weightFor(supplier, serviceId) ?? 1,
      onEvidence: (evidence: Parameters<Verifier["receipt"]>[0]) => verifier?.receipt(evidence),
    };
    const source = options.upstream
      ? { upstream: options.upstream }
      : await upstreamOf(config.upstream, metrics.registry, hooks);
    const { references: referenceModels, modelsDir, ...knobs } = config.verification;
    if (knobs.enabled) {
      for (const [service, { model }] of Object.entries(referenceModels)) {
        log.info("loading verification reference", { service, model });
        references[service] = await loadReference({
          model,
          modelId: service,
          ...(modelsDir ? { modelsDir } : {}),
        });
      }
      verifier = await Verifier.create({
        config: knobs,
        references,
        ...(source.client ? { transport: decaiTransport(source.client) } : {}),
        store: await openVerificationStore(store),
        log,
      });
    }
    const pricing = prices ? (model: string) => prices[model] : source.pricing;
    const gateway = await Gateway.start({
      store,
      upstream: source.upstream,
      metrics,
      ...(pricing ? { pricing } : {}),
      marginBps: config.marginBps,
      aliases: config.aliases,
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      ...(config.keySecret ? { keySecret: config.keySecret } : {}),
      maxBodyBytes: config.maxBodyBytes,
      defaultMaxTokens: config.defaultMaxTokens,
      modelsCacheMs: config.modelsCacheMs,
      batch: config.batch,
      host: config.host,
      port: config.port,
      logger: log,
      ...(verifier ? { verification: verifier } : {}),
    });
    if (!config.adminToken) log.warn("admin API off: set DECAI_GATEWAY_ADMIN_TOKEN to manage keys");
    return {
      gateway,
      verifier,
      stop: async () => {
        await gateway.stop();
        await verifier?.close();
        for (const reference of Object.values(references)) await reference.close?.();
        await options.upstream?.close?.();
        await store.close();
        log.info("gateway stopped");
      },
    };
  } catch (error) {
    for (const reference of Object.values(references)) await reference.close?.();
    await store.close();
    throw error;
  }
}

/** The configured upstream: a passthrough to an OpenAI-compatible server, or the Decai network (priced on-chain). */
async function upstreamOf(
  upstream: GatewayConfig["upstream"],
  metrics: MetricsRegistry,
  hooks: Pick<DecaiNetworkOptions, "weight" | "onEvidence">,
): Promise<{ upstream: Upstream; pricing?: PriceFn; client?: DecaiClient }> {
  if (upstream.kind !== "network") {
    return {
      upstream: createHttpUpstream({
        baseUrl: upstream.baseUrl,
        ...(upstream.apiKey ? { apiKey: upstream.apiKey } : {}),
        ...(upstream.models ? { models: upstream.models } : {}),
      }),
    };
  }
  const deployment = loadDeployment(upstream.deployment);
  const client = createPublicClient({ transport: http(upstream.rpcUrl) });
  return connectDecaiNetwork({
    client,
    deployment,
    gatewayKey: upstream.gatewayKey,
    application: upstream.application,
    metrics,
    ...hooks,
    ...(upstream.services ? { services: upstream.services } : {}),
  });
}
