import { type Command, runCommand } from "./command.js";
import { deployCommand } from "./commands/deploy.js";
import { devnetCommand } from "./commands/devnet.js";
import { type Output, processOutput, reportError, UsageError } from "./output.js";

// biome-ignore lint/suspicious/noExplicitAny: commands differ in their option types
const commands: Command<any>[] = [devnetCommand, deployCommand];

const HELP = `Usage: decai <command> [options]

Decai: a permissionless network for LLM inference.

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Run \`decai <command> --help\` for a command's options.`;

/**
 * Runs the `decai` CLI with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * process.exitCode = await main(["devnet", "--port", "0"]);
 */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    output.out(HELP);
    return 0;
  }
  try {
    const command = commands.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" (run \`decai --help\` to list commands)`);
    return await runCommand(command, rest, output);
  } catch (error) {
    return reportError(error, output);
  }
}
