import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError, loadConfig, runGateway } from "@decai/gateway";
import { createLogger } from "@decai/relayminer";
import { isAddress } from "viem";
import { connect } from "../../chain/connect.js";
import { loadSigner } from "../../chain/signer.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions, resolveSettings } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = {
  ...chainOptions,
  application: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  database: { type: "string" },
  "margin-bps": { type: "string" },
  "data-dir": { type: "string" },
  "log-level": { type: "string" },
} as const;

/**
 * `decai gateway start`: the gateway's OpenAI-compatible API over the Decai network, in the foreground.
 *
 * @example
 * await main(["gateway", "start", "--key", "gateway", "--application", "0xApp…", "--port", "8080"]);
 */
export const gatewayStartCommand: Command<typeof options> = {
  name: "gateway start",
  summary: "run your gateway's OpenAI-compatible API over the network (until Ctrl-C)",
  help: `Usage: decai gateway start --application <address> [options]

Runs a gateway in the foreground: an OpenAI-compatible API (/v1/chat/completions, /v1/completions,
/v1/embeddings, /v1/models) that relays every request to the session's suppliers for an application that
delegated to this gateway, signing relays with your gateway key (\`--key\`), routing by latency and health,
and billing API keys from the suppliers' signed receipts. Prices and the model list come from the chain.
Set DECAI_GATEWAY_ADMIN_TOKEN to manage API keys with \`decai gateway keys\`. Ctrl-C stops it.

Options:
  --application <address>  the application this gateway acts for (it must have delegated to the gateway)
  --host <host>            interface (default 127.0.0.1)
  --port <n>               port (default 8080; 0 picks a free one)
  --database <path|url>    SQLite file (default .decai/gateway/gateway.sqlite) or postgres://… URL
  --margin-bps <n>         margin on top of network prices, in basis points (default 0)
  --data-dir <dir>         where the gateway config and database live (default .decai/gateway)
  --log-level <level>      debug | info | warn | error
${CHAIN_OPTIONS_HELP}

Example:
  DECAI_GATEWAY_ADMIN_TOKEN=secret decai gateway start --key gateway --application 0x… --port 8080`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const application = values.application;
    if (!application || !isAddress(application)) {
      throw new UsageError(
        "pass --application <address>: the application that delegated to this gateway (`decai app delegate`)",
      );
    }
    const settings = resolveSettings(values, runtime);
    const conn = await connect(settings);
    const signer = await loadSigner(settings, runtime);
    const dataDir = resolve(runtime.cwd, values["data-dir"] ?? ".decai/gateway");
    const file = resolve(dataDir, "gateway.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(
        { network: { rpcUrl: conn.rpcUrl, deployment: conn.deploymentFile, application } },
        null,
        2,
      ),
    );
    const argv = ["--config", file, "--database", values.database ?? resolve(dataDir, "gateway.sqlite")];
    for (const flag of ["host", "port", "margin-bps", "log-level"] as const) {
      if (values[flag] !== undefined) argv.push(`--${flag}`, values[flag] as string);
    }
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({
        argv,
        env: { ...runtime.env, DECAI_GATEWAY_KEY: signer.privateKey },
        cwd: runtime.cwd,
      });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`${error.message} (${error.hint})`);
      throw error;
    }
    const logger = createLogger({ level: config.logLevel, write: (line) => output.err(line.trimEnd()) });
    const running = await runGateway(config, { logger: logger as never });
    const ready = {
      url: running.gateway.url,
      openaiBaseUrl: `${running.gateway.url}/v1`,
      gateway: signer.address,
      application,
      adminApi: config.adminToken ? "on" : "off (set DECAI_GATEWAY_ADMIN_TOKEN)",
    };
    if (settings.json) printJson(output, ready);
    else {
      output.out(`Gateway ${signer.address} serving ${ready.openaiBaseUrl} for application ${application}`);
      output.out(`Admin API: ${ready.adminApi}. Press Ctrl-C to stop.`);
    }
    const signal = await runtime.untilStopped();
    output.err(`${signal}: stopping the gateway...`);
    await running.stop();
    return 0;
  },
};
