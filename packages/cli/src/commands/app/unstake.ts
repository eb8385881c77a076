import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned } from "../../chain/context.js";
import { readApplication, readSession } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai app unstake`: ends every delegation and starts unbonding the escrow.
 *
 * @example
 * await main(["app", "unstake", "--key", "app"]);
 */
export const appUnstakeCommand: Command<typeof options> = {
  name: "app unstake",
  summary: "end every delegation and start unbonding the escrow",
  help: `Usage: decai app unstake [options]

Ends every delegation after the current session and starts unbonding your escrow. Claims for sessions
already served are still paid out of it; withdraw the rest with \`decai app withdraw\` once unbonding is
over.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const before = await readApplication(conn, me);
    if (before.escrow === 0n)
      throw new ChainError(`${me} is not staked as an application`, "nothing to unstake");
    if (before.withdrawableFromSession !== undefined) {
      throw new ChainError(
        `${me} is already unbonding (withdrawable from session ${before.withdrawableFromSession})`,
        "withdraw with `decai app withdraw` once that session starts",
      );
    }
    const { hash } = await tx.send(`unstaking application ${me}`, {
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "unstakeApplication",
    });
    const [after, { session }] = await Promise.all([readApplication(conn, me), readSession(conn)]);
    if (settings.json) printJson(output, { ...after, session, tx: hash });
    else
      output.out(
        `Application ${me} is unbonding; withdraw from session ${after.withdrawableFromSession} with \`decai app withdraw\``,
      );
    return 0;
  },
};
