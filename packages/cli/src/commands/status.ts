import { readNetworkStatus, type ServiceView, serviceName } from "@decai/chain";
import { openChain } from "../chain/context.js";
import { type Command, positionalArgs } from "../command.js";
import { formatAmount } from "../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../config/settings.js";
import { printJson } from "../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai status`: the whole network as the chain sees it.
 *
 * @example
 * await main(["status", "--json"]);
 */
export const statusCommand: Command<typeof options> = {
  name: "status",
  summary: "the network: session, services, suppliers, applications, claims, earnings",
  help: `Usage: decai status [options]

Shows the network as the chain sees it: current block and session, services with the suppliers that
serve them (and their endpoints), suppliers' stakes, applications' escrows and delegations, pending and
settled claims, and what suppliers and sources earned and applications spent. Reads contracts and their
events since the deployment block; needs no key. \`--json\` adds what \`decai dashboard\` shows besides:
each claim's stage, payments per session, difficulty per service and the latest protocol events.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { settings, conn } = await openChain(values, runtime);
    const status = await readNetworkStatus(conn);
    // The dashboard shows this same status (one library: @decai/chain's readNetworkStatus).
    const { tokens, services, suppliers, applications, sources, dao } = status;
    const pending = status.claims.filter((c) => c.state === "claimed" || c.state === "proven");
    const count = (state: string) => status.claims.filter((c) => c.state === state).length;

    if (settings.json) {
      printJson(output, { ...status, rpcUrl: conn.rpcUrl, deploymentFile: conn.deploymentFile });
      return 0;
    }
    const pay = (v: bigint) => formatAmount(v, tokens.payment);
    output.out(
      `Decai on chain ${conn.deployment.chainId} (${conn.rpcUrl}): block ${status.block}, session ${status.session} (blocks ${status.startBlock}-${status.endBlock})`,
    );
    output.out(`\nServices (${services.length})`);
    for (const s of services) {
      output.out(
        `  ${s.name} (${tierLabel(s)}): model ${s.modelName}, source ${s.source} (${s.sourceShareBps / 100}%)`,
      );
      if (s.suppliers.length === 0) output.out("    no suppliers");
      for (const e of s.suppliers) {
        const when = e.fromSession > status.session ? ` from session ${e.fromSession}` : "";
        const until = e.untilSession !== undefined ? ` until session ${e.untilSession}` : "";
        output.out(`    supplier ${e.supplier} at ${e.endpoint}${when}${until}`);
      }
    }
    output.out(`\nSuppliers (${suppliers.length})`);
    for (const s of suppliers) {
      output.out(`  ${s.address}  stake ${formatAmount(s.stake, tokens.stake)}, earned ${pay(s.earned)}`);
    }
    output.out(`\nApplications (${applications.length})`);
    for (const a of applications) {
      const gateways = a.gateways.length ? `, gateways ${a.gateways.join(", ")}` : "";
      output.out(
        `  ${a.address}  escrow ${pay(a.escrow)}, spent ${pay(a.spent)}, services ${a.services.map((s) => s.name).join(", ") || "none"}${gateways}`,
      );
    }
    output.out(`\nClaims: ${pending.length} pending, ${count("settled")} settled, ${count("voided")} voided`);
    for (const c of pending) {
      output.out(
        `  ${c.state}: ${c.service} session ${c.session}, supplier ${c.supplier}, application ${c.application}: ${c.rootCount} relays, ${c.rootSum} CU`,
      );
    }
    output.out("\nEarnings");
    for (const s of sources) output.out(`  source ${s.address}  ${pay(s.earned)}`);
    output.out(`  DAO    ${dao.address}  ${pay(dao.earned)}`);
    return 0;
  },
};

/** "interactive", "interactive, batch tier tiny-llama.batch" or "batch tier of tiny-llama". */
function tierLabel(s: ServiceView): string {
  if (s.tier === "batch") return `batch tier of ${s.batchOf ? serviceName(s.batchOf) : "?"}`;
  return s.batchTier ? `interactive, batch tier ${serviceName(s.batchTier)}` : "interactive";
}
