// The on-chain half of a pause: `Staking.pauseSupplier` / `resumeSupplier`, skipped when already in that state.
import { stakingAbi } from "@decai/chain";
import type { Address, PublicClient, WalletClient } from "viem";
import type { DrainGate } from "../drain.js";
import type { Logger } from "../log.js";
import type { ScheduleConfig } from "./config.js";
import { cpuLoadSampler, gpuLoadSampler } from "./load.js";
import { ServingSchedule } from "./schedule.js";

/** What pausing on-chain needs: the supplier's wallet and the Staking contract. */
export type PauseChain = {
  publicClient: PublicClient;
  walletClient: WalletClient;
  staking: Address;
};

/**
 * Idempotent on-chain pause and resume for the wallet's supplier: each reads `supplierPausedFrom` first and sends
 * nothing when the supplier is already in that state (the operator may have used the CLI meanwhile).
 *
 * @example
 * const { pause, resume } = onChainPause({ publicClient, walletClient, staking });
 * await pause(); // out of the draw from the next session
 */
export function onChainPause(chain: PauseChain): { pause(): Promise<void>; resume(): Promise<void> } {
  const account = chain.walletClient.account;
  if (!account) throw new TypeError("the wallet client needs an account (the supplier key)");
  const set = async (paused: boolean) => {
    const from = await chain.publicClient.readContract({
      address: chain.staking,
      abi: stakingAbi,
      functionName: "supplierPausedFrom",
      args: [account.address],
    });
    if ((from !== 0n) === paused) return;
    const hash = await chain.walletClient.writeContract({
      address: chain.staking,
      abi: stakingAbi,
      functionName: paused ? "pauseSupplier" : "resumeSupplier",
      account,
      chain: chain.walletClient.chain,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new Error(`${paused ? "pauseSupplier" : "resumeSupplier"} reverted: ${hash}`);
  };
  return { pause: () => set(true), resume: () => set(false) };
}

/**
 * Starts the serving schedule of a RelayMiner: CPU and GPU samplers that leave out this process and
 * `ownProcesses`, the drain gate, and the on-chain pause (unless `onChain` is false).
 *
 * @example
 * const schedule = startServingSchedule(config.schedule, { gate: miner.drain, chain, log });
 * await schedule.stop();
 */
export function startServingSchedule(
  config: ScheduleConfig,
  deps: { gate: DrainGate; chain?: PauseChain; log: Logger },
): ServingSchedule {
  const schedule = new ServingSchedule({
    config,
    gate: deps.gate,
    log: deps.log,
    ...(deps.chain && config.onChain ? { chain: onChainPause(deps.chain) } : {}),
    ...(config.maxCpuLoad !== undefined
      ? { cpu: cpuLoadSampler({ ownProcesses: config.ownProcesses }) }
      : {}),
    ...(config.maxGpuLoad !== undefined
      ? { gpu: gpuLoadSampler({ ownProcesses: config.ownProcesses }) }
      : {}),
  });
  schedule.start();
  return schedule;
}
