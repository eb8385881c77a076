// The real gateway process (`packages/gateway/src/main.ts serve`) selling a fault network, for tests that kill it
// with SIGKILL or grep what it logs.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FaultNet } from "./hostileNet.js";

const root = join(import.meta.dirname, "..", "..");
const GATEWAY_MAIN = join(root, "packages", "gateway", "src", "main.ts");

/** A running gateway process: its URL, everything it printed, and how to stop it. */
export type GatewayProcess = {
  child: ChildProcess;
  url: string;
  /** stdout and stderr, as printed. */
  output: string[];
  /** SIGKILL: no shutdown, no flush. */
  kill: () => Promise<void>;
};

/**
 * Writes a gateway config file selling `net` (port, database) and returns its path. The gateway key and the admin
 * token go in the environment, as in production.
 */
export function writeGatewayConfig(
  net: FaultNet,
  options: { port: number; database: string; name: string },
): string {
  const path = join(net.dir, `${options.name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      host: "127.0.0.1",
      port: options.port,
      database: options.database,
      logLevel: "debug",
      network: { rpcUrl: net.chain.anvil.rpcUrl, deployment: net.deploymentFile, application: net.app },
    }),
  );
  return path;
}

/**
 * Starts `main.ts serve --config <config>` and resolves once it listens.
 *
 * @example
 * const gw = await startGatewayProcess(config, { DECAI_GATEWAY_KEY: net.gatewayKey, DECAI_GATEWAY_ADMIN_TOKEN: token });
 * await gw.kill();
 */
export function startGatewayProcess(config: string, env: Record<string, string>): Promise<GatewayProcess> {
  return spawnService(GATEWAY_MAIN, ["serve", "--config", config], env, "gateway listening");
}

const RELAYMINER_MAIN = join(root, "packages", "relayminer", "src", "main.ts");

/** A running process (gateway or RelayMiner) spawned by {@link spawnService}. */
export type ServiceProcess = GatewayProcess;

/**
 * Spawns `main` (a package's `src/main.ts`) with `args` and resolves once it logs `listening` (its URL).
 *
 * @example
 * const miner = await spawnService(relayMinerMain, ["--config", file], { DECAI_SUPPLIER_KEY: key }, "relayminer listening");
 */
export function spawnService(
  main: string,
  args: string[],
  env: Record<string, string>,
  listening: string,
): Promise<ServiceProcess> {
  // One process (tsx as a loader, not its CLI, which would run the service in a child that SIGKILL cannot reach).
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pattern = new RegExp(`"msg":"${listening}".*?"url":"([^"]+)"`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${main} did not start in 60 s: ${output.join("").slice(-1000)}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = pattern.exec(output.join(""));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          output,
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            await exited;
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${main} exited with ${code}: ${output.join("").slice(-1000)}`));
    });
  });
}

/**
 * Starts a RelayMiner process for supplier `i` of `net` (its key in the environment, its own data directory and
 * port, the same backend), as `main.ts --config` runs in production.
 */
export function startRelayMinerProcess(net: FaultNet, i: number, port: number): Promise<ServiceProcess> {
  const supplier = net.suppliers[i];
  if (!supplier) throw new Error(`no supplier ${i}`);
  const config = join(net.dir, `relayminer-process-${i}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      host: "127.0.0.1",
      port,
      rpcUrl: net.chain.anvil.rpcUrl,
      deployment: net.deploymentFile,
      dataDir: join(net.dir, `relayminer-process-${i}`),
      pollIntervalMs: 200,
      logLevel: "debug",
      services: [{ name: "tiny-llama", backend: supplier.backend.url }],
    }),
  );
  return spawnService(
    RELAYMINER_MAIN,
    ["--config", config],
    { DECAI_SUPPLIER_KEY: supplier.key },
    "relayminer listening",
  );
}
