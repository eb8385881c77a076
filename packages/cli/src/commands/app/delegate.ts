import { ChainError, stakingAbi } from "@decai/chain";
import { isAddress } from "viem";
import { openSigned } from "../../chain/context.js";
import { readApplication, readSession } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai app delegate <gateway>`: lets a staked gateway sign relays for the application.
 *
 * @example
 * await main(["app", "delegate", gatewayAddress, "--key", "app"]);
 */
export const appDelegateCommand: Command<typeof options> = {
  name: "app delegate",
  summary: "let a gateway sign relays for your application (from the next session)",
  help: `Usage: decai app delegate <gateway-address> [options]

Delegates your application to a staked gateway: from the next session on, relays the gateway signs for
you are served and paid out of your escrow. An application can delegate to several gateways, or none
and sign its relays itself.

${CHAIN_OPTIONS_HELP}

Example:
  decai app delegate 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc --key app`,
  options,
  async run(values, positionals, output, runtime) {
    const [gateway] = positionalArgs(positionals, this, ["<gateway-address>"]) as [string];
    if (!isAddress(gateway))
      throw new UsageError(`"${gateway}" is not an address (0x followed by 40 hex digits)`);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const app = await readApplication(conn, me);
    if (app.escrow === 0n) {
      throw new ChainError(
        `${me} is not staked as an application`,
        "stake first with `decai app stake <amount> --service <name>`",
      );
    }
    if (app.gateways.some((g) => g.toLowerCase() === gateway.toLowerCase())) {
      throw new ChainError(`${me} already delegates to ${gateway}`, "nothing to do");
    }
    const [stake, , withdrawable] = await conn.client.readContract({
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "getGateway",
      args: [gateway],
    });
    if (stake === 0n || withdrawable !== 0n) {
      throw new ChainError(
        `${gateway} is not a staked gateway${withdrawable !== 0n ? " (it is unbonding)" : ""}`,
        "check the address: only staked gateways can receive delegations",
      );
    }
    const { hash } = await tx.send(`delegating ${me} to gateway ${gateway}`, {
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "delegateToGateway",
      args: [gateway],
    });
    const { session } = await readSession(conn);
    if (settings.json) printJson(output, { application: me, gateway, fromSession: session + 1n, tx: hash });
    else output.out(`Application ${me} delegates to gateway ${gateway} from session ${session + 1n}`);
    return 0;
  },
};
