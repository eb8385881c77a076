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
 * `decai supplier pause`: drain the RelayMiner and leave the session draw from the next session on.
 *
 * @example
 * await main(["supplier", "pause", "--key", "supplier"]);
 */
export const supplierPauseCommand: Command<typeof options> = {
  name: "supplier pause",
  summary: "stop taking new work (your GPU is needed elsewhere) without unstaking or any penalty",
  help: `Usage: decai supplier pause [options]

For a supplier whose hardware is needed elsewhere for a while. Your RelayMiner finishes the relays in flight
and answers new ones 503 with a retry-after (gateways and SDKs route to other suppliers at once); on-chain you
are left out of every session from the next one on. Your stake stays, nothing is slashed, and the claims and
proofs of the sessions you served still complete: keep the RelayMiner running. \`decai supplier resume\`
brings you back (drawn again from the session after it).

Options:
${RELAYMINER_OPTIONS_HELP}
${CHAIN_OPTIONS_HELP}

Example:
  decai supplier pause --key supplier`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const me = tx.signer.address;
    const supplier = await readSupplier(conn, me);
    if (supplier.stake === 0n) throw new ChainError(`${me} is not staked as a supplier`, "nothing to pause");
    if (supplier.withdrawableFromSession !== undefined) {
      throw new ChainError(
        `${me} is unbonding (withdrawable from session ${supplier.withdrawableFromSession})`,
        "an unbonding supplier is already leaving the draw: nothing to pause",
      );
    }
    // Drain first: relays in flight finish, new ones go elsewhere at once.
    const miners = await driveRelayMiners(
      relayminerUrls(values, supplier),
      tx.signer.privateKey,
      "pause",
      output,
    );
    let from = await pausedFrom(conn, me);
    let hash: string | undefined;
    if (from === 0n) {
      ({ hash } = await tx.send(`pausing supplier ${me}`, {
        address: conn.deployment.contracts.staking,
        abi: stakingAbi,
        functionName: "pauseSupplier",
      }));
      from = await pausedFrom(conn, me);
    } else {
      output.err(`${me} is already paused on-chain (out of the draw from session ${from})`);
    }
    const { session } = await readSession(conn);
    if (settings.json) {
      printJson(output, {
        supplier: me,
        pausedFromSession: from,
        session,
        relayminers: miners,
        ...(hash ? { tx: hash } : {}),
      });
      return 0;
    }
    output.out(`Supplier ${me} is paused: drawn into no session from session ${from} on (now ${session}).`);
    for (const m of miners) {
      output.out(
        m.ok
          ? `  RelayMiner ${m.url}: ${m.state.drained ? "drained" : `still finishing ${m.state.inFlight} relay(s)`}; new relays get 503`
          : `  RelayMiner ${m.url}: not reached (${m.error}); it keeps serving this session's relays`,
      );
    }
    output.out("  Keep the RelayMiner running: claims and proofs of the sessions you served still complete.");
    return 0;
  },
};
