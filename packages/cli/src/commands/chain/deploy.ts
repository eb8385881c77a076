import { existsSync } from "node:fs";
import { DEFAULT_PARAMS, type DecaiParams, deployDecai, saveDeployment } from "@decai/chain";
import { type Address, type Hex, maxUint256 } from "viem";
import { DEFAULT_RPC_URL } from "../../chain/connect.js";
import { checkedKey, loadSigner } from "../../chain/signer.js";
import type { Command } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions, resolveSettings } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = {
  ...chainOptions,
  "private-key": { type: "string" },
  "stake-token": { type: "string" },
  "payment-token": { type: "string" },
  governance: { type: "string" },
  dao: { type: "string" },
  param: { type: "string", multiple: true },
  out: { type: "string" },
} as const;

/**
 * `decai chain deploy` (alias `decai deploy`): deploys the contracts and writes the deployment file.
 *
 * @example
 * await main(["chain", "deploy", "--key", "deployer", "--rpc-url", "https://sepolia.base.org"]);
 */
export const chainDeployCommand: Command<typeof options> = {
  name: "chain deploy",
  summary: "deploy the Decai contracts to any EVM chain and write the deployment file",
  help: `Usage: decai chain deploy [options]     (alias: decai deploy)

Deploys the Decai contracts (and test tokens unless you pass your own) to the chain at --rpc-url, e.g. an
L2 testnet, and writes their addresses and the RPC URL to the deployment file that every other command
reads. The file is written only after every contract is deployed. The deployer pays gas and becomes
governance unless --governance is given.

Options:
  --stake-token <address>    existing ERC-20 for stakes (default: deploy a test token, DST)
  --payment-token <address>  existing ERC-20 for payments (default: deploy a test token, DPT)
  --governance <address>     hand governance to this address (it must call acceptGovernance())
  --dao <address>            receiver of the DAO share (default: governance)
  --param <name>=<value>     protocol parameter, repeatable: ${Object.keys(DEFAULT_PARAMS).join(", ")}
                             (amounts in base units; "max" for the largest value)
  --out <file>               same as --deployment
  --private-key <0x...>      deployer key as a flag (visible to other users in \`ps\`: prefer --key)
${CHAIN_OPTIONS_HELP}

Examples:
  decai keys import deployer < deployer.key
  decai chain deploy --key deployer --rpc-url https://sepolia.base.org
  DECAI_PRIVATE_KEY=0x... decai chain deploy --param blocksPerSession=20`,
  options,
  async run(values, positionals, output, runtime) {
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}" (see \`decai chain deploy --help\`)`);
    const settings = resolveSettings({ ...values, deployment: values.out ?? values.deployment }, runtime);
    const params = parseParams(values.param ?? []);
    let privateKey: Hex;
    if (values["private-key"] !== undefined) privateKey = checkedKey(values["private-key"], "--private-key");
    else if (settings.key) privateKey = (await loadSigner(settings, runtime)).privateKey;
    else {
      throw new UsageError(
        "no deployer key: pass --key <name> (from `decai keys`), or set DECAI_PRIVATE_KEY (or --private-key 0x...)",
      );
    }
    const rpcUrl = settings.rpcUrl ?? DEFAULT_RPC_URL;
    const out = settings.deploymentFile;
    const deployment = await deployDecai({
      rpcUrl,
      privateKey,
      params,
      stakeToken: values["stake-token"] as Address | undefined,
      paymentToken: values["payment-token"] as Address | undefined,
      governance: values.governance as Address | undefined,
      dao: values.dao as Address | undefined,
      onProgress: (line) => output.err(line),
    });
    if (existsSync(out)) output.err(`replacing the deployment file ${out}`);
    // The RPC URL travels with the addresses, so later commands need neither flag.
    saveDeployment(out, { ...deployment, rpcUrl } as typeof deployment);
    if (settings.json) {
      printJson(output, { deploymentFile: out, rpcUrl, ...deployment });
    } else {
      output.out(`Deployed Decai on chain ${deployment.chainId}; addresses written to ${out}`);
      for (const [name, address] of Object.entries(deployment.contracts))
        output.out(`  ${name.padEnd(16)} ${address}`);
    }
    return 0;
  },
};

/** `--param name=value` flags as a partial DecaiParams, typed like the defaults. */
function parseParams(specs: string[]): Partial<DecaiParams> {
  const params: Record<string, number | bigint> = {};
  for (const spec of specs) {
    const at = spec.indexOf("=");
    const name = spec.slice(0, at);
    const raw = spec.slice(at + 1).trim();
    if (at <= 0 || !(name in DEFAULT_PARAMS)) {
      throw new UsageError(
        `--param "${spec}" is not name=value with a known name; the names are: ${Object.keys(DEFAULT_PARAMS).join(", ")}`,
      );
    }
    const bigintParam = typeof DEFAULT_PARAMS[name as keyof DecaiParams] === "bigint";
    if (raw === "max" && bigintParam) {
      params[name] = maxUint256;
    } else if (/^\d+$/.test(raw) && (bigintParam || Number.isSafeInteger(Number(raw)))) {
      params[name] = bigintParam ? BigInt(raw) : Number(raw);
    } else {
      throw new UsageError(
        `--param ${name} must be a non-negative integer${bigintParam ? ' or "max"' : ""}, got "${raw}"`,
      );
    }
  }
  return params as Partial<DecaiParams>;
}
