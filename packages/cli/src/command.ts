import { type ParseArgsConfig, parseArgs } from "node:util";
import { type Address, isAddress } from "viem";
import { type Output, UsageError } from "./output.js";
import type { Runtime } from "./runtime.js";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** One `decai` verb: its help text, its flags, and what it does. */
export type Command<O extends OptionsConfig = OptionsConfig> = {
  /** The words that call it, e.g. `"supplier stake"`. */
  name: string;
  summary: string;
  /** Full `--help` text (usage line, options, examples). */
  help: string;
  options: O;
  run: (values: ParsedValues<O>, positionals: string[], output: Output, runtime: Runtime) => Promise<number>;
};

/** A verb group, e.g. `decai supplier stake|unstake|withdraw|status`. */
export type CommandGroup = {
  name: string;
  summary: string;
  /** A paragraph on what the group is for; the verbs are listed after it. */
  description: string;
  // biome-ignore lint/suspicious/noExplicitAny: verbs differ in their option types
  commands: Command<any>[];
};

export type ParsedValues<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true }>
>["values"];

/**
 * Parses `argv` for `command` (rejecting unknown flags with a pointer to `--help`) and runs it.
 *
 * @example
 * const code = await runCommand(deployCommand, ["--rpc-url", url], processOutput, processRuntime);
 */
export async function runCommand<O extends OptionsConfig>(
  command: Command<O>,
  argv: string[],
  output: Output,
  runtime: Runtime,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    output.out(command.help);
    return 0;
  }
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.split("\n")[0]} (see \`decai ${command.name} --help\`)`);
  }
  return command.run(parsed.values, parsed.positionals, output, runtime);
}

/**
 * The help text of a group: its description and one line per verb.
 *
 * @example
 * output.out(groupHelp(supplierGroup));
 */
export function groupHelp(group: CommandGroup): string {
  const verbs = group.commands.map((c) => `  ${c.name.slice(group.name.length + 1).padEnd(12)} ${c.summary}`);
  return `Usage: decai ${group.name} <verb> [options]

${group.description}

Verbs:
${verbs.join("\n")}

Run \`decai ${group.name} <verb> --help\` for a verb's options.`;
}

/**
 * Checks the number of positional arguments, naming what is missing or extra.
 *
 * @example
 * const [name] = positionalArgs(positionals, command, ["<name>"]);
 */
export function positionalArgs(
  positionals: string[],
  command: { name: string },
  required: string[],
  optional: string[] = [],
): (string | undefined)[] {
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).join(" ");
    throw new UsageError(`missing ${missing} (see \`decai ${command.name} --help\`)`);
  }
  if (positionals.length > required.length + optional.length) {
    const extra = positionals.slice(required.length + optional.length).join(" ");
    throw new UsageError(`unexpected argument "${extra}" (see \`decai ${command.name} --help\`)`);
  }
  return positionals;
}

/**
 * Reads a numeric flag, rejecting anything that is not a non-negative number.
 *
 * @example
 * const port = numberOption(values.port, "--port", 8545);
 */
export function numberOption(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${flag} must be a non-negative number, got "${raw}"`);
  }
  return value;
}

/**
 * Reads an integer flag in [min, max].
 *
 * @example
 * const bps = integerOption(values["share-bps"], "--share-bps", 1000, { max: 5000 });
 */
export function integerOption(
  raw: string | undefined,
  flag: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * The address a read-only verb reports on: the argument, else the key's address.
 *
 * @example
 * const who = addressArg(positionals[0], signerAddress(settings, runtime), "supplier status");
 */
export function addressArg(
  given: string | undefined,
  fallback: Address | undefined,
  command: string,
): Address {
  if (given !== undefined) {
    if (!isAddress(given))
      throw new UsageError(`"${given}" is not an address (0x followed by 40 hex digits)`);
    return given;
  }
  if (fallback) return fallback;
  throw new UsageError(
    `give an address, or --key <name> / DECAI_PRIVATE_KEY (see \`decai ${command} --help\`)`,
  );
}
