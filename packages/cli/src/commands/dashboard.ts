import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ChainError } from "@decai/chain";
import { startDashboard } from "@decai/dashboard";
import { connect } from "../chain/connect.js";
import { type Command, integerOption, positionalArgs } from "../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions, resolveSettings } from "../config/settings.js";
import { printJson, UsageError } from "../output.js";

const options = {
  ...chainOptions,
  port: { type: "string" },
  host: { type: "string" },
  gateway: { type: "string" },
} as const;

/** The port `decai dashboard` listens on unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 7070;

/**
 * `decai dashboard`: the web dashboard (network explorer, supplier and source earnings, gateway console) in the
 * foreground, until Ctrl-C.
 *
 * @example
 * await main(["dashboard", "--gateway", "http://127.0.0.1:8080", "--port", "0", "--json"]);
 */
export const dashboardCommand: Command<typeof options> = {
  name: "dashboard",
  summary: "serve the web dashboard: network, supplier and source earnings, gateway console",
  help: `Usage: decai dashboard [options]

Serves the Decai dashboard until Ctrl-C: the network (services, session, difficulty, suppliers, claims and
a live feed of claims, proofs and settlements), a page per supplier (/supplier/<address>: stake, work,
claims by stage, earnings over time, the gateway's quality score) and per source (/source/<address>:
revenue share per service over time), and a gateway console (API keys, budgets, usage charts, supplier
leaderboard) opened with the gateway's admin token. It shows the same data as \`decai status\`: both read
one library. The UI is built on first use (and after an update), which takes a few seconds.

Options:
  --port <n>             port (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)
  --host <host>          interface to listen on (default 127.0.0.1)
  --gateway <url>        the gateway whose keys and reputation the dashboard shows (env DECAI_GATEWAY_URL;
                         default: the devnet's gateway when the deployment is a devnet's)
${CHAIN_OPTIONS_HELP}

Example:
  decai dashboard --gateway http://127.0.0.1:8080
  open http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const port = integerOption(values.port, "--port", DEFAULT_DASHBOARD_PORT, { max: 65535 });
    const gatewayUrl = values.gateway ?? (runtime.env.DECAI_GATEWAY_URL || undefined);
    if (gatewayUrl !== undefined && !/^https?:\/\/[^/]+/.test(gatewayUrl)) {
      throw new UsageError(`--gateway must be an http(s) URL, got "${gatewayUrl}"`);
    }
    const settings = resolveSettings(values, runtime);
    const conn = await connect(settings);
    const gateway = gatewayUrl ?? devnetGateway(settings.deploymentFile);
    let dashboard: Awaited<ReturnType<typeof startDashboard>>;
    try {
      dashboard = await startDashboard({
        rpcUrl: conn.rpcUrl,
        deployment: conn.deployment,
        ...(gateway ? { gatewayUrl: gateway } : {}),
        port,
        host: values.host ?? "127.0.0.1",
        onStep: (line) => output.err(line),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new ChainError(
          `port ${port} is already in use`,
          "pass another --port, or --port 0 to pick a free one",
        );
      }
      throw error;
    }
    if (settings.json)
      printJson(output, { url: dashboard.url, gateway: gateway ?? null, chainId: conn.deployment.chainId });
    else {
      output.out(`Decai dashboard: ${dashboard.url}`);
      output.out(
        gateway ? `  gateway console for ${gateway}` : "  no gateway: pass --gateway <url> for the console",
      );
      output.out("Press Ctrl-C to stop.");
    }
    const signal = await runtime.untilStopped();
    output.err(`${signal}: stopping the dashboard...`);
    await dashboard.stop();
    return 0;
  },
};

/** The gateway of the devnet whose deployment file this is (the devnet keeps both in its data directory). */
function devnetGateway(deploymentFile: string): string | undefined {
  const saved = join(dirname(deploymentFile), "devnet.json");
  if (!existsSync(saved)) return undefined;
  try {
    const port = (JSON.parse(readFileSync(saved, "utf8")) as { gatewayPort?: unknown }).gatewayPort;
    return typeof port === "number" && port > 0 ? `http://127.0.0.1:${port}` : undefined;
  } catch {
    return undefined;
  }
}
