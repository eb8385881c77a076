import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, join, resolve } from "node:path";
import { loadDeployment, saveDeployment, startAnvil } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { ensureDashboardBuilt, startDashboard } from "@decai/dashboard";
import { AdminClient, loadConfig as loadGatewayConfig, runGateway } from "@decai/gateway";
import { createBackendServer, createEmbeddedBackend, ensureTinyModel, sha256File } from "@decai/llm";
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
  /** Keys, trees, logs, the chain state and the deployment file; a devnet started again here resumes. */
  dataDir: string;
  /** One line per step, for progress output. */
  onStep: (line: string) => void;
  /** The dashboard's port: default 7070, or any free port when that is taken; 0: any free port. */
  dashboardPort?: number;
};

/** A running devnet: what to paste into a client, and how to stop it. */
export type Devnet = {
  rpcUrl: string;
  openaiBaseUrl: string;
  openaiApiKey: string;
  /** The web dashboard (network, earnings, gateway console). */
  dashboardUrl: string;
  /** The gateway's admin token, for the dashboard's console. */
  adminToken: string;
  model: string;
  deploymentFile: string;
  logsDir: string;
  /** True when this run resumed a devnet from its data directory. */
  resumed: boolean;
  accounts: { source: Address; suppliers: Address[]; gateway: Address; application: Address };
  stop: () => Promise<void>;
};

