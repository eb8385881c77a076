import { checkedKey } from "../../chain/signer.js";
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
 * `decai keys import <name>`: an existing key, read from stdin or the environment, never from a flag.
 *
 * @example
 * await main(["keys", "import", "deployer"] // key on stdin or in DECAI_PRIVATE_KEY);
 */
export const keysImportCommand: Command<typeof options> = {
  name: "keys import",
  summary: "import an existing private key (from stdin or DECAI_PRIVATE_KEY)",
  help: `Usage: decai keys import <name> [options]

Encrypts an existing private key into the keystore as <name>. The key is read from DECAI_PRIVATE_KEY,
else from stdin (piped, or typed without echo on a terminal); never from a flag, which other users
could see in \`ps\`. The passphrase comes from DECAI_KEYSTORE_PASSPHRASE, or is asked on the terminal.

Options:
  --keystore <dir>   keystore directory (env DECAI_KEYSTORE_DIR; default .decai/keys)
  --config <file>    config file with a "keystore" default (default .decai/config.json)
  --json             print {"name","address","file"} on stdout
  -h, --help         show this help

Examples:
  decai keys import deployer < deployer.key
  DECAI_PRIVATE_KEY=0x... DECAI_KEYSTORE_PASSPHRASE=... decai keys import ci`,
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
    let raw: string;
    let from: string;
    if (runtime.env.DECAI_PRIVATE_KEY) {
      raw = runtime.env.DECAI_PRIVATE_KEY;
      from = "DECAI_PRIVATE_KEY";
    } else if (runtime.interactive) {
      raw = await runtime.promptSecret("Private key (0x...): ");
      from = "the prompt";
    } else {
      raw = await runtime.readStdin();
      from = "stdin";
    }
    if (raw.trim() === "") {
      throw new UsageError(
        "no key to import: pipe it on stdin (decai keys import <name> < file) or set DECAI_PRIVATE_KEY",
      );
    }
    const key = checkedKey(raw.trim(), from);
    const passphrase = await readPassphrase(runtime, { key: name, confirm: true });
    const entry = keystore.save(name, key, passphrase);
    if (settings.json) printJson(output, entry);
    else output.out(`Imported key "${entry.name}" with address ${entry.address} (${entry.file})`);
    return 0;
  },
};
