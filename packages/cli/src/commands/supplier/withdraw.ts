import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned } from "../../chain/context.js";
import { readSession, readSupplier } from "../../chain/network.js";
import { deploymentTokens } from "../../chain/tokens.js";
import { type Command, positionalArgs } from "../../command.js";
import { formatAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai supplier withdraw`: takes the stake back once unbonding is over.
 *
 * @example
 * await main(["supplier", "withdraw", "--key", "supplier"]);
 */
export const supplierWithdrawCommand: Command<typeof options> = {
  name: "supplier withdraw",
  summary: "take the stake back once unbonding is over",
  help: `Usage: decai supplier withdraw [options]

Transfers your whole supplier stake back to you, once the unbonding that \`decai supplier unstake\`
started is over.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const { stake: token } = await deploymentTokens(conn);
    const supplier = await readSupplier(conn, me);
    if (supplier.stake === 0n) throw new ChainError(`${me} has no supplier stake`, "nothing to withdraw");
    if (supplier.withdrawableFromSession === undefined) {
      throw new ChainError(
        `${me} is not unbonding`,
        "start with `decai supplier unstake`, then withdraw once unbonding is over",
      );
    }
    const now = await readSession(conn);
    if (now.session < supplier.withdrawableFromSession) {
      throw new ChainError(
        `${me} is still unbonding: withdrawable from session ${supplier.withdrawableFromSession}, now session ${now.session}`,
        `wait about ${(supplier.withdrawableFromSession - now.session) * (now.endBlock - now.startBlock + 1n)} blocks, then run this again`,
      );
    }
    const { hash } = await tx.send(`withdrawing ${formatAmount(supplier.stake, token)}`, {
      address: conn.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "withdrawSupplier",
    });
    if (settings.json) printJson(output, { supplier: me, withdrawn: supplier.stake, tx: hash });
    else output.out(`Withdrew ${formatAmount(supplier.stake, token)} to ${me}`);
    return 0;
  },
};
