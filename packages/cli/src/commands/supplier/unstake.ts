import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readSession, readSupplier } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";

const options = { ...chainOptions, service: { type: "string", multiple: true } } as const;

/**
 * `decai supplier unstake [--service name]`: stop one service, or everything and start unbonding.
 *
 * @example
 * await main(["supplier", "unstake", "--service", "tiny-llama", "--key", "supplier"]);
 */
export const supplierUnstakeCommand: Command<typeof options> = {
  name: "supplier unstake",
  summary: "stop serving a service, or everything and start unbonding the stake",
  help: `Usage: decai supplier unstake [--service <name>]... [options]

With --service: stops serving those services after the current session; the stake stays.
Without: stops every service after the current session and starts unbonding. The stake can be
withdrawn (\`decai supplier withdraw\`) once the unbonding period is over, which leaves time to settle
the claims of the sessions already served: keep your RelayMiner running until then.

Options:
  --service <name>   stop only this service; repeatable
${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const ids = (values.service ?? []).map((name) => ({ name, id: serviceIdOf(name) }));
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const { staking } = conn.deployment.contracts;
    const before = await readSupplier(conn, me);
    if (before.stake === 0n) throw new ChainError(`${me} is not staked as a supplier`, "nothing to unstake");
    if (before.withdrawableFromSession !== undefined) {
      throw new ChainError(
        `${me} is already unbonding (withdrawable from session ${before.withdrawableFromSession})`,
        "withdraw with `decai supplier withdraw` once that session starts",
      );
    }
    if (ids.length) {
      const served = new Set(before.services.map((s) => s.id.toLowerCase()));
      for (const { name, id } of ids) {
        if (!served.has(id.toLowerCase())) {
          throw new ChainError(
            `${me} does not serve "${name}"`,
            "see what it serves with `decai supplier status`",
          );
        }
        await tx.send(`removing service "${name}"`, {
          address: staking,
          abi: stakingAbi,
          functionName: "removeSupplierService",
          args: [id],
        });
      }
    } else {
      await tx.send(`unstaking supplier ${me}`, {
        address: staking,
        abi: stakingAbi,
        functionName: "unstakeSupplier",
      });
    }
    const after = await readSupplier(conn, me);
    const { session } = await readSession(conn);
    if (settings.json) {
      printJson(output, { supplier: me, session, ...after });
    } else if (ids.length) {
      output.out(
        `Supplier ${me} stops serving ${ids.map((s) => s.name).join(", ")} after session ${session}`,
      );
    } else {
      output.out(
        `Supplier ${me} is unbonding: it serves until the end of session ${session}; withdraw from session ${after.withdrawableFromSession} with \`decai supplier withdraw\``,
      );
    }
    return 0;
  },
};
