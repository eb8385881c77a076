import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readApplication, readService } from "../../chain/network.js";
import { approveFor, deploymentTokens } from "../../chain/tokens.js";
import { type Command, positionalArgs } from "../../command.js";
import { checkAmountSyntax, formatAmount, parseAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = { ...chainOptions, service: { type: "string", multiple: true } } as const;

/**
 * `decai app stake [amount] --service name`: escrow payment tokens (approving first) and pick services.
 *
 * @example
 * await main(["app", "stake", "50", "--service", "tiny-llama", "--key", "app"]);
 */
export const appStakeCommand: Command<typeof options> = {
  name: "app stake",
  summary: "escrow payment tokens as an application and pick the services it uses",
  help: `Usage: decai app stake [amount] --service <name>... [options]

Escrows <amount> payment tokens as an application (or tops up the escrow), approving them for the
Staking contract first, and adds each --service to the services it uses. Settled claims are paid out of
this escrow. Without an amount, only services are added to an existing escrow.

Amounts: 100 = 100 tokens (the token's decimals), 100wei = base units.

Options:
  --service <name>   a registered service to use; repeatable
${CHAIN_OPTIONS_HELP}

Example:
  decai app stake 100 --service tiny-llama --key app`,
  options,
  async run(values, positionals, output, runtime) {
    const [rawAmount] = positionalArgs(positionals, this, [], ["[amount]"]);
    if (rawAmount !== undefined) checkAmountSyntax(rawAmount, "amount");
    const services = (values.service ?? []).map((name) => ({ name, id: serviceIdOf(name) }));
    if (rawAmount === undefined && services.length === 0) {
      throw new UsageError("nothing to do: give an amount to escrow and/or --service <name>");
    }
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const { staking } = conn.deployment.contracts;
    const { payment: token } = await deploymentTokens(conn);
    const me = tx.signer.address;
    const before = await readApplication(conn, me);
    if (before.withdrawableFromSession !== undefined) {
      throw new ChainError(
        `${me} is unbonding (withdrawable from session ${before.withdrawableFromSession})`,
        "withdraw with `decai app withdraw` once that session starts, then stake again",
      );
    }
    for (const s of services) {
      if (!(await readService(conn, s.id))) {
        throw new ChainError(
          `service "${s.name}" is not registered on chain ${conn.chain.id}`,
          "check the name with `decai status`",
        );
      }
    }
    const amount = rawAmount === undefined ? 0n : parseAmount(rawAmount, token, "amount");
    if (before.escrow === 0n) {
      const min = await conn.client.readContract({
        address: staking,
        abi: stakingAbi,
        functionName: "minApplicationStake",
      });
      if (amount < min) {
        throw new UsageError(
          `an application escrow must be at least ${formatAmount(min, token)}: give an amount of at least that`,
        );
      }
    }
    if (amount === 0n && services.length === 0) throw new UsageError("the amount must be above 0");
    if (amount > 0n) await approveFor(tx, token, staking, amount);
    const what =
      amount > 0n
        ? `escrowing ${formatAmount(amount, token)} as application ${me}`
        : `adding services for application ${me}`;
    const { hash } = await tx.send(
      what,
      {
        address: staking,
        abi: stakingAbi,
        functionName: "stakeApplication",
        args: [amount, services.map((s) => s.id)],
      },
      { token },
    );
    const after = await readApplication(conn, me);
    if (settings.json) {
      printJson(output, { ...after, staked: amount, tx: hash });
    } else {
      output.out(`Application ${me} escrows ${formatAmount(after.escrow, token)}`);
      output.out(`  services ${after.services.map((s) => s.name).join(", ") || "none"}`);
    }
    return 0;
  },
};
