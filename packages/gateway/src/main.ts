#!/usr/bin/env -S npx tsx
// The gateway process: `npx tsx packages/gateway/src/main.ts serve --upstream-url http://127.0.0.1:8081/v1`, and
// key management: `npx tsx packages/gateway/src/main.ts keys create --name acme --rpm 60`.
import { keysHelp, runKeysCommand } from "./cli/keys.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./log.js";
import { runGateway } from "./run.js";

const help = `Usage: gateway <serve|keys> [options]

  serve   run the gateway: --config FILE, --host, --port (8080), --database (SQLite path or postgres:// URL),
          --upstream-url URL, --model ID (repeat), --alias name=a,b (repeat), --margin-bps N,
          --max-body-bytes N, --default-max-tokens N, --log-level L.
          Secrets from the environment: DECAI_GATEWAY_ADMIN_TOKEN, DECAI_GATEWAY_KEY_SECRET,
          DECAI_GATEWAY_UPSTREAM_KEY.
  keys    manage API keys over the admin API (keys --help)

${keysHelp}

In production, run the bundle (half the memory of running the TypeScript through tsx):
  npm run bundle && node dist/gateway.mjs serve --config gateway.json`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "keys") {
    process.exitCode = await runKeysCommand(rest, {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      env: process.env,
    });
    return;
  }
  if (command !== "serve") {
    process.stdout.write(`${help}\n`);
    process.exitCode = command === undefined || command === "--help" || command === "-h" ? 0 : 2;
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv: rest });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gateway: ${error.message} (${error.hint})\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger({ level: config.logLevel });
  const running = await runGateway(config, { logger: log });
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
  createLogger().error("gateway failed", { error });
  process.exit(1);
});
