// A devnet with one honest supplier and four cheats, for the gateway's verification tests and the bench
// (bench/ imports this file by path). Everything is real: anvil with the contracts, llama.cpp on generated tiny
// models, a RelayMiner per supplier, the gateway over the network with the official openai client in front.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChainIndexer } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { type RelayDomain, toServiceId } from "@decai/core";
import {
  type BackendServer,
  createBackendServer,
  createEmbeddedBackend,
  type EmbeddedBackend,
  ensureTinyModel,
  tinyModelId,
} from "@decai/llm";
import {
  type AdversarialBackend,
  type AdversarialBehaviour,
  createWrongModelBackend,
  type DigestBackend,
  type InflatingUsageOptions,
  inflatingUsage,
  type ReplayingOptions,
  replaying,
  type TruncatingOptions,
  truncating,
} from "@decai/llm/adversarial";
import { RelayMiner, type ServedRelay, WeightsDigestDeclarer } from "@decai/relayminer";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import OpenAI from "openai";
import { type Address, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  connectDecaiNetwork,
  createKey,
  type DecaiNetworkOptions,
  Gateway,
  type GatewayOptions,
  SqliteStore,
  silentLogger,
} from "../../src/index.js";

/** What a supplier of the world does: serve honestly, or cheat in one way. */
export type SupplierRole = "honest" | AdversarialBehaviour;

/** The five roles, in staking order (dev accounts 2..6). */
export const supplierRoles: readonly SupplierRole[] = [
  "honest",
  "wrong-model",
  "truncating",
  "inflating-usage",
  "replaying",
];

/** One supplier of the world: its role, key, RelayMiner and the backend behind it. */
export type WorldSupplier = {
  role: SupplierRole;
  key: Hex;
  address: Address;
  miner: RelayMiner;
  /** The backend its RelayMiner forwards to: the honest embedded one, or an adversarial wrapper. */
  backend: DigestBackend | AdversarialBackend;
  /** The HTTP server in front of `backend`. */
  server: BackendServer;
  /** Relays its RelayMiner served (signed request + response), oldest first. */
  served: ServedRelay[];
};

/** Options of {@link startAdversarialWorld}. */
export type AdversarialWorldOptions = {
  /**
   * Blocks of the served session (and later ones). Default 100_000: anvil mines only on transactions, so no
   * rollover happens during a run.
   */
  blocksPerSession?: number;
  /** Sequences each embedded backend generates at once. Default 2. */
  parallel?: number;
  truncating?: TruncatingOptions;
  inflatingUsage?: InflatingUsageOptions;
  replaying?: ReplayingOptions;
  /** Extra options for `connectDecaiNetwork` (e.g. verification settings). */
  network?: Partial<DecaiNetworkOptions>;
  /** Extra options for `Gateway.start` (e.g. verification settings). */
  gateway?: Partial<GatewayOptions>;
};

/** The model name the world sells: the service name and every backend's model id. */
export const worldModel = tinyModelId;

/**
 * Starts the world: anvil with Decai deployed and the service "decai-tiny" registered with the real sha256 of the
 * generated tiny model; five staked suppliers, all drawn in the session (suppliersPerSession = 5), each with a
 * real RelayMiner (shared chain indexer) in front of its own llama.cpp backend:
 * - honest: the tiny model;
 * - wrong-model: another generated tiny model (other seed, same shape and name) that claims the honest digest;
 * - truncating, inflating-usage, replaying: the honest model behind the wrapper of that name.
 * Every supplier declares the honest digest on-chain (through `WeightsDigestDeclarer`, as a RelayMiner does) and
 * reports it on every answer: the liar too. A gateway (staked, delegated to by the application) serves them over
 * the network with an API key; `openai` is a client for it.
 *
 * @example
 * const world = await startAdversarialWorld();
 * await world.openai.chat.completions.create({ model: worldModel, messages, max_tokens: 8, temperature: 0 });
 * world.roleOf((await world.store.usage({ limit: 1 }))[0].supplier); // "truncating", ...
 * await world.stop();
 */
