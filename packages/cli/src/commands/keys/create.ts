import { generatePrivateKey } from "viem/accounts";
import { type Command, positionalArgs } from "../../command.js";
import { resolveSettings } from "../../config/settings.js";
import { checkKeyName, Keystore } from "../../keys/keystore.js";
import { readPassphrase } from "../../keys/passphrase.js";
import { printJson, UsageError } from "../../output.js";

const options = {
  keystore: { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

/**
 * `decai keys create <name>`: a new random key, encrypted into the keystore.
 *
 * @example
 * await main(["keys", "create", "supplier"]);
 */
export const keysCreateCommand: Command<typeof options> = {
  name: "keys create",
  summary: "create a new key, encrypted with a passphrase",
  help: `Usage: decai keys create <name> [options]

Generates a new private key and stores it encrypted (scrypt + aes-256-gcm) in <keystore>/<name>.json,
readable by you only. Prints the name and address, never the key. Use it with \`--key <name>\`.

The passphrase comes from DECAI_KEYSTORE_PASSPHRASE, or is asked twice on the terminal.

Options:
  --keystore <dir>   keystore directory (env DECAI_KEYSTORE_DIR; default .decai/keys)
  --config <file>    config file with a "keystore" default (default .decai/config.json)
  --json             print {"name","address","file"} on stdout
  -h, --help         show this help

Example:
  decai keys create supplier`,
  options,
  async run(values, positionals, output, runtime) {
    const [name] = positionalArgs(positionals, this, ["<name>"]) as [string];
    checkKeyName(name);
    const settings = resolveSettings(values, runtime);
    const keystore = new Keystore(settings.keystoreDir);
    if (keystore.has(name)) {
      throw new UsageError(
        `a key named "${name}" already exists (${keystore.file(name)}); pick another name`,
      );
    }
    const passphrase = await readPassphrase(runtime, { key: name, confirm: true });
    output.err(`encrypting key "${name}"...`);
    const entry = keystore.save(name, generatePrivateKey(), passphrase);
    if (settings.json) printJson(output, entry);
    else output.out(`Created key "${entry.name}" with address ${entry.address} (${entry.file})`);
    return 0;
  },
};
