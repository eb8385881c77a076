#!/usr/bin/env -S npx tsx
// The RelayMiner process: `npx tsx packages/relayminer/src/main.ts --config relayminer.json`.
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { runRelayMiner } from "./run.js";

const help = `Usage: relayminer --config relayminer.json [options]

Serves relays for a staked supplier: checks each signed relay against the chain, proxies it to the model backend,
signs the response, mines it into its session tree, and claims, proves and settles each session on-chain.

Options (each also a key of the JSON config file; flags win over the environment, which wins over the file):
  --config FILE              JSON config (DECAI_RELAYMINER_CONFIG)
  --host, --port             where to listen (default 127.0.0.1:8546)
  --rpc-url URL              the chain's JSON-RPC endpoint (DECAI_RPC_URL)
  --deployment FILE          contract addresses, e.g. .decai/deployment.json (DECAI_DEPLOYMENT)
  --key-file FILE            the supplier's private key (DECAI_SUPPLIER_KEY_FILE; or DECAI_SUPPLIER_KEY)
  --service NAME=URL         a served model and its OpenAI-compatible backend (repeat)
  --data-dir DIR             session trees and replay logs (DECAI_RELAYMINER_DATA_DIR)
  --grace-blocks N, --poll-interval-ms N, --max-body-bytes N, --backend-timeout-ms N, --pending-sessions N,
  --payment-per-compute-unit N, --target HEX|max, --fsync always|batch, --log-level debug|info|warn|error

In production, run the bundle (half the memory of running the TypeScript through tsx):
  npm run bundle && node dist/relayminer.mjs --config relayminer.json`;

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(`${help}\n`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`relayminer: ${error.message} (${error.hint})\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger({ level: config.logLevel });
  const running = await runRelayMiner(config, { logger: log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    running.stop().then(
      () => process.exit(0),
      (error) => {
        log.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error) => {
  createLogger().error("relayminer failed", { error });
  process.exit(1);
});
