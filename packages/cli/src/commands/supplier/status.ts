import { readNetworkStatus, readSupplier, selectSupplier } from "@decai/chain";
import { openChain } from "../../chain/context.js";
import { signerAddress } from "../../chain/signer.js";
import { balanceOf } from "../../chain/tokens.js";
import { addressArg, type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";
import { pausedFrom } from "./relayminerControl.js";

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

Shows a supplier's stake (and unbonding or pause), the services it serves with their endpoints, its claims and
what it earned from settled ones. The address defaults to your key's (no passphrase needed).

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    const [given] = positionalArgs(positionals, this, [], ["[address]"]);
    const { settings, conn } = await openChain(values, runtime);
    const who = addressArg(given, signerAddress(settings, runtime), this.name);
    // The supplier's page of the network status: the numbers `decai status` and the dashboard show.
    const [status, paused] = await Promise.all([readNetworkStatus(conn), pausedFrom(conn, who)]);
    const detail = selectSupplier(status, who);
    // The status lists staked suppliers only; one that unstaked may still be unbonding, so read its record.
    const supplier = detail.staked ? detail : await readSupplier(conn, who);
    const { tokens } = status;
    const claims = [...detail.claims].reverse(); // oldest first, as `decai status` lists them
    const balance = await balanceOf(conn.client, tokens.payment, who);
    if (settings.json) {
      printJson(output, {
        address: supplier.address,
        stake: supplier.stake,
        ...(supplier.withdrawableFromSession !== undefined
          ? { withdrawableFromSession: supplier.withdrawableFromSession }
          : {}),
        services: supplier.services,
        session: status.session,
        ...(paused ? { pausedFromSession: paused } : {}),
        claims,
        earned: detail.earned,
        balance,
        sessionsServed: detail.sessionsServed,
        relaysMined: detail.relaysMined,
        computeUnits: detail.computeUnits,
        claimCounts: detail.claimCounts,
        earnings: detail.earnings,
      });
      return 0;
    }
    output.out(`Supplier ${who} (session ${status.session}, block ${status.block})`);
    output.out(
      `  stake      ${formatAmount(supplier.stake, tokens.stake)}${supplier.withdrawableFromSession !== undefined ? `, unbonding: withdrawable from session ${supplier.withdrawableFromSession}` : ""}`,
    );
    if (paused) {
      output.out(
        `  paused     out of the draw from session ${paused} (\`decai supplier resume\` to come back)`,
      );
    }
    if (supplier.services.length === 0) output.out("  services   none");
    for (const s of supplier.services) {
      const until = s.untilSession !== undefined ? ` until session ${s.untilSession}` : "";
      output.out(`  service    ${s.name} at ${s.endpoint} (from session ${s.fromSession}${until})`);
    }
    const counts = detail.claimCounts;
    const open = counts.claimed + counts["proof required"] + counts.proven;
    output.out(
      `  claims     ${claims.length} (${open} pending, ${counts.settled} settled, ${counts.void} void)`,
    );
    output.out(
      `  work       ${detail.sessionsServed} session(s), ${detail.relaysMined} relays mined, ${detail.computeUnits} compute units`,
    );
    output.out(
      `  earned     ${formatAmount(detail.earned, tokens.payment)}; balance ${formatAmount(balance, tokens.payment)}`,
    );
    return 0;
  },
};
