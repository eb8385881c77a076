import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned } from "../../chain/context.js";
import { readApplication, readSession } from "../../chain/network.js";
import { deploymentTokens } from "../../chain/tokens.js";
import { type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai app withdraw`: takes what is left of the escrow back once unbonding is over.
 *
 * @example
 * await main(["app", "withdraw", "--key", "app"]);
 */
export const appWithdrawCommand: Command<typeof options> = {
  name: "app withdraw",
  summary: "take the rest of the escrow back once unbonding is over",
  help: `Usage: decai app withdraw [options]

Transfers what is left of your escrow back to you, once the unbonding that \`decai app unstake\` started
is over.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const { payment: token } = await deploymentTokens(conn);
    const app = await readApplication(conn, me);
    if (app.escrow === 0n) throw new ChainError(`${me} has no application escrow`, "nothing to withdraw");
    if (app.withdrawableFromSession === undefined) {
      throw new ChainError(
        `${me} is not unbonding`,
        "start with `decai app unstake`, then withdraw once unbonding is over",
      );
    }
    const now = await readSession(conn);
    if (now.session < app.withdrawableFromSession) {
      throw new ChainError(
        `${me} is still unbonding: withdrawable from session ${app.withdrawableFromSession}, now session ${now.session}`,
        "wait for that session, then run this again",
      );
    }
    const { hash } = await tx.send(`withdrawing ${formatAmount(app.escrow, token)}`, {
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "withdrawApplication",
    });
    if (settings.json) printJson(output, { application: me, withdrawn: app.escrow, tx: hash });
    else output.out(`Withdrew ${formatAmount(app.escrow, token)} to ${me}`);
    return 0;
  },
};
