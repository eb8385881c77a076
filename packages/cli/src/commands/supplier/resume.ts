import { ChainError, stakingAbi } from "@decai/chain";
import { openSigned } from "../../chain/context.js";
import { readSession, readSupplier } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson } from "../../output.js";
import {
  driveRelayMiners,
  pausedFrom,
  RELAYMINER_OPTIONS_HELP,
  relayminerOptions,
  relayminerUrls,
} from "./relayminerControl.js";

const options = { ...chainOptions, ...relayminerOptions } as const;

/**
 * `decai supplier resume`: back into the draw from the next session, and the RelayMiner takes relays again.
 *
 * @example
 * await main(["supplier", "resume", "--key", "supplier"]);
 */
export const supplierResumeCommand: Command<typeof options> = {
  name: "supplier resume",
  summary: "take work again after `decai supplier pause`",
  help: `Usage: decai supplier resume [options]

Undoes \`decai supplier pause\`: you are drawn into sessions again from the next session on, for the same
services at the same endpoints, and your RelayMiner takes relays again at once.

Options:
${RELAYMINER_OPTIONS_HELP}
${CHAIN_OPTIONS_HELP}

Example:
  decai supplier resume --key supplier`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const supplier = await readSupplier(conn, me);
    if (supplier.stake === 0n) throw new ChainError(`${me} is not staked as a supplier`, "nothing to resume");
    let hash: string | undefined;
    if ((await pausedFrom(conn, me)) !== 0n) {
      ({ hash } = await tx.send(`resuming supplier ${me}`, {
        address: conn.deployment.contracts.staking,
        abi: stakingAbi,
        functionName: "resumeSupplier",
      }));
    } else {
      output.err(`${me} is not paused on-chain`);
    }
    const miners = await driveRelayMiners(
      relayminerUrls(values, supplier),
      tx.signer.privateKey,
      "resume",
      output,
    );
    const { session } = await readSession(conn);
    if (settings.json) {
      printJson(output, {
        supplier: me,
        session,
        fromSession: session + 1n,
        relayminers: miners,
        ...(hash ? { tx: hash } : {}),
      });
      return 0;
    }
    output.out(`Supplier ${me} is back: drawn into sessions again from session ${session + 1n}.`);
    for (const m of miners) {
      output.out(
        m.ok ? `  RelayMiner ${m.url}: taking relays` : `  RelayMiner ${m.url}: not reached (${m.error})`,
      );
    }
    return 0;
  },
};
