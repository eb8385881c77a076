import { join } from "node:path";
import { relayMiningAbi, serviceRegistryAbi } from "@decai/chain";
import {
  createDecaiUpstream,
  createKey,
  createLogger,
  Gateway,
  type ModelPrice,
  priceFromComputeUnits,
  SqliteStore,
} from "@decai/gateway";
import { DecaiClient, type DecaiClientOptions } from "@decai/sdk";
import { createPublicClient, http } from "viem";
import { ReceiptLedger } from "./ledger.js";
import { type FaultNetwork, MODEL } from "./network.js";

/** A gateway selling the fault network, with the receipts of everything it relayed. */
export type FaultGateway = {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:41234/v1`. */
  baseUrl: string;
  apiKey: string;
  gateway: Gateway;
  store: SqliteStore;
  /** The SDK client that routes, retries and checks receipts for the gateway. */
  client: DecaiClient;
  /** Every relay a supplier acknowledged to the gateway (a valid receipt). */
  ledger: ReceiptLedger;
  /** The network price of the model (no margin), as billed to the API key. */
  price: ModelPrice;
  /** Every failed relay attempt the client saw (it retried the retryable ones elsewhere). */
  failures: { kind: string; supplier: string; retryable: boolean }[];
  /** Every gateway log line, parsed. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
};

/**
 * Starts a real gateway (HTTP, API key, SQLite usage log, network prices) in front of the fault network: the
 * gateway's `DecaiClient` signs for the network's application with the gateway key and reads the chain at
 * `rpcUrl` (the network's proxy when it has one). The client's receipts go to a `ReceiptLedger`.
 *
 * @example
 * const gw = await startFaultGateway(world);
 * const load = startLoad({ baseUrl: gw.baseUrl, apiKey: gw.apiKey, ... });
 */
export async function startFaultGateway(
  world: FaultNetwork,
  options: { client?: Partial<DecaiClientOptions>; headTtlMs?: number } = {},
): Promise<FaultGateway> {
  // Like `connectDecaiNetwork`, but with a client the test can watch.
  const chain = createPublicClient({ transport: http(world.rpcUrl), pollingInterval: 100 });
  const failures: FaultGateway["failures"] = [];
  const client = DecaiClient.fromDeployment({
    client: chain,
    deployment: world.net.deployment,
    signerKey: world.gatewayKey,
    application: world.app,
    ...(options.headTtlMs !== undefined ? { headTtlMs: options.headTtlMs } : {}),
    onFailure: (e) => failures.push({ kind: e.kind, supplier: e.supplier, retryable: e.retryable }),
    ...options.client,
  });
  const ledger = new ReceiptLedger();
  ledger.watch(client);
  const { publicClient, contracts } = world.net;
  const service = await publicClient.readContract({
    address: contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "getService",
    args: [world.serviceId],
  });
  const paymentPerComputeUnit = await publicClient.readContract({
    address: contracts.relayMining,
    abi: relayMiningAbi,
    functionName: "paymentPerComputeUnit",
  });
  const price = priceFromComputeUnits(service, paymentPerComputeUnit);
  const store = SqliteStore.open(join(world.dir, "gateway.sqlite"));
  const logs: Record<string, unknown>[] = [];
  const gateway = await Gateway.start({
    store,
    upstream: createDecaiUpstream({ client, services: [{ name: MODEL }] }),
    pricing: (model) => (model === MODEL ? price : undefined),
    logger: createLogger({ level: "info", write: (line) => logs.push(JSON.parse(line)) }) as never,
  });
  const { key: apiKey } = await createKey(store, { name: "faults" });
  return {
    baseUrl: `${gateway.url}/v1`,
    apiKey,
    gateway,
    store,
    client,
    ledger,
    price,
    failures,
    logs,
    async stop() {
      await gateway.stop();
      await store.close();
    },
  };
}
