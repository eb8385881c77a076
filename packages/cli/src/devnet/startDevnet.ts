import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, join, resolve } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { AdminClient, loadConfig as loadGatewayConfig, runGateway } from "@decai/gateway";
import { type BackendServer, createBackendServer, createEmbeddedBackend, ensureTinyModel } from "@decai/llm";
import { createLogger, loadConfig as loadMinerConfig, runRelayMiner } from "@decai/relayminer";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";

/** Options of {@link startDevnet}. */
export type DevnetOptions = {
  /** Chain RPC port (0: any free one). */
  port: number;
  /** Seconds between blocks. */
  blockTime: number;
  sessionBlocks: number;
  suppliers: number;
  /** A GGUF file for every supplier's embedded backend; default: the generated tiny model. */
  model?: string;
  /** An OpenAI-compatible base URL (Ollama, vLLM, llama.cpp server) for every supplier instead of llama.cpp. */
  backend?: string;
  dataDir: string;
  /** One line per step, for progress output. */
  onStep: (line: string) => void;
};

/** A running devnet: what to paste into a client, and how to stop it. */
export type Devnet = {
  rpcUrl: string;
  openaiBaseUrl: string;
  openaiApiKey: string;
  model: string;
  deploymentFile: string;
  logsDir: string;
  accounts: { source: Address; suppliers: Address[]; gateway: Address; application: Address };
  stop: () => Promise<void>;
};

const SERVICE = "decai-tiny";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * Starts a whole Decai network in this process: anvil with the contracts, a Source registering the model as a
 * service, N suppliers (RelayMiner + llama.cpp backend each) staked for it, a gateway staked and delegated to by an
 * application, the gateway's OpenAI-compatible API with a fresh API key. Everything stops with `stop()`.
 *
 * @example
 * const devnet = await startDevnet({ port: 8545, blockTime: 1, sessionBlocks: 10, suppliers: 3, dataDir: ".decai/devnet", onStep: console.error });
 * console.log(devnet.openaiBaseUrl, devnet.openaiApiKey);
 */
