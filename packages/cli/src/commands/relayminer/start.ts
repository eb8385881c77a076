import { ChainError, stakingAbi } from "@decai/chain";
import { ConfigError, createLogger, describeConfig, loadConfig, runRelayMiner } from "@decai/relayminer";
import { connect } from "../../chain/connect.js";
import { serviceName } from "../../chain/revert.js";
import { loadSigner } from "../../chain/signer.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions, resolveSettings } from "../../config/settings.js";
import { type Output, printJson, UsageError } from "../../output.js";

/** RelayMiner flags passed through to its `loadConfig` as they are. */
const minerOptions = {
  host: { type: "string" },
  port: { type: "string" },
  service: { type: "string", multiple: true },
  "data-dir": { type: "string" },
  "grace-blocks": { type: "string" },
  "poll-interval-ms": { type: "string" },
  "max-body-bytes": { type: "string" },
  "backend-timeout-ms": { type: "string" },
  fsync: { type: "string" },
  "log-level": { type: "string" },
} as const;

const options = { ...chainOptions, ...minerOptions, "miner-config": { type: "string" } } as const;

/**
 * `decai relayminer start`: the supplier's RelayMiner in the foreground, until Ctrl-C.
 *
 * @example
 * await main(["relayminer", "start", "--key", "supplier", "--service", "tiny-llama=http://127.0.0.1:8080"]);
 */
export const relayminerStartCommand: Command<typeof options> = {
  name: "relayminer start",
  summary: "run your RelayMiner in the foreground (until Ctrl-C)",
  help: `Usage: decai relayminer start --service <name>=<backend-url> [options]

Runs the supplier's RelayMiner in the foreground: it serves relays for each --service by forwarding them
to an OpenAI-compatible backend (llama.cpp server, vLLM, Ollama, ...), signs receipts with your key, mines
the relays, and claims, proves and settles them on-chain by itself. Ctrl-C (or SIGTERM) stops it cleanly;
its trees and claims are on disk (--data-dir), so a restart resumes where it stopped. Logs are JSON lines
on stderr; the ready line goes to stdout.

Declare the URL it listens on with \`decai supplier stake --service <name>=<public url>\`.

Options:
  --service <name>=<url>     a staked service and the backend that serves it; repeatable
  --host <host>              interface to listen on (default 127.0.0.1; 0.0.0.0 for the public)
  --port <n>                 port (default 8546; 0 picks a free one)
  --data-dir <dir>           where trees and claim state live (default .decai/relayminer)
  --miner-config <file>      a RelayMiner config file (JSON, see packages/relayminer); flags win
  --poll-interval-ms <n>     how often to read the chain (default 1000)
  --grace-blocks <n>, --max-body-bytes <n>, --backend-timeout-ms <n>, --fsync always|batch,
  --log-level debug|info|warn|error
${CHAIN_OPTIONS_HELP}

Example:
  decai relayminer start --key supplier --service tiny-llama=http://127.0.0.1:8080 --port 8546`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const settings = resolveSettings(values, runtime);
    const conn = await connect(settings);
    const env: Record<string, string | undefined> = { ...runtime.env };
    if (settings.key) env.DECAI_SUPPLIER_KEY = (await loadSigner(settings, runtime)).privateKey;
    else if (!env.DECAI_SUPPLIER_KEY && !values["miner-config"]) {
      throw new UsageError(
        "no supplier key: pass --key <name> (see `decai keys list`) or set DECAI_PRIVATE_KEY",
      );
    }
    const argv = ["--deployment", settings.deploymentFile, "--rpc-url", conn.rpcUrl];
    if (values["miner-config"]) argv.push("--config", values["miner-config"]);
    for (const [flag, value] of Object.entries(values)) {
      if (!(flag in minerOptions) || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) argv.push(`--${flag}`, String(v));
    }
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({ argv, env, cwd: runtime.cwd });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`${error.message} (${error.hint})`);
      throw error;
    }
    const supplier = describeConfig(config).supplier as `0x${string}`;
    await warnUnstaked(conn.client, conn.deployment.contracts.staking, supplier, config.services, output);

    const logger = createLogger({ level: config.logLevel, write: (line) => output.err(line.trimEnd()) });
    let running: Awaited<ReturnType<typeof runRelayMiner>>;
    try {
      running = await runRelayMiner(config, { logger });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new ChainError(
          `port ${config.port} is already in use`,
          "pass another --port, or --port 0 to pick a free one",
        );
      }
      throw error;
    }
    const ready = {
      url: running.miner.url,
      supplier,
      chainId: conn.deployment.chainId,
      services: config.services.map((s) => ({ name: s.name, backend: s.backend })),
      dataDir: config.dataDir,
    };
    if (settings.json) printJson(output, ready);
    else {
      output.out(`RelayMiner of supplier ${supplier} listening on ${ready.url}`);
      for (const s of ready.services) output.out(`  ${s.name.padEnd(24)} -> ${s.backend}`);
      output.out("Press Ctrl-C to stop.");
    }
    const signal = await runtime.untilStopped();
    output.err(`${signal}: stopping the RelayMiner...`);
    await running.stop();
    return 0;
  },
};

/** Warns (without stopping) about services the supplier does not serve on-chain: nobody would be sent there. */
async function warnUnstaked(
  client: Awaited<ReturnType<typeof connect>>["client"],
  staking: `0x${string}`,
  supplier: `0x${string}`,
  services: { name: string; id: `0x${string}` }[],
  output: Output,
): Promise<void> {
  const [, , serviceIds] = await client.readContract({
    address: staking,
    abi: stakingAbi,
    functionName: "getSupplier",
    args: [supplier],
  });
  const served = new Set(serviceIds.map((id) => id.toLowerCase()));
  for (const s of services) {
    if (!served.has(s.id.toLowerCase())) {
      output.err(
        `warning: supplier ${supplier} does not serve "${serviceName(s.id)}" on-chain; run \`decai supplier stake --service ${s.name}=<this RelayMiner's public URL>\``,
      );
    }
  }
}
