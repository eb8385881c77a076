import { keysOptions, runKeysCommand } from "@decai/gateway";
import type { Command } from "../../command.js";

// The gateway's own `keys` flags, less --help (which `decai` answers itself).
const { help: _help, ...options } = keysOptions;

/** Rebuilds the argv of the gateway's own `keys` CLI from parsed values. */
function argvOf(positionals: string[], values: Record<string, unknown>): string[] {
  const argv = [...positionals];
  for (const [flag, value] of Object.entries(values)) {
    if (value === true) argv.push(`--${flag}`);
    else if (typeof value === "string") argv.push(`--${flag}`, value);
  }
  return argv;
}

const help = (verb: string, usage: string) => `Usage: decai gateway ${verb} ${usage}

Talks to a running gateway's admin API: --url (env DECAI_GATEWAY_URL, default http://127.0.0.1:8080), the admin
token from DECAI_GATEWAY_ADMIN_TOKEN (never a flag). API keys are stored hashed; \`create\` prints a key once.

Commands:
  keys create [--name N] [limits]        create a key
  keys list                              keys with their spend this period
  keys show <id> | keys revoke <id>      one key; revoke it for good
  keys update <id> [--name N] [limits]   change limits ("none" removes one)
  usage [--key ID] [--since T] [--until T] [--limit N]   the usage log, newest first

Limits: --cost-budget N (payment-token base units), --token-budget N, --period day|month|none, --rpm N, --tpm N,
        --models a,b ("all" for every model). Add --json for JSON.`;

/**
 * `decai gateway keys …`: create, list, show, update and revoke a gateway's API keys.
 *
 * @example
 * await main(["gateway", "keys", "create", "--name", "acme", "--rpm", "60", "--json"]);
 */
export const gatewayKeysCommand: Command<typeof options> = {
  name: "gateway keys",
  summary: "create, list, show, update and revoke API keys of a running gateway",
  help: help("keys", "<create|list|show|update|revoke> [id] [options]"),
  options,
  async run(values, positionals, output, runtime) {
    return runKeysCommand(argvOf(positionals, values), {
      out: output.out,
      err: output.err,
      env: runtime.env,
    });
  },
};

/**
 * `decai gateway usage`: a running gateway's usage log.
 *
 * @example
 * await main(["gateway", "usage", "--limit", "20", "--json"]);
 */
export const gatewayUsageCommand: Command<typeof options> = {
  name: "gateway usage",
  summary: "the usage log of a running gateway (key, model, supplier, tokens, latency, cost)",
  help: help("usage", "[--key ID] [--since T] [--until T] [--limit N] [--json]"),
  options,
  async run(values, positionals, output, runtime) {
    return runKeysCommand(argvOf(["usage", ...positionals], values), {
      out: output.out,
      err: output.err,
      env: runtime.env,
    });
  },
};
