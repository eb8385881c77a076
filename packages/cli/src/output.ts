import { ChainError } from "@decai/chain";

/** Where a command writes: human progress goes to stderr, results to stdout (so `--json` pipes cleanly). */
export type Output = { out: (line: string) => void; err: (line: string) => void };

/**
 * Writes to the process's stdout and stderr.
 *
 * @example
 * await main(["status"], processOutput);
 */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * An input error the user can fix; printed as one line with the fix, exit code 2.
 *
 * @example
 * throw new UsageError("--port must be a number (see `decai relayminer start --help`)");
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Prints `value` as one JSON line on stdout, bigints as decimal strings.
 *
 * @example
 * printJson(output, { stake: 100n }); // {"stake":"100"}
 */
export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

/**
 * Turns any error into the one line a user sees, and the exit code.
 *
 * @example
 * const code = reportError(error, processOutput);
 */
export function reportError(error: unknown, output: Output): number {
  if (error instanceof ChainError) {
    output.err(`decai: ${error.message}. ${capitalize(error.hint)}.`);
    return 1;
  }
  if (error instanceof UsageError) {
    output.err(`decai: ${error.message}`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.err(`decai: unexpected error: ${message}`);
  if (process.env.DECAI_DEBUG && error instanceof Error) output.err(error.stack ?? "");
  return 1;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
