import { UsageError } from "../output.js";
import type { Runtime } from "../runtime.js";

/** The environment variable that holds the keystore passphrase (for CI and scripts). */
export const PASSPHRASE_ENV = "DECAI_KEYSTORE_PASSPHRASE";

const MIN_LENGTH = 8;

/**
 * The keystore passphrase: `DECAI_KEYSTORE_PASSPHRASE`, else asked on the terminal (twice when creating a key).
 * Without either, a UsageError says how to provide it.
 *
 * @example
 * const passphrase = await readPassphrase(runtime, { key: "supplier", confirm: true });
 */
export async function readPassphrase(
  runtime: Runtime,
  { key, confirm = false }: { key: string; confirm?: boolean },
): Promise<string> {
  const fromEnv = runtime.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return checked(fromEnv, confirm, `${PASSPHRASE_ENV}`);
  if (!runtime.interactive) {
    throw new UsageError(
      `key "${key}" needs the keystore passphrase: set ${PASSPHRASE_ENV}, or run in a terminal to be asked for it`,
    );
  }
  const first = await runtime.promptSecret(`Passphrase for key "${key}": `);
  if (!confirm) return first;
  checked(first, true, "the passphrase");
  const again = await runtime.promptSecret("Repeat the passphrase: ");
  if (again !== first) throw new UsageError("the two passphrases differ; run the command again");
  return first;
}

function checked(passphrase: string, creating: boolean, where: string): string {
  if (creating && passphrase.length < MIN_LENGTH) {
    throw new UsageError(`${where} is too short: use at least ${MIN_LENGTH} characters to encrypt a key`);
  }
  return passphrase;
}
