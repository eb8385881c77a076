import { readNetworkStatus, selectSource } from "@decai/chain";
import { openChain } from "../../chain/context.js";
import { signerAddress } from "../../chain/signer.js";
import { balanceOf } from "../../chain/tokens.js";
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
service (\`--json\`: per session too), read from the chain's events as \`decai status\` and the dashboard
read them. The address defaults to your key's (no passphrase needed).

${CHAIN_OPTIONS_HELP}

Example:
  decai source earnings --key source`,
  options,
  async run(values, positionals, output, runtime) {
    const [given] = positionalArgs(positionals, this, [], ["[address]"]);
    const { settings, conn } = await openChain(values, runtime);
    const source = addressArg(given, signerAddress(settings, runtime), this.name);
    // The source's page of the network status: the numbers `decai status` and the dashboard show.
    const status = await readNetworkStatus(conn);
    const detail = selectSource(status, source);
    const { tokens } = status;
    const owned = detail.services.filter((s) => s.owned);
    const balance = await balanceOf(conn.client, tokens.payment, source);
    if (settings.json) {
      printJson(output, {
        source,
        // Its services now, and those it handed on but was paid for, each with its earnings per session.
        services: owned,
        formerServices: detail.services.filter((s) => !s.owned),
        earned: detail.earned,
        earnedByService: Object.fromEntries(detail.services.map((s) => [s.name, s.earned])),
        settledClaims: detail.settledClaims,
        paymentToken: tokens.payment,
        balance,
        earnings: detail.earnings,
      });
      return 0;
    }
    output.out(`Source ${source}`);
    output.out(
      `  services   ${owned.length ? owned.map((s) => `${s.name} (${s.sourceShareBps / 100}%)`).join(", ") : "none"}`,
    );
    output.out(
      `  earned     ${formatAmount(detail.earned, tokens.payment)} from ${detail.settledClaims} settled claim(s)`,
    );
    for (const s of detail.services) {
      const from = s.settledClaims ? ` from ${s.settledClaims} claim(s)` : "";
      const former = s.owned ? "" : " (no longer yours)";
      output.out(`    ${s.name.padEnd(24)} ${formatAmount(s.earned, tokens.payment)}${from}${former}`);
    }
    output.out(`  balance    ${formatAmount(balance, tokens.payment)}`);
    return 0;
  },
};
