import { type Command, positionalArgs } from "../../command.js";
import { resolveSettings } from "../../config/settings.js";
import { Keystore } from "../../keys/keystore.js";
import { printJson } from "../../output.js";

const options = {
  keystore: { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

/**
 * `decai keys list`: names and addresses; keys are never printed.
 *
 * @example
 * await main(["keys", "list"]);
 */
export const keysListCommand: Command<typeof options> = {
  name: "keys list",
  summary: "list the keystore's keys (names and addresses)",
  help: `Usage: decai keys list [options]

Lists the keys in the keystore: name, address and file. Needs no passphrase (addresses are stored in the
clear) and never prints a private key: there is no export.

Options:
  --keystore <dir>   keystore directory (env DECAI_KEYSTORE_DIR; default .decai/keys)
  --config <file>    config file with a "keystore" default (default .decai/config.json)
  --json             print [{"name","address","file"}] on stdout
  -h, --help         show this help`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const settings = resolveSettings(values, runtime);
    const keys = new Keystore(settings.keystoreDir).list();
    if (settings.json) {
      printJson(output, keys);
    } else if (keys.length === 0) {
      output.out(`No keys in ${settings.keystoreDir}. Create one with \`decai keys create <name>\`.`);
    } else {
      for (const k of keys) output.out(`${k.name.padEnd(20)} ${k.address}`);
    }
    return 0;
  },
};
