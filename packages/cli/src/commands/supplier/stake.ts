import { ChainError, stakingAbi } from "@decai/chain";
import type { Hex } from "viem";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readService, readSession, readSupplier } from "../../chain/network.js";
import { approveFor, deploymentTokens } from "../../chain/tokens.js";
import { type Command, positionalArgs } from "../../command.js";
import { checkAmountSyntax, formatAmount, parseAmount } from "../../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";

const options = { ...chainOptions, service: { type: "string", multiple: true } } as const;

/**
 * `decai supplier stake [amount] --service name=endpoint`: stake (approving first) and declare services.
 *
 * @example
 * await main(["supplier", "stake", "100", "--service", "tiny-llama=http://my-host:8546", "--key", "supplier"]);
 */
export const supplierStakeCommand: Command<typeof options> = {
  name: "supplier stake",
  summary: "stake as a supplier and declare the services you serve, with their endpoints",
  help: `Usage: decai supplier stake [amount] --service <name>=<endpoint> [options]

Stakes <amount> stake tokens as a supplier (or tops up your stake), approving them for the Staking contract
first, then declares each --service: the registered service's name and the public URL of your RelayMiner.
Services start being drawn into sessions from the next session. Passing a service you already serve with
a new endpoint moves it (effective at once). Without an amount, only the services are declared.

Amounts: 100 = 100 tokens (the token's decimals), 100wei = base units.

Options:
  --service <name>=<url>   a service and the RelayMiner URL that serves it; repeatable
${CHAIN_OPTIONS_HELP}

Example:
  decai supplier stake 1000 --service tiny-llama=https://miner.example.com:8546 --key supplier`,
  options,
  async run(values, positionals, output, runtime) {
    const [rawAmount] = positionalArgs(positionals, this, [], ["[amount]"]);
    if (rawAmount !== undefined) checkAmountSyntax(rawAmount, "amount");
    const services = (values.service ?? []).map(parseServiceSpec);
    if (rawAmount === undefined && services.length === 0) {
      throw new UsageError("nothing to do: give an amount to stake and/or --service <name>=<endpoint>");
    }
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const { staking } = conn.deployment.contracts;
    const { stake: token } = await deploymentTokens(conn);
    const me = tx.signer.address;
    const before = await readSupplier(conn, me);
    if (before.withdrawableFromSession !== undefined) {
      throw new ChainError(
        `${me} is unbonding (withdrawable from session ${before.withdrawableFromSession})`,
        "withdraw with `decai supplier withdraw` once that session starts, then stake again",
      );
    }
    for (const s of services) {
      if (!(await readService(conn, s.id))) {
        throw new ChainError(
          `service "${s.name}" is not registered on chain ${conn.chain.id}`,
          "check the name with `decai status`, or register it with `decai source register`",
        );
      }
    }

    let staked = 0n;
    if (rawAmount !== undefined) {
      staked = parseAmount(rawAmount, token, "amount");
      if (staked === 0n) throw new UsageError("the amount must be above 0");
      const min = await conn.client.readContract({
        address: staking,
        abi: stakingAbi,
        functionName: "minSupplierStake",
      });
      if (before.stake + staked < min) {
        throw new UsageError(
          `a supplier stake must total at least ${formatAmount(min, token)}; ${before.stake ? `you have ${formatAmount(before.stake, token)}, ` : ""}stake at least ${formatAmount(min - before.stake, token)}`,
        );
      }
      await approveFor(tx, token, staking, staked);
      await tx.send(
        `staking ${formatAmount(staked, token)} as supplier ${me}`,
        { address: staking, abi: stakingAbi, functionName: "stakeSupplier", args: [staked] },
        { token },
      );
    } else if (before.stake === 0n) {
      throw new UsageError(
        `${me} has no supplier stake yet: give an amount, e.g. \`decai supplier stake 1000 --service ...\``,
      );
    }

    const served = new Map(before.services.map((s) => [s.id.toLowerCase(), s]));
    for (const s of services) {
      const current = served.get(s.id.toLowerCase());
      const call = { address: staking, abi: stakingAbi };
      if (!current || current.untilSession !== undefined) {
        await tx.send(`declaring service "${s.name}" at ${s.endpoint}`, {
          ...call,
          functionName: "addSupplierService",
          args: [s.id, s.endpoint],
        });
      } else if (current.endpoint !== s.endpoint) {
        await tx.send(`moving service "${s.name}" to ${s.endpoint}`, {
          ...call,
          functionName: "updateSupplierEndpoint",
          args: [s.id, s.endpoint],
        });
      } else {
        output.err(`service "${s.name}" is already served at ${s.endpoint}`);
      }
    }

    const after = await readSupplier(conn, me);
    const { session } = await readSession(conn);
    if (settings.json) {
      printJson(output, { supplier: me, staked, ...after, session });
      return 0;
    }
    output.out(`Supplier ${me} stakes ${formatAmount(after.stake, token)}`);
    for (const s of after.services) {
      const when = s.fromSession > session ? `from session ${s.fromSession}` : "now";
      output.out(`  ${s.name.padEnd(24)} ${s.endpoint} (drawn into sessions ${when})`);
    }
    return 0;
  },
};

function parseServiceSpec(spec: string): { name: string; id: Hex; endpoint: string } {
  const at = spec.indexOf("=");
  if (at <= 0) {
    throw new UsageError(
      `--service "${spec}" is not <name>=<endpoint>, e.g. --service tiny-llama=http://127.0.0.1:8546`,
    );
  }
  const name = spec.slice(0, at);
  const endpoint = spec.slice(at + 1);
  if (!/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new UsageError(
      `the endpoint of service ${name} must be an http(s) URL where your RelayMiner listens, got "${endpoint}"`,
    );
  }
  return { name, id: serviceIdOf(name), endpoint };
}
