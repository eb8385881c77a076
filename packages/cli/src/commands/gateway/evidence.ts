import { evidenceOptions, runEvidenceCommand } from "@decai/gateway";
import type { Command } from "../../command.js";

// The gateway's own `evidence` flags, less --help (which `decai` answers itself).
const { help: _help, ...options } = evidenceOptions;

/**
 * `decai gateway evidence`: a running gateway's verification evidence as JSON lines (`--json`) or summaries.
 *
 * @example
 * await main(["gateway", "evidence", "--supplier", "0x…", "--json"]);
 */
export const gatewayEvidenceCommand: Command<typeof options> = {
  name: "gateway evidence",
  summary: "export a running gateway's verification evidence (failed checks with their signed relays)",
  help: `Usage: decai gateway evidence [--supplier ADDRESS] [--service NAME] [--limit N] [--json]

Exports the evidence a running gateway's verification stored, newest first: each failed check (usage audit,
prefill re-check, watcher, re-execution, replay, invalid receipt) with the relay request the gateway signed and
the response the supplier signed. --json prints one complete record per line (JSON lines, for export); without
it, one summary per line. Talks to the gateway at --url (env DECAI_GATEWAY_URL, default http://127.0.0.1:8080)
with the admin token from DECAI_GATEWAY_ADMIN_TOKEN (never a flag).

Options:
  --supplier ADDRESS  only this supplier's evidence
  --service NAME      only this service's evidence
  --limit N           at most N records (default 1000)
  --json              JSON lines

Example:
  DECAI_GATEWAY_ADMIN_TOKEN=secret decai gateway evidence --json > evidence.jsonl`,
  options,
  async run(values, _positionals, output, runtime) {
    const argv: string[] = [];
    for (const [flag, value] of Object.entries(values)) {
      if (value === true) argv.push(`--${flag}`);
      else if (typeof value === "string") argv.push(`--${flag}`, value);
    }
    return runEvidenceCommand(argv, { out: output.out, err: output.err, env: runtime.env });
  },
};