export async function startAdversarialWorld(options: AdversarialWorldOptions = {}) {
  const stops: (() => Promise<unknown> | unknown)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => {});
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), "decai-adversarial-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    // Short sessions to reach the first served one quickly; its length is set just before it starts.
    const net = await startNetwork({ blocksPerSession: 10, suppliersPerSession: supplierRoles.length });
    stops.push(() => net.anvil.stop());
    const key = (i: number) => net.keys[i] as Hex;
    const model = await ensureTinyModel(join(dir, "models"));
    const service = toServiceId(worldModel);
    await net.actions.registerService(key(1), service, worldModel, model.sha256);
    const indexer = await ChainIndexer.start({
      client: net.publicClient,
      contracts: net.contracts,
      serviceIds: [service],
      fromBlock: net.deployment.deployBlock,
      pollIntervalMs: 3_600_000, // synced by hand below
    });
    stops.push(() => indexer.stop());
    const domain: RelayDomain = { chainId: net.anvil.chainId, verifyingContract: net.contracts.relayMining };

    const llama: Llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    stops.push(() => llama.dispose());
    const parallel = options.parallel ?? 2;
    const embedded: EmbeddedBackend[] = [];
    const honestModel = async () => {
      const b = await createEmbeddedBackend({ model: model.path, modelId: worldModel, llama, parallel });
      embedded.push(b);
      return b;
    };
    stops.push(async () => {
      for (const b of embedded) await b.close();
    });
    const backendFor = async (role: SupplierRole): Promise<DigestBackend | AdversarialBackend> => {
      switch (role) {
        case "honest":
          return honestModel();
        case "wrong-model": {
          const liar = await createWrongModelBackend({
            claimedDigest: model.sha256,
            modelsDir: join(dir, "models"),
            llama,
            parallel,
          });
          embedded.push(liar.embedded);
          return liar;
        }
        case "truncating":
          return truncating(await honestModel(), options.truncating);
        case "inflating-usage":
          return inflatingUsage(await honestModel(), options.inflatingUsage);
        case "replaying":
          return replaying(await honestModel(), options.replaying);
      }
    };

    const suppliers: WorldSupplier[] = [];
    for (const [i, role] of supplierRoles.entries()) {
      const supplierKey = key(2 + i);
      const backend = await backendFor(role);
      const server = await createBackendServer(backend);
      stops.push(() => server.close());
      const served: ServedRelay[] = [];
      const miner = await RelayMiner.start({
        supplierKey,
        chain: indexer.state,
        domain,
        services: [
          {
            id: service,
            backend: { url: new URL(server.url).origin },
            weightsDigest: await backend.weightsDigest(),
          },
        ],
        cap: () => 10n ** 30n,
        graceBlocks: 2,
        onRelay: (s) => served.push(s),
      });
      stops.push(() => miner.stop());
      await net.actions.stakeSupplier(supplierKey, [{ id: service, endpoint: miner.url }]);
      suppliers.push({
        role,
        key: supplierKey,
        address: privateKeyToAddress(supplierKey),
        miner,
        backend,
        server,
        served,
      });
    }
    // Each supplier declares what its backend reports, as a RelayMiner does at start.
    await indexer.sync();
    for (const s of suppliers) {
      await new WeightsDigestDeclarer({
        publicClient: net.publicClient,
        walletClient: createWalletClient({
          account: privateKeyToAccount(s.key),
          chain: foundry,
          transport: http(net.anvil.rpcUrl),
        }),
        staking: net.contracts.staking,
        chain: indexer.state,
        services: [{ id: service, weightsDigest: await s.backend.weightsDigest() }],
      }).check();
    }

    const gatewayKey = key(2 + supplierRoles.length);
    const appKey = key(3 + supplierRoles.length);
    await net.actions.stakeGateway(gatewayKey);
    await net.actions.stakeApplication(appKey, [service], 10n ** 24n);
    await net.actions.delegate(appKey, privateKeyToAddress(gatewayKey));
    await net.actions.setBlocksPerSession(options.blocksPerSession ?? 100_000);
    const session = await net.actions.nextSession(); // stakes, delegation and the session length apply here
    await net.actions.recordSeed(key(0));
    await indexer.sync();
    const application = privateKeyToAddress(appKey);
    const drawn = indexer.state.sessionSuppliers(application, service, session) ?? [];
    if (drawn.length !== suppliers.length) {
      throw new Error(
        `the session drew ${drawn.length} of ${suppliers.length} suppliers: check suppliersPerSession`,
      );
    }

    const { upstream, pricing, client } = connectDecaiNetwork({
      client: net.publicClient,
      deployment: net.deployment,
      gatewayKey,
      application,
      ...options.network,
    });
    const store = SqliteStore.open(":memory:");
    stops.push(() => store.close());
    const gateway = await Gateway.start({
      store,
      upstream,
      pricing,
      logger: silentLogger,
      ...options.gateway,
    });
    stops.push(() => gateway.stop());
    const { key: apiKey } = await createKey(store, { name: "adversarial-world", limits: {} });
    const openai = new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });

    const byAddress = new Map(suppliers.map((s) => [s.address.toLowerCase(), s]));
    return {
      net,
      indexer,
      domain,
      /** The service's id, and the honest model file (path, sha256 = the registered weights digest). */
      service,
      model,
      /** The llama.cpp binding the backends share (for a reference backend or scorer of the gateway). */
      llama,
      session,
      suppliers,
      application,
      gatewayKey,
      gateway,
      store,
      upstream,
      pricing,
      /** The SDK client the gateway relays with (verification sends its challenges through it: `decaiTransport`). */
      client,
      apiKey,
      openai,
      /** The supplier playing `role`. */
      supplier(role: SupplierRole): WorldSupplier {
        return suppliers.find((s) => s.role === role) as WorldSupplier;
      },
      /** The role of the supplier at `address` (any case), undefined for an unknown address. */
      roleOf(address: string | null | undefined): SupplierRole | undefined {
        return address ? byAddress.get(address.toLowerCase())?.role : undefined;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type AdversarialWorld = Awaited<ReturnType<typeof startAdversarialWorld>>;
