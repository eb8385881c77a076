import { ChainError, stakingAbi } from "@decai/chain";
import { isAddress } from "viem";
import { openSigned } from "../../chain/context.js";
import { readApplication, readSession } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai app undelegate <gateway>`: ends a delegation after the current session.
 *
 * @example
 * await main(["app", "undelegate", gatewayAddress, "--key", "app"]);
 */
export const appUndelegateCommand: Command<typeof options> = {
  name: "app undelegate",
  summary: "stop a gateway from signing for your application (after this session)",
  help: `Usage: decai app undelegate <gateway-address> [options]

Ends your application's delegation to a gateway after the current session: relays it signs in later
sessions are refused.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    const [gateway] = positionalArgs(positionals, this, ["<gateway-address>"]) as [string];
    if (!isAddress(gateway))
      throw new UsageError(`"${gateway}" is not an address (0x followed by 40 hex digits)`);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const app = await readApplication(conn, me);
    if (!app.gateways.some((g) => g.toLowerCase() === gateway.toLowerCase())) {
      throw new ChainError(
        `${me} does not delegate to ${gateway}`,
        `it delegates to ${app.gateways.length ? app.gateways.join(", ") : "no gateway"}`,
      );
    }
    const { hash } = await tx.send(`undelegating ${me} from gateway ${gateway}`, {
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "undelegateFromGateway",
      args: [gateway],
    });
    const { session } = await readSession(conn);
    if (settings.json) printJson(output, { application: me, gateway, untilSession: session + 1n, tx: hash });
    else output.out(`Application ${me} stops delegating to ${gateway} after session ${session}`);
    return 0;
  },
};
