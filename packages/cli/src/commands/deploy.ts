import { deployDecai, saveDeployment } from "@decai/chain";
import type { Address, Hex } from "viem";
import type { Command } from "../command.js";
import { UsageError } from "../output.js";

const options = {
  "rpc-url": { type: "string" },
  "private-key": { type: "string" },
  "stake-token": { type: "string" },
  "payment-token": { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
} as const;

/** `decai deploy`: deploys the contracts to an existing chain and writes the deployment file. */
export const deployCommand: Command<typeof options> = {
  name: "deploy",
  summary: "deploy the Decai contracts to a chain and write the deployment file",
  help: `Usage: decai deploy [options]

Deploys the Decai contracts (and test tokens unless you pass your own) and writes their addresses to a
deployment file. The file is written only after every contract is deployed.

Options:
  --rpc-url <url>          JSON-RPC endpoint (env DECAI_RPC_URL; default http://127.0.0.1:8545)
  --private-key <0x...>    deployer key; pays gas and becomes governance (env DECAI_PRIVATE_KEY)
  --stake-token <address>  existing ERC-20 for stakes (default: deploy a test token)
  --payment-token <addr>   existing ERC-20 for payments (default: deploy a test token)
  --out <file>             deployment file (default .decai/deployment.json)
  --json                   print the deployment as JSON on stdout
  -h, --help               show this help

Example:
  DECAI_PRIVATE_KEY=0x... decai deploy --rpc-url http://127.0.0.1:8545`,
  options,
  async run(values, _positionals, output) {
    const privateKey = values["private-key"] ?? process.env.DECAI_PRIVATE_KEY;
    if (!privateKey) {
      throw new UsageError("no deployer key: pass --private-key 0x... or set DECAI_PRIVATE_KEY");
    }
    const out = values.out ?? ".decai/deployment.json";
    const deployment = await deployDecai({
      rpcUrl: values["rpc-url"] ?? process.env.DECAI_RPC_URL ?? "http://127.0.0.1:8545",
      privateKey: privateKey as Hex,
      stakeToken: values["stake-token"] as Address | undefined,
      paymentToken: values["payment-token"] as Address | undefined,
      onProgress: (line) => output.err(line),
    });
    saveDeployment(out, deployment);
    if (values.json) {
      output.out(JSON.stringify(deployment, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
    } else {
      output.out(`Deployed Decai on chain ${deployment.chainId}; addresses written to ${out}`);
      for (const [name, address] of Object.entries(deployment.contracts))
        output.out(`  ${name.padEnd(16)} ${address}`);
    }
    return 0;
  },
};
