import { openChain } from "../../chain/context.js";
import { readLedger } from "../../chain/ledger.js";
import { readServices } from "../../chain/network.js";
import { serviceName } from "../../chain/revert.js";
import { signerAddress } from "../../chain/signer.js";
import { balanceOf, deploymentTokens } from "../../chain/tokens.js";
import { addressArg, type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai source earnings [address]`: what a source earned from settled claims, per service.
 *
 * @example
 * await main(["source", "earnings", "--key", "source", "--json"]);
 */
export const sourceEarningsCommand: Command<typeof options> = {
  name: "source earnings",
  summary: "what a source earned from settled claims on its services",
  help: `Usage: decai source earnings [address] [options]

Shows the services a source owns and what it earned from settled claims on them, in total and per
service, read from the chain's events. The address defaults to your key's (no passphrase needed).

${CHAIN_OPTIONS_HELP}

Example:
  decai source earnings --key source`,
  options,
  async run(values, positionals, output, runtime) {
    const [given] = positionalArgs(positionals, this, [], ["[address]"]);
    const { settings, conn } = await openChain(values, runtime);
    const source = addressArg(given, signerAddress(settings, runtime), this.name);
    const [services, ledger, tokens] = await Promise.all([
      readServices(conn),
      readLedger(conn),
      deploymentTokens(conn),
    ]);
    const owned = services.filter((s) => s.source.toLowerCase() === source.toLowerCase());
    const paid = ledger.payments.filter((p) => p.source.toLowerCase() === source.toLowerCase());
    const byService = new Map<string, bigint>();
    for (const p of paid) {
      const name = p.serviceId ? serviceName(p.serviceId) : "(unknown)";
      byService.set(name, (byService.get(name) ?? 0n) + p.sourceAmount);
    }
    const total = paid.reduce((sum, p) => sum + p.sourceAmount, 0n);
    const balance = await balanceOf(conn.client, tokens.payment, source);
    if (settings.json) {
      printJson(output, {
        source,
        services: owned.map((s) => ({ name: s.name, id: s.id, sourceShareBps: s.sourceShareBps })),
        earned: total,
        earnedByService: Object.fromEntries(byService),
        settledClaims: paid.length,
        paymentToken: tokens.payment,
        balance,
      });
      return 0;
    }
    output.out(`Source ${source}`);
    output.out(
      `  services   ${owned.length ? owned.map((s) => `${s.name} (${s.sourceShareBps / 100}%)`).join(", ") : "none"}`,
    );
    output.out(`  earned     ${formatAmount(total, tokens.payment)} from ${paid.length} settled claim(s)`);
    for (const [name, amount] of byService)
      output.out(`    ${name.padEnd(24)} ${formatAmount(amount, tokens.payment)}`);
    output.out(`  balance    ${formatAmount(balance, tokens.payment)}`);
    return 0;
  },
};
