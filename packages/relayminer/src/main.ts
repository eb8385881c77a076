#!/usr/bin/env -S npx tsx
// The RelayMiner process: `npx tsx packages/relayminer/src/main.ts --config relayminer.json`.
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { runRelayMiner } from "./run.js";

async function main(): Promise<void> {
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
