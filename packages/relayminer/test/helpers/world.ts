import { ChainIndexer } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import {
  computeRequestDigest,
  decodeRelay,
  encodeRelayRequestHeader,
  type Relay,
  type RelayDomain,
  type RelayRequest,
  relayRequestHeaderName,
  signRelayRequest,
  toServiceId,
} from "@decai/core";
import { pathOf } from "@decai/smst";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { RelayMiner, type RelayMinerOptions, type SessionTree } from "../../src/index.js";
import { type MockBackend, startMockBackend } from "./backend.js";

/**
 * A real anvil with Decai deployed and a small cast: suppliers A and B serve "tiny-llama" (one is drawn per
 * application and session: suppliersPerSession = 1), supplier C serves only "other-model", an application uses
 * "tiny-llama" and delegates to a gateway, a second application uses only "other-model". The current session's
 * seed is recorded and an indexer follows the chain.
 */
export async function startWorld() {
  const net = await startNetwork({ blocksPerSession: 40, suppliersPerSession: 1 });
  const { actions } = net;
  const key = (i: number) => net.keys[i] as Hex;
  const service = toServiceId("tiny-llama");
  const other = toServiceId("other-model");
  await actions.registerService(key(1), service);
  await actions.registerService(key(1), other, "other-model");
  const suppliers = { A: key(2), B: key(3), C: key(4) };
  await actions.stakeSupplier(suppliers.A, [{ id: service, endpoint: "http://a" }]);
  await actions.stakeSupplier(suppliers.B, [{ id: service, endpoint: "http://b" }]);
  await actions.stakeSupplier(suppliers.C, [{ id: other, endpoint: "http://c" }]);
  const gatewayKey = key(5);
  const appKey = key(6);
  const app2Key = key(7);
  await actions.stakeGateway(gatewayKey);
  await actions.stakeApplication(appKey, [service]);
  await actions.stakeApplication(app2Key, [other]);
  await actions.delegate(appKey, privateKeyToAddress(gatewayKey));
  await actions.nextSession();
  await actions.recordSeed(key(0));
  const indexer = await ChainIndexer.start({
    client: net.publicClient,
    contracts: net.contracts,
    serviceIds: [service],
    fromBlock: net.deployment.deployBlock,
    pollIntervalMs: 3_600_000, // tests call sync()
  });
  const backend: MockBackend = await startMockBackend();
  // Relays are signed for the deployed RelayMining contract, as on a real network.
  const domain: RelayDomain = {
    chainId: net.anvil.chainId,
    verifyingContract: net.deployment.contracts.relayMining,
  };
  const app = privateKeyToAddress(appKey);
  const miners: RelayMiner[] = [];
  let nonce = 1n;

  /** The key of the supplier drawn for `application` in `session` (A or B). */
  function drawnKey(application: Address = app, session = indexer.state.currentSession): Hex {
    const [drawn] = indexer.state.sessionSuppliers(application, service, session) ?? [];
    if (!drawn) throw new Error(`no supplier drawn for ${application} in session ${session}`);
    return drawn === privateKeyToAddress(suppliers.A) ? suppliers.A : suppliers.B;
  }
  const notDrawnKey = (session = indexer.state.currentSession) =>
    drawnKey(app, session) === suppliers.A ? suppliers.B : suppliers.A;

  /** Starts a RelayMiner on the shared chain state, backed by the mock backend unless told otherwise. */
  async function startMiner(options: Partial<RelayMinerOptions> = {}): Promise<RelayMiner> {
    const miner = await RelayMiner.start({
      supplierKey: options.supplierKey ?? drawnKey(),
      chain: indexer.state,
      domain,
      services: [{ id: service, backend: { url: backend.url } }],
      cap: () => 10n ** 30n,
      graceBlocks: 2,
      ...options,
    });
    miners.push(miner);
    return miner;
  }

  /** A signed relay request for a chat completion, ready to POST. */
  function relay(
    options: {
      signerKey?: Hex;
      application?: Address;
      supplier?: Address;
      serviceId?: Hex;
      session?: bigint;
      body?: object | string;
      path?: string;
      maxTokens?: number;
      nonce?: bigint;
    } = {},
  ) {
    const path = options.path ?? "/v1/chat/completions";
    const maxTokens = options.maxTokens ?? 64;
    const body =
      typeof options.body === "string"
        ? options.body
        : JSON.stringify(
            options.body ?? {
              model: "tiny-llama",
              messages: [{ role: "user", content: "Say something." }],
              max_tokens: maxTokens,
            },
          );
    const request: RelayRequest = {
      application: options.application ?? app,
      serviceId: options.serviceId ?? service,
      session: options.session ?? indexer.state.currentSession,
      supplier: options.supplier ?? privateKeyToAddress(drawnKey()),
      requestDigest: computeRequestDigest({ method: "POST", path, body }),
      maxTokens,
      nonce: options.nonce ?? nonce++,
    };
    const signature = signRelayRequest({ request, domain, privateKey: options.signerKey ?? appKey });
    return {
      path,
      body,
      request,
      signature,
      headers: {
        "content-type": "application/json",
        [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature }),
      } as Record<string, string>,
    };
  }

  /** POSTs a relay to a RelayMiner. */
  function post(miner: RelayMiner, r: ReturnType<typeof relay>, init: RequestInit = {}) {
    return fetch(`${miner.url}${r.path}`, { method: "POST", headers: r.headers, body: r.body, ...init });
  }

  async function stop() {
    for (const m of miners) await m.stop();
    indexer.stop();
    await backend.stop();
    await net.anvil.stop();
  }

  return {
    net,
    indexer,
    backend,
    domain,
    service,
    other,
    suppliers,
    gatewayKey,
    appKey,
    app,
    app2Key,
    app2: privateKeyToAddress(app2Key),
    drawnKey,
    notDrawnKey,
    startMiner,
    relay,
    post,
    stop,
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** The OpenAI-style error of a refused relay. */
export async function errorOf(res: Response) {
  const body = (await res.json()) as {
    error: { message: string; type: string; code: string; param: string | null };
  };
  return body.error;
}

/** The relay stored in `tree` under `hash` (its leaf on the path sha256(hash)), decoded. */
export function leafRelay(tree: SessionTree, hash: Hex): Relay {
  return decodeRelay(tree.proveClosest(bytesToHex(pathOf(hexToBytes(hash)))).relay);
}
