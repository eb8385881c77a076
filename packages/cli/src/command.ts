import { type ParseArgsConfig, parseArgs } from "node:util";
import { type Output, UsageError } from "./output.js";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** One `decai` verb: its help text, its flags, and what it does. */
export type Command<O extends OptionsConfig = OptionsConfig> = {
  name: string;
  summary: string;
  /** Full `--help` text (usage line, options, examples). */
  help: string;
  options: O;
  run: (values: ParsedValues<O>, positionals: string[], output: Output) => Promise<number>;
};

export type ParsedValues<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true }>
>["values"];

/**
 * Parses `argv` for `command` (rejecting unknown flags with a pointer to `--help`) and runs it.
 *
 * @example
 * const code = await runCommand(deployCommand, ["--rpc-url", url], processOutput);
 */
export async function runCommand<O extends OptionsConfig>(
  command: Command<O>,
  argv: string[],
  output: Output,
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
  return command.run(parsed.values, parsed.positionals, output);
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
