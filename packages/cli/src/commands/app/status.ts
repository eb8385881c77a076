import { relayMiningAbi } from "@decai/chain";
import { openChain } from "../../chain/context.js";
import { readLedger } from "../../chain/ledger.js";
import { readApplication, readSession } from "../../chain/network.js";
import { signerAddress } from "../../chain/signer.js";
import { deploymentTokens } from "../../chain/tokens.js";
import { addressArg, type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai app status [address]`: escrow, services, delegations and spending of one application.
 *
 * @example
 * await main(["app", "status", "--key", "app", "--json"]);
 */
export const appStatusCommand: Command<typeof options> = {
  name: "app status",
  summary: "an application's escrow, services, gateways and spending",
  help: `Usage: decai app status [address] [options]

Shows an application's escrow (and unbonding), the services it uses, the gateways it delegates to, what
it spent on settled claims, and the most one supplier can be paid for serving it this session (the relay
meter's cap). The address defaults to your key's (no passphrase needed).

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    const [given] = positionalArgs(positionals, this, [], ["[address]"]);
    const { settings, conn } = await openChain(values, runtime);
    const who = addressArg(given, signerAddress(settings, runtime), this.name);
    const [app, ledger, tokens, now] = await Promise.all([
      readApplication(conn, who),
      readLedger(conn),
      deploymentTokens(conn),
      readSession(conn),
    ]);
    const mine = (a: string) => a.toLowerCase() === who.toLowerCase();
    const paid = ledger.payments.filter((p) => mine(p.application));
    const spent = paid.reduce((sum, p) => sum + p.supplierAmount + p.sourceAmount + p.daoAmount, 0n);
    const pending = ledger.claims.filter(
      (c) => mine(c.application) && (c.state === "claimed" || c.state === "proven"),
    );
    const capPerSupplier = await conn.client.readContract({
      address: conn.deployment.contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "maxPayablePerSupplier",
      args: [who, now.session],
    });
    if (settings.json) {
      printJson(output, {
        ...app,
        session: now.session,
        spent,
        settledClaims: paid.length,
        pendingClaims: pending,
        capPerSupplier,
      });
      return 0;
    }
    output.out(`Application ${who} (session ${now.session}, block ${now.block})`);
    output.out(
      `  escrow     ${formatAmount(app.escrow, tokens.payment)}${app.withdrawableFromSession !== undefined ? `, unbonding: withdrawable from session ${app.withdrawableFromSession}` : ""}`,
    );
    output.out(`  services   ${app.services.map((s) => s.name).join(", ") || "none"}`);
    output.out(`  gateways   ${app.gateways.join(", ") || "none (signs its own relays)"}`);
    output.out(
      `  spent      ${formatAmount(spent, tokens.payment)} on ${paid.length} settled claim(s); ${pending.length} pending`,
    );
    output.out(`  cap        ${formatAmount(capPerSupplier, tokens.payment)} per supplier this session`);
    return 0;
  },
};