/** What a devnet keeps in `devnet.json` to resume (a devnet's throwaway secrets, file mode 0600). */
type SavedDevnet = {
  suppliers: number;
  modelPath?: string;
  backend?: string;
  apiKey: string;
  adminToken: string;
  gatewayPort: number;
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
 * application, the gateway's OpenAI-compatible API with an API key. Started again on the same data directory it
 * resumes (chain state, stakes, trees, gateway keys and usage). Everything stops with `stop()`.
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
  // The chain's state lives in the data directory (anvil dumps it every 2 s and on exit).
  const stateFile = join(dataDir, "chain-state.json");
  const savedFile = join(dataDir, "devnet.json");
  const deploymentFile = join(dataDir, "deployment.json");
  const saved: SavedDevnet | undefined =
    existsSync(savedFile) && existsSync(stateFile) && existsSync(deploymentFile)
      ? JSON.parse(readFileSync(savedFile, "utf8"))
      : undefined;
  if (!saved) rmSync(stateFile, { force: true }); // a setup that never finished: start over
  const suppliersCount = saved?.suppliers ?? options.suppliers;
  const accounts = 12 + suppliersCount;
  const anvilOptions = {
    port: options.port,
    blockTime: options.blockTime,
    extraArgs: ["--state", stateFile, "--state-interval", "2"],
  };
  // The dashboard UI builds (first run, or after an update) while the chain and suppliers start.
  const uiBuilt = ensureDashboardBuilt();
  uiBuilt.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
  try {
    let rpcUrl: string;
    let keys: Hex[];
    const serviceId = toServiceId(SERVICE);
    let modelPath = saved ? saved.modelPath : options.model;
    const backend = saved ? saved.backend : options.backend;
    if (saved) {
      options.onStep(`resuming the devnet in ${dataDir} (chain state, stakes, trees, gateway keys)...`);
      const anvil = await startAnvil({ ...anvilOptions, accounts });
      stops.push(() => anvil.stop());
      rpcUrl = anvil.rpcUrl;
      keys = anvil.accounts.map((a) => a.privateKey);
    } else {
      options.onStep(`starting anvil (block time ${options.blockTime}s) and deploying the contracts...`);
      const net = await startNetwork(
        {
          blocksPerSession: options.sessionBlocks,
          suppliersPerSession: Math.min(suppliersCount, 3),
          // Windows as long as a session: room for every supplier's transactions even with fast blocks. The
          // grace before claims open keeps the previous session servable while the new one's seed is recorded.
          claimWindowOpenOffsetBlocks: Math.max(2, Math.floor(options.sessionBlocks / 2)),
          claimWindowBlocks: Math.max(4, options.sessionBlocks),
          proofWindowBlocks: Math.min(Math.max(4, options.sessionBlocks), 255),
        },
        accounts,
        anvilOptions,
      );
      stops.push(() => net.anvil.stop());
      rpcUrl = net.anvil.rpcUrl;
      keys = net.keys as Hex[];
      saveDeployment(deploymentFile, net.deployment);
      let weightsDigest: Hex = `0x${"00".repeat(32)}`;
      if (!backend && !modelPath) {
        options.onStep("generating the tiny model (random weights, real llama.cpp inference)...");
        const tiny = await ensureTinyModel(join(dataDir, "models"));
        modelPath = tiny.path;
        weightsDigest = tiny.sha256;
      } else if (!backend && modelPath) {
        options.onStep(`hashing ${basename(modelPath)} (the service commits to its sha256)...`);
        weightsDigest = await sha256File(resolve(modelPath));
      }
      options.onStep(`registering the service "${SERVICE}" as a Source (10% revenue share)...`);
      const modelName = options.model
        ? basename(options.model)
        : backend
          ? `${SERVICE} (external backend)`
          : SERVICE;
      await net.actions.registerService(keys[1] as Hex, serviceId, modelName, weightsDigest);
      for (let i = 0; i < suppliersCount; i++) {
        const port = await freePort();
        options.onStep(`supplier ${i + 1}/${suppliersCount}: staking with its RelayMiner at port ${port}...`);
        await net.actions.stakeSupplier(keys[2 + i] as Hex, [
          { id: serviceId, endpoint: `http://127.0.0.1:${port}` },
        ]);
        const dir = join(dataDir, `supplier-${i + 1}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "supplier.key"), keys[2 + i] as Hex, { mode: 0o600 });
        writeFileSync(join(dir, "port"), String(port));
      }
      options.onStep("staking a gateway, and an application that delegates to it...");
      const [gatewayKey, appKey] = [keys[2 + suppliersCount] as Hex, keys[3 + suppliersCount] as Hex];
      await net.actions.stakeGateway(gatewayKey);
      await net.actions.stakeApplication(appKey, [serviceId], 10n ** 24n);
      await net.actions.delegate(appKey, privateKeyToAddress(gatewayKey));
      await net.actions.nextSession(); // delegation and stakes take effect at the next session
      await net.actions.recordSeed(keys[0] as Hex);
    }

    const suppliers: Address[] = [];
    for (let i = 0; i < suppliersCount; i++) {
      const dir = join(dataDir, `supplier-${i + 1}`);
      let backendUrl = backend;
      let weightsDigest: Hex | undefined; // unknown behind an external backend
      if (!backendUrl) {
        const llm = await createEmbeddedBackend({
          model: modelPath as string,
          modelId: SERVICE,
          parallel: 1,
        });
        const server = await createBackendServer(llm);
        stops.push(() => llm.close());
        stops.push(() => server.close());
        backendUrl = new URL(server.url).origin;
        weightsDigest = await llm.weightsDigest(); // reported on every answer and declared on-chain
      }
      options.onStep(`supplier ${i + 1}/${suppliersCount}: starting its RelayMiner...`);
      // Rewritten on every start: the chain's RPC port and the backend's may have changed.
      writeFileSync(
        join(dir, "relayminer.json"),
        JSON.stringify(
          {
            host: "127.0.0.1",
            port: Number(readFileSync(join(dir, "port"), "utf8")),
            rpcUrl,
            deployment: deploymentFile,
            supplierKeyFile: "supplier.key",
            dataDir: "data",
            pollIntervalMs: 200,
            services: [{ name: SERVICE, backend: backendUrl, ...(weightsDigest ? { weightsDigest } : {}) }],
          },
          null,
          2,
        ),
      );
      const config = loadMinerConfig({ argv: ["--config", join(dir, "relayminer.json")], env: {} });
      const miner = await runRelayMiner(config, { logger: fileLogger(`supplier-${i + 1}`) });
      stops.push(() => miner.stop());
      suppliers.push(privateKeyToAddress(keys[2 + i] as Hex));
    }

    options.onStep(saved ? "starting the gateway..." : "starting the gateway and creating an API key...");
    const [gatewayKey, appKey] = [keys[2 + suppliersCount] as Hex, keys[3 + suppliersCount] as Hex];
    const gatewayDir = join(dataDir, "gateway");
    mkdirSync(gatewayDir, { recursive: true });
    writeFileSync(
      join(gatewayDir, "gateway.json"),
      JSON.stringify(
        {
          host: "127.0.0.1",
          port: saved?.gatewayPort ?? 0,
          database: join(gatewayDir, "gateway.sqlite"),
          network: { rpcUrl, deployment: deploymentFile, application: privateKeyToAddress(appKey) },
        },
        null,
        2,
      ),
    );
    const adminToken = saved?.adminToken ?? randomBytes(16).toString("hex");
    const gatewayConfig = loadGatewayConfig({
      argv: ["--config", join(gatewayDir, "gateway.json")],
      env: { DECAI_GATEWAY_KEY: gatewayKey, DECAI_GATEWAY_ADMIN_TOKEN: adminToken },
    });
    const gateway = await runGateway(gatewayConfig, { logger: fileLogger("gateway") as never });
    stops.push(() => gateway.stop());
    options.onStep("starting the dashboard...");
    await uiBuilt;
    const dashboardOptions = {
      rpcUrl,
      deployment: loadDeployment(deploymentFile),
      gatewayUrl: gateway.gateway.url,
      pollIntervalMs: 500,
    };
    const dashboard = await startDashboard({
      ...dashboardOptions,
      port: options.dashboardPort ?? 7070,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE" || options.dashboardPort !== undefined) throw error;
      return startDashboard({ ...dashboardOptions, port: 0 }); // 7070 is taken: any free port
    });
    stops.push(() => dashboard.stop());
    const apiKey =
      saved?.apiKey ??
      (await new AdminClient({ url: gateway.gateway.url, token: adminToken }).createKey({ name: "devnet" }))
        .key;
    const record: SavedDevnet = {
      suppliers: suppliersCount,
      ...(modelPath ? { modelPath } : {}),
      ...(backend ? { backend } : {}),
      apiKey,
      adminToken,
      gatewayPort: Number(new URL(gateway.gateway.url).port),
    };
    writeFileSync(savedFile, JSON.stringify(record, null, 2), { mode: 0o600 });
    return {
      rpcUrl,
      openaiBaseUrl: `${gateway.gateway.url}/v1`,
      openaiApiKey: apiKey,
      dashboardUrl: dashboard.url,
      adminToken,
      model: SERVICE,
      deploymentFile,
      logsDir,
      resumed: saved !== undefined,
      accounts: {
        source: privateKeyToAddress(keys[1] as Hex),
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
