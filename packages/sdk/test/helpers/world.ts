import { ChainIndexer } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { type RelayDomain, toServiceId } from "@decai/core";
import { RelayMiner, type ServedRelay } from "@decai/relayminer";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { type ChatCompletionCreateParams, DecaiClient, type DecaiClientOptions } from "../../src/index.js";
import { type FaultyBackend, startFaultyBackend } from "./faultyBackend.js";

/** One supplier: its key, its real RelayMiner, and the backend behind it. */
export type SupplierNode = {
  key: Hex;
  address: Address;
  miner: RelayMiner;
  backend: FaultyBackend;
  /** Relays its RelayMiner served and mined. */
  served: ServedRelay[];
  /** Compute units its meter allows per (application, service, session). */
  cap: bigint;
};

/**
 * A real anvil with Decai deployed, and three suppliers of "tiny-llama" (all drawn: suppliersPerSession = 3),
 * each a real RelayMiner on a shared chain indexer, in front of the @decai/llm mock backend with a fault switch.
 * An application stakes for the service (sovereign); a second one delegates to a gateway. The current session's
 * seed is recorded.
 */
export async function startWorld(options: { tokensPerSecond?: number } = {}) {
  const net = await startNetwork({ blocksPerSession: 20, suppliersPerSession: 3 });
  const { actions } = net;
  const key = (i: number) => net.keys[i] as Hex;
  const service = toServiceId("tiny-llama");
  await actions.registerService(key(1), service);
  const indexer = await ChainIndexer.start({
    client: net.publicClient,
    contracts: net.contracts,
    serviceIds: [service],
    fromBlock: net.deployment.deployBlock,
    pollIntervalMs: 3_600_000, // tests call sync()
  });
  const domain: RelayDomain = { chainId: net.anvil.chainId, verifyingContract: net.contracts.relayMining };
  const suppliers: SupplierNode[] = [];
  for (const i of [2, 3, 4]) {
    const backend = await startFaultyBackend(options);
    const node = {
      key: key(i),
      address: privateKeyToAddress(key(i)),
      backend,
      served: [],
      cap: 10n ** 30n,
    } as SupplierNode | Omit<SupplierNode, "miner">;
    const miner = await RelayMiner.start({
      supplierKey: key(i),
      chain: indexer.state,
      domain,
      services: [{ id: service, backend: { url: backend.url } }],
      cap: () => (node as SupplierNode).cap,
      graceBlocks: 2,
      onRelay: (s) => (node as SupplierNode).served.push(s),
    });
    suppliers.push(Object.assign(node, { miner }) as SupplierNode);
    await actions.stakeSupplier(key(i), [{ id: service, endpoint: miner.url }]);
  }
  const gatewayKey = key(5);
  const appKey = key(6);
  const delegatorKey = key(7);
  await actions.stakeGateway(gatewayKey);
  await actions.stakeApplication(appKey, [service]);
  await actions.stakeApplication(delegatorKey, [service]);
  await actions.delegate(delegatorKey, privateKeyToAddress(gatewayKey));
  await actions.nextSession();
  await actions.recordSeed(key(0));
  await indexer.sync();

  return {
    net,
    indexer,
    domain,
    service,
    suppliers,
    appKey,
    app: privateKeyToAddress(appKey),
    gatewayKey,
    delegator: privateKeyToAddress(delegatorKey),
    /** The supplier node with this address. */
    node(address: string): SupplierNode {
      const found = suppliers.find((s) => s.address.toLowerCase() === address.toLowerCase());
      if (!found) throw new Error(`${address} is not one of the world's suppliers`);
      return found;
    },
    /** A client on this world's chain (head re-read on every call unless told otherwise). */
    client(overrides: Partial<DecaiClientOptions> & { headTtlMs?: number } = {}): DecaiClient {
      return DecaiClient.fromDeployment({
        client: net.publicClient,
        deployment: net.deployment,
        signerKey: appKey,
        headTtlMs: 0,
        ...overrides,
      });
    },
    /** Every backend back to normal, served lists cleared. */
    reset() {
      for (const s of suppliers) {
        s.backend.reset();
        s.served.length = 0;
        s.cap = 10n ** 30n;
      }
    },
    async stop() {
      for (const s of suppliers) {
        await s.miner.stop().catch(() => {}); // a test may have stopped it already
        await s.backend.stop();
      }
      indexer.stop();
      await net.anvil.stop();
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** A non-streamed chat request body for "tiny-llama" (8 tokens at most); spread it with `stream: true` for one. */
export function chatBody(
  extra: Partial<Omit<ChatCompletionCreateParams, "stream">> = {},
): ChatCompletionCreateParams & { stream?: false } {
  return {
    model: "tiny-llama",
    messages: [{ role: "user", content: "Say something." }],
    max_tokens: 8,
    ...extra,
  };
}

/**
 * Makes `scorer` rank `first` ahead of the others (1 ms against 50 ms measured), so a test knows which
 * supplier a client tries first. Exploration must be off (`explore: 0`).
 */
export function prefer(
  scorer: { pick(c: { supplier: string }[]): unknown; success(s: string, x: { latencyMs: number }): void },
  first: string,
  others: readonly string[],
) {
  for (const supplier of others) {
    scorer.pick([{ supplier }]);
    scorer.success(supplier, { latencyMs: 50 });
  }
  scorer.pick([{ supplier: first }]);
  scorer.success(first, { latencyMs: 1 });
}
