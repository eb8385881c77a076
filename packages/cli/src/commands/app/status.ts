import { readApplication, readNetworkStatus, relayMiningAbi, selectApplication } from "@decai/chain";
import { openChain } from "../../chain/context.js";
import { signerAddress } from "../../chain/signer.js";
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
    // The application's part of the network status: the numbers `decai status` and the dashboard show.
    const status = await readNetworkStatus(conn);
    const detail = selectApplication(status, who);
    // The status lists applications with an escrow or a payment; read the record of any other one.
    const app = detail.staked ? detail : await readApplication(conn, who);
    const { tokens } = status;
    const claims = [...detail.claims].reverse(); // oldest first, as `decai status` lists them
    const pending = claims.filter((c) => c.state === "claimed" || c.state === "proven");
    const capPerSupplier = await conn.client.readContract({
      address: conn.deployment.contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "maxPayablePerSupplier",
      args: [who, status.session],
      blockNumber: status.block,
    });
    if (settings.json) {
      printJson(output, {
        address: app.address,
        escrow: app.escrow,
        ...(app.withdrawableFromSession !== undefined
          ? { withdrawableFromSession: app.withdrawableFromSession }
          : {}),
        services: app.services,
        gateways: app.gateways,
        session: status.session,
        spent: detail.spent,
        settledClaims: detail.settledClaims,
        pendingClaims: pending,
        capPerSupplier,
        claimCounts: detail.claimCounts,
        spending: detail.spending,
      });
      return 0;
    }
    output.out(`Application ${who} (session ${status.session}, block ${status.block})`);
    output.out(
      `  escrow     ${formatAmount(app.escrow, tokens.payment)}${app.withdrawableFromSession !== undefined ? `, unbonding: withdrawable from session ${app.withdrawableFromSession}` : ""}`,
    );
    output.out(`  services   ${app.services.map((s) => s.name).join(", ") || "none"}`);
    output.out(`  gateways   ${app.gateways.join(", ") || "none (signs its own relays)"}`);
    output.out(
      `  spent      ${formatAmount(detail.spent, tokens.payment)} on ${detail.settledClaims} settled claim(s); ${pending.length} pending`,
    );
    output.out(`  cap        ${formatAmount(capPerSupplier, tokens.payment)} per supplier this session`);
    return 0;
  },
};
