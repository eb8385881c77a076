import { openChain } from "../../chain/context.js";
import { readLedger } from "../../chain/ledger.js";
import { readSession, readSupplier } from "../../chain/network.js";
import { signerAddress } from "../../chain/signer.js";
import { balanceOf, deploymentTokens } from "../../chain/tokens.js";
import { addressArg, type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai supplier status [address]`: stake, services, claims and earnings of one supplier.
 *
 * @example
 * await main(["supplier", "status", supplierAddress, "--json"]);
 */
export const supplierStatusCommand: Command<typeof options> = {
  name: "supplier status",
  summary: "a supplier's stake, services, claims and earnings",
  help: `Usage: decai supplier status [address] [options]

Shows a supplier's stake (and unbonding), the services it serves with their endpoints, its claims and
what it earned from settled ones. The address defaults to your key's (no passphrase needed).

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    const [given] = positionalArgs(positionals, this, [], ["[address]"]);
    const { settings, conn } = await openChain(values, runtime);
    const who = addressArg(given, signerAddress(settings, runtime), this.name);
    const [supplier, ledger, tokens, now] = await Promise.all([
      readSupplier(conn, who),
      readLedger(conn),
      deploymentTokens(conn),
      readSession(conn),
    ]);
    const mine = (a: string) => a.toLowerCase() === who.toLowerCase();
    const claims = ledger.claims.filter((c) => mine(c.supplier));
    const earned = ledger.payments
      .filter((p) => mine(p.supplier))
      .reduce((sum, p) => sum + p.supplierAmount, 0n);
    const balance = await balanceOf(conn.client, tokens.payment, who);
    if (settings.json) {
      printJson(output, { ...supplier, session: now.session, claims, earned, balance });
      return 0;
    }
    output.out(`Supplier ${who} (session ${now.session}, block ${now.block})`);
    output.out(
      `  stake      ${formatAmount(supplier.stake, tokens.stake)}${supplier.withdrawableFromSession !== undefined ? `, unbonding: withdrawable from session ${supplier.withdrawableFromSession}` : ""}`,
    );
    if (supplier.services.length === 0) output.out("  services   none");
    for (const s of supplier.services) {
      const until = s.untilSession !== undefined ? ` until session ${s.untilSession}` : "";
      output.out(`  service    ${s.name} at ${s.endpoint} (from session ${s.fromSession}${until})`);
    }
    const open = claims.filter((c) => c.state === "claimed" || c.state === "proven").length;
    output.out(`  claims     ${claims.length} (${open} pending)`);
    output.out(
      `  earned     ${formatAmount(earned, tokens.payment)}; balance ${formatAmount(balance, tokens.payment)}`,
    );
    return 0;
  },
};
