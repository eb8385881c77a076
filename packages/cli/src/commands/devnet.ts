import { type Anvil, deployDecai, saveDeployment, startAnvil } from "@decai/chain";
import { type Command, numberOption } from "../command.js";

const options = {
  port: { type: "string" },
  "block-time": { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
} as const;

/**
 * `decai devnet`: a whole Decai network on this machine. For now: a local chain (anvil) with the contracts
 * deployed; it runs until Ctrl-C and then shuts everything down.
 */
export const devnetCommand: Command<typeof options> = {
  name: "devnet",
  summary: "start a local chain with the Decai contracts deployed (runs until Ctrl-C)",
  help: `Usage: decai devnet [options]

Starts a local EVM chain (anvil), deploys the Decai contracts and test tokens with anvil's first
pre-funded account, writes the addresses to a deployment file, prints them, and keeps running until
you press Ctrl-C.

Options:
  --port <n>          RPC port (default 8545; 0 picks a free one)
  --block-time <s>    seconds between blocks (default 1)
  --out <file>        deployment file (default .decai/devnet.json)
  --json              print one JSON line with the RPC URL and addresses once ready
  -h, --help          show this help`,
  options,
  async run(values, _positionals, output) {
    const port = numberOption(values.port, "--port", 8545);
    const blockTime = numberOption(values["block-time"], "--block-time", 1);
    const out = values.out ?? ".decai/devnet.json";
    output.err(`starting anvil on port ${port === 0 ? "(any free)" : port}...`);
    let anvil: Anvil;
    try {
      anvil = await startAnvil({ port, blockTime: blockTime > 0 ? blockTime : undefined });
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
    const stop = async () => {
      await anvil.stop();
    };
    try {
      const deployer = anvil.accounts[0];
      if (!deployer) throw new Error("anvil started without accounts");
      const deployment = await deployDecai({
        rpcUrl: anvil.rpcUrl,
        privateKey: deployer.privateKey,
        onProgress: (line) => output.err(line),
      });
      saveDeployment(out, deployment);
      if (values.json) {
        output.out(
          JSON.stringify({ rpcUrl: anvil.rpcUrl, deploymentFile: out, ...deployment }, (_, v) =>
            typeof v === "bigint" ? v.toString() : v,
          ),
        );
      } else {
        output.out(`Decai devnet ready on ${anvil.rpcUrl} (chain ${deployment.chainId})`);
        for (const [name, address] of Object.entries(deployment.contracts))
          output.out(`  ${name.padEnd(16)} ${address}`);
        output.out(`Addresses written to ${out}. Funded dev accounts use anvil's public test mnemonic.`);
        output.out("Press Ctrl-C to stop.");
      }
    } catch (error) {
      await stop();
      throw error;
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    output.err("stopping devnet...");
    await stop();
    return 0;
  },
};
