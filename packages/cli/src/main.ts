import { type Command, type CommandGroup, groupHelp, runCommand } from "./command.js";
import { appDelegateCommand } from "./commands/app/delegate.js";
import { appStakeCommand } from "./commands/app/stake.js";
import { appStatusCommand } from "./commands/app/status.js";
import { appUndelegateCommand } from "./commands/app/undelegate.js";
import { appUnstakeCommand } from "./commands/app/unstake.js";
import { appWithdrawCommand } from "./commands/app/withdraw.js";
import { chainDeployCommand } from "./commands/chain/deploy.js";
import { dashboardCommand } from "./commands/dashboard.js";
import { devnetCommand } from "./commands/devnet.js";
import { faucetCommand } from "./commands/faucet.js";
import { gatewayEvidenceCommand } from "./commands/gateway/evidence.js";
import { gatewayKeysCommand, gatewayUsageCommand } from "./commands/gateway/keys.js";
import { gatewayStartCommand } from "./commands/gateway/start.js";
import { keysCreateCommand } from "./commands/keys/create.js";
import { keysImportCommand } from "./commands/keys/import.js";
import { keysListCommand } from "./commands/keys/list.js";
import { relayminerStartCommand } from "./commands/relayminer/start.js";
import { sourceEarningsCommand } from "./commands/source/earnings.js";
import { sourceRegisterCommand } from "./commands/source/register.js";
import { sourceUpdateCommand } from "./commands/source/update.js";
import { statusCommand } from "./commands/status.js";
import { supplierPauseCommand } from "./commands/supplier/pause.js";
import { supplierResumeCommand } from "./commands/supplier/resume.js";
import { supplierStakeCommand } from "./commands/supplier/stake.js";
import { supplierStatusCommand } from "./commands/supplier/status.js";
import { supplierUnstakeCommand } from "./commands/supplier/unstake.js";
import { supplierWithdrawCommand } from "./commands/supplier/withdraw.js";
import { type Output, processOutput, reportError, UsageError } from "./output.js";
import { processRuntime, type Runtime } from "./runtime.js";

// biome-ignore lint/suspicious/noExplicitAny: commands differ in their option types
type AnyCommand = Command<any>;

/** Single-word commands. */
const commands: AnyCommand[] = [devnetCommand, statusCommand, dashboardCommand, faucetCommand];

/** Verb groups, one per actor plus keys and chain. */
const groups: CommandGroup[] = [
  {
    name: "keys",
    summary: "create, import and list encrypted keys",
    description: `Keys live encrypted (scrypt + aes-256-gcm) in .decai/keys/<name>.json; every chain verb signs with
\`--key <name>\`, or with DECAI_PRIVATE_KEY from the environment (CI). The passphrase comes from
DECAI_KEYSTORE_PASSPHRASE or a prompt. Keys are never printed.`,
    commands: [keysCreateCommand, keysImportCommand, keysListCommand],
  },
  {
    name: "chain",
    summary: "deploy the contracts to any EVM chain",
    description: "Deploys Decai to a chain and writes the deployment file that every other command reads.",
    commands: [chainDeployCommand],
  },
  {
    name: "source",
    summary: "publish models as services and follow their earnings",
    description: "A source registers a service (one model) and earns a share of every settled claim on it.",
    commands: [sourceRegisterCommand, sourceUpdateCommand, sourceEarningsCommand],
  },
  {
    name: "supplier",
    summary: "stake, declare services, pause and resume, unstake and withdraw as a supplier",
    description: `A supplier stakes, declares the services it serves and where its RelayMiner listens, and earns the
rest of each settled claim. Run the RelayMiner with \`decai relayminer start\`.`,
    commands: [
      supplierStakeCommand,
      supplierPauseCommand,
      supplierResumeCommand,
      supplierUnstakeCommand,
      supplierWithdrawCommand,
      supplierStatusCommand,
    ],
  },
  {
    name: "relayminer",
    summary: "run the supplier's RelayMiner",
    description:
      "The RelayMiner serves relays in front of an LLM backend and claims, proves and settles them.",
    commands: [relayminerStartCommand],
  },
  {
    name: "gateway",
    summary: "run a gateway (OpenAI-compatible API over the network) and manage its API keys",
    description: `A gateway stakes, is delegated to by applications, and sells the network through an OpenAI-compatible
API with API keys, budgets and usage logs.`,
    commands: [gatewayStartCommand, gatewayKeysCommand, gatewayUsageCommand, gatewayEvidenceCommand],
  },
  {
    name: "app",
    summary: "escrow, delegate to gateways, unstake and withdraw as an application",
    description: `An application escrows payment tokens, picks services, and either signs its relays itself or delegates
to gateways that sign for it. Settled claims are paid out of its escrow.`,
    commands: [
      appStakeCommand,
      appDelegateCommand,
      appUndelegateCommand,
      appUnstakeCommand,
      appWithdrawCommand,
      appStatusCommand,
    ],
  },
];

/** Old names kept working. */
const aliases: Record<string, AnyCommand> = { deploy: chainDeployCommand };

const HELP = `Usage: decai <command> [options]
       decai <group> <verb> [options]

Decai: a permissionless network for LLM inference.

Commands:
${commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join("\n")}
  ${"deploy".padEnd(12)} same as \`decai chain deploy\`

Groups:
${groups.map((g) => `  ${g.name.padEnd(12)} ${g.summary} (${g.commands.map((c) => c.name.split(" ")[1]).join(", ")})`).join("\n")}

Run \`decai <command> --help\` or \`decai <group> <verb> --help\` for options.
Operator quick start: decai chain deploy, decai keys create <name>, decai source register,
decai supplier stake, decai relayminer start, decai app stake, decai status.`;

/**
 * Runs the `decai` CLI with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * process.exitCode = await main(["supplier", "status", "--json"]);
 */
export async function main(
  argv: string[],
  output: Output = processOutput,
  runtime: Runtime = processRuntime,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    output.out(HELP);
    return 0;
  }
  try {
    const command = commands.find((c) => c.name === name) ?? aliases[name];
    if (command) return await runCommand(command, rest, output, runtime);
    const group = groups.find((g) => g.name === name);
    if (!group) throw new UsageError(`unknown command "${name}" (run \`decai --help\` to list commands)`);
    const [verb, ...args] = rest;
    if (verb === "--help" || verb === "-h" || verb === "help") {
      output.out(groupHelp(group));
      return 0;
    }
    if (verb === undefined) {
      output.err(groupHelp(group)); // a verb is missing: the help is the error message
      return 2;
    }
    const sub = group.commands.find((c) => c.name === `${group.name} ${verb}`);
    if (!sub) {
      const verbs = group.commands.map((c) => c.name.split(" ")[1]).join(", ");
      throw new UsageError(`unknown verb "${verb}" for \`decai ${group.name}\`: use one of ${verbs}`);
    }
    return await runCommand(sub, args, output, runtime);
  } catch (error) {
    return reportError(error, output);
  }
}
