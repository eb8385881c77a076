import { type Command, numberOption } from "../command.js";
import { type Devnet, startDevnet } from "../devnet/startDevnet.js";
import { UsageError } from "../output.js";

const options = {
  port: { type: "string" },
  "block-time": { type: "string" },
  "session-blocks": { type: "string" },
  suppliers: { type: "string" },
  model: { type: "string" },
  backend: { type: "string" },
  "data-dir": { type: "string" },
  "dashboard-port": { type: "string" },
  json: { type: "boolean" },
} as const;

/**
 * `decai devnet`: a whole Decai network on this machine — chain, contracts, a Source and its model, suppliers
 * (RelayMiner + llama.cpp each), a gateway with an API key — until Ctrl-C.
 */
export const devnetCommand: Command<typeof options> = {
  name: "devnet",
  summary: "run a whole Decai network on this machine (chain, suppliers, gateway) until Ctrl-C",
  help: `Usage: decai devnet [options]

Starts a local chain (anvil) with the Decai contracts, registers a model as a service (the generated tiny
model, with real llama.cpp inference, unless you pass --model or --backend), starts N suppliers (a RelayMiner
in front of a llama.cpp backend each) and stakes them, stakes a gateway and an application that delegates to
it, starts the gateway's OpenAI-compatible API and creates an API key. Then it prints what to paste into any
OpenAI client. Sessions roll over and claims, proofs and settlements happen by themselves. Ctrl-C stops it all.

Options:
  --port <n>             chain RPC port (default 8545; 0 picks a free one)
  --block-time <s>       seconds between blocks (default 1)
  --session-blocks <n>   blocks per session (default 10)
  --suppliers <n>        number of suppliers (default 3)
  --model <file.gguf>    serve this GGUF model instead of the generated tiny one
  --backend <url>        use this OpenAI-compatible server (Ollama, vLLM, llama.cpp server) for every supplier
  --data-dir <dir>       where the chain state, keys, trees, logs and the deployment file go
                         (default .decai/devnet); starting again on the same directory resumes the devnet
  --dashboard-port <n>   the web dashboard's port (default 7070, or a free one when taken; 0 picks a free one)
  --json                 print one JSON line with the endpoints once ready
  -h, --help             show this help

Example:
  npx decai devnet
  export OPENAI_BASE_URL=... OPENAI_API_KEY=...   # as printed`,
  options,
  async run(values, _positionals, output) {
    const port = numberOption(values.port, "--port", 8545);
    const blockTime = numberOption(values["block-time"], "--block-time", 1);
    const sessionBlocks = numberOption(values["session-blocks"], "--session-blocks", 10);
    const suppliers = numberOption(values.suppliers, "--suppliers", 3);
    if (!Number.isInteger(suppliers) || suppliers < 1 || suppliers > 8) {
      throw new UsageError(`--suppliers must be a whole number from 1 to 8, got "${values.suppliers}"`);
    }
    if (sessionBlocks < 4)
      throw new UsageError(`--session-blocks must be at least 4, got "${values["session-blocks"]}"`);
    if (blockTime <= 0) throw new UsageError("--block-time must be above 0 (sessions advance with blocks)");
    if (values.model && values.backend) throw new UsageError("pass --model or --backend, not both");
    const started = Date.now();
    let devnet: Devnet;
    try {
      devnet = await startDevnet({
        port,
        blockTime,
        sessionBlocks,
        suppliers,
        ...(values.model ? { model: values.model } : {}),
        ...(values.backend ? { backend: values.backend } : {}),
        dataDir: values["data-dir"] ?? ".decai/devnet",
        ...(values["dashboard-port"] !== undefined
          ? { dashboardPort: numberOption(values["dashboard-port"], "--dashboard-port", 7070) }
          : {}),
        onStep: (line) => output.err(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`),
      });
    } catch (error) {
      if (
        error instanceof Error &&
        /address already in use/i.test(`${error.message} ${(error as { hint?: string }).hint}`)
      ) {
        error.message = `port ${port} is already in use`;
        (error as { hint?: string }).hint =
          "stop whatever listens there, or pass --port 0 to pick a free port";
      }
      throw error;
    }
    if (values.json) {
      output.out(
        JSON.stringify({
          rpcUrl: devnet.rpcUrl,
          OPENAI_BASE_URL: devnet.openaiBaseUrl,
          OPENAI_API_KEY: devnet.openaiApiKey,
          dashboardUrl: devnet.dashboardUrl,
          adminToken: devnet.adminToken,
          model: devnet.model,
          deploymentFile: devnet.deploymentFile,
          logsDir: devnet.logsDir,
          resumed: devnet.resumed,
          accounts: devnet.accounts,
        }),
      );
    } else {
      output.out(`Decai devnet ${devnet.resumed ? "resumed" : "ready"} in ${((Date.now() - started) / 1000).toFixed(0)} s. Paste this:

  export OPENAI_BASE_URL=${devnet.openaiBaseUrl}
  export OPENAI_API_KEY=${devnet.openaiApiKey}

  curl $OPENAI_BASE_URL/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" \\
    -H 'content-type: application/json' \\
    -d '{"model":"${devnet.model}","messages":[{"role":"user","content":"Hello"}],"max_tokens":16}'

Dashboard: ${devnet.dashboardUrl} (gateway console admin token: ${devnet.adminToken})
Chain: ${devnet.rpcUrl} (deployment: ${devnet.deploymentFile})
Logs: ${devnet.logsDir} (one file per supplier and the gateway)
Press Ctrl-C to stop.`);
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    output.err("stopping devnet...");
    await devnet.stop();
    return 0;
  },
};