export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const dataDir = resolve(options.dataDir);
  const logsDir = join(dataDir, "logs");
  mkdirSync(logsDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  const fileLogger = (name: string) => {
    const out = createWriteStream(join(logsDir, `${name}.log`), { flags: "a" });
    stops.push(() => new Promise((r) => out.end(r)));
    return createLogger({ level: "info", write: (line) => out.write(line) });
  };
  try {
    options.onStep(`starting anvil (block time ${options.blockTime}s) and deploying the contracts...`);
    const net = await startNetwork(
      {
        blocksPerSession: options.sessionBlocks,
        suppliersPerSession: Math.min(options.suppliers, 3),
        // Windows as long as a session: room for every supplier's transactions even with fast blocks.
        claimWindowOpenOffsetBlocks: 1,
        claimWindowBlocks: Math.max(4, options.sessionBlocks),
        proofWindowBlocks: Math.min(Math.max(4, options.sessionBlocks), 255),
      },
      12 + options.suppliers,
      { port: options.port, blockTime: options.blockTime },
    );
    stops.push(() => net.anvil.stop());
    const key = (i: number) => net.keys[i] as Hex;
    const deploymentFile = join(dataDir, "deployment.json");
    saveDeployment(deploymentFile, net.deployment);

    let weightsDigest: Hex = `0x${"00".repeat(32)}`;
    let modelPath = options.model;
    if (!options.backend && !modelPath) {
      options.onStep("generating the tiny model (random weights, real llama.cpp inference)...");
      const tiny = await ensureTinyModel(join(dataDir, "models"));
      modelPath = tiny.path;
      weightsDigest = tiny.sha256;
    }
    const serviceId = toServiceId(SERVICE);
    options.onStep(`registering the service "${SERVICE}" as a Source (10% revenue share)...`);
    const modelName = options.model
      ? basename(options.model)
      : options.backend
        ? `${SERVICE} (external backend)`
        : SERVICE;
    await net.actions.registerService(key(1), serviceId, modelName, weightsDigest);

    const suppliers: Address[] = [];
    for (let i = 0; i < options.suppliers; i++) {
      const supplierKey = key(2 + i);
      let backendUrl = options.backend;
      if (!backendUrl) {
        const llm = await createEmbeddedBackend({
          model: modelPath as string,
          modelId: SERVICE,
          parallel: 1,
        });
        const server: BackendServer = await createBackendServer(llm);
        stops.push(() => llm.close());
        stops.push(() => server.close());
        backendUrl = new URL(server.url).origin;
      }
      const port = await freePort();
      options.onStep(
        `supplier ${i + 1}/${options.suppliers}: staking and starting its RelayMiner on port ${port}...`,
      );
      await net.actions.stakeSupplier(supplierKey, [{ id: serviceId, endpoint: `http://127.0.0.1:${port}` }]);
      const dir = join(dataDir, `supplier-${i + 1}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "supplier.key"), supplierKey, { mode: 0o600 });
      writeFileSync(
        join(dir, "relayminer.json"),
        JSON.stringify(
          {
            host: "127.0.0.1",
            port,
            rpcUrl: net.anvil.rpcUrl,
            deployment: deploymentFile,
            supplierKeyFile: "supplier.key",
            dataDir: "data",
            pollIntervalMs: 200,
            services: [{ name: SERVICE, backend: backendUrl }],
          },
          null,
          2,
        ),
      );
      const miner = await runRelayMiner(
        loadMinerConfig({ argv: ["--config", join(dir, "relayminer.json")], env: {} }),
        {
          logger: fileLogger(`supplier-${i + 1}`),
        },
      );
      stops.push(() => miner.stop());
      suppliers.push(privateKeyToAddress(supplierKey));
    }

    const gatewayKey = key(2 + options.suppliers);
    const appKey = key(3 + options.suppliers);
    options.onStep("staking a gateway, and an application that delegates to it...");
    await net.actions.stakeGateway(gatewayKey);
    await net.actions.stakeApplication(appKey, [serviceId], 10n ** 24n);
    await net.actions.delegate(appKey, privateKeyToAddress(gatewayKey));
    await net.actions.nextSession(); // delegation and stakes take effect at the next session
    await net.actions.recordSeed(key(0));

    options.onStep("starting the gateway and creating an API key...");
    const gatewayDir = join(dataDir, "gateway");
    mkdirSync(gatewayDir, { recursive: true });
    writeFileSync(
      join(gatewayDir, "gateway.json"),
      JSON.stringify(
        {
          host: "127.0.0.1",
          port: 0,
          database: join(gatewayDir, "gateway.sqlite"),
          network: {
            rpcUrl: net.anvil.rpcUrl,
            deployment: deploymentFile,
            application: privateKeyToAddress(appKey),
          },
        },
        null,
        2,
      ),
    );
    const adminToken = randomBytes(16).toString("hex");
    const gatewayConfig = loadGatewayConfig({
      argv: ["--config", join(gatewayDir, "gateway.json")],
      env: { DECAI_GATEWAY_KEY: gatewayKey, DECAI_GATEWAY_ADMIN_TOKEN: adminToken },
    });
    const gateway = await runGateway(gatewayConfig, { logger: fileLogger("gateway") as never });
    stops.push(() => gateway.stop());
    const { key: apiKey } = await new AdminClient({ url: gateway.gateway.url, token: adminToken }).createKey({
      name: "devnet",
    });
    return {
      rpcUrl: net.anvil.rpcUrl,
      openaiBaseUrl: `${gateway.gateway.url}/v1`,
      openaiApiKey: apiKey,
      model: SERVICE,
      deploymentFile,
      logsDir,
      accounts: {
        source: privateKeyToAddress(key(1)),
        suppliers,
        gateway: privateKeyToAddress(gatewayKey),
        application: privateKeyToAddress(appKey),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
