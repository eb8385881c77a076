import type { Hex } from "viem";
import { relayMiningAbi } from "../generated/contracts.js";
import type { DifficultyView, StatusSource } from "./types.js";

const TWO_256 = 2n ** 256n;

/**
 * A service's relay-mining difficulty in `session`: its target, how many relays one applicable relay stands
 * for, and the EMA it was set from.
 *
 * @example
 * const { relaysPerApplicable } = await readDifficulty(source, toServiceId("tiny-llama"), session); // 1 at first
 */
export async function readDifficulty(
  { client, deployment }: StatusSource,
  serviceId: Hex,
  session: bigint,
): Promise<DifficultyView> {
  const at = { address: deployment.contracts.relayMining, abi: relayMiningAbi } as const;
  const [target, state] = await Promise.all([
    client.readContract({ ...at, functionName: "targetAt", args: [serviceId, session] }),
    client.readContract({ ...at, functionName: "getDifficulty", args: [serviceId] }),
  ]);
  return {
    target,
    relaysPerApplicable: relaysPerApplicable(target),
    ...(state.initialized ? { ema: state.ema, lastSession: BigInt(state.lastSession) } : {}),
  };
}

/**
 * 2^256 / target, rounded to a number: about how many relays one reward-applicable relay stands for.
 *
 * @example
 * relaysPerApplicable(2n ** 256n - 1n); // 1
 * relaysPerApplicable(2n ** 252n); // 16
 */
export function relaysPerApplicable(target: bigint): number {
  if (target <= 0n) return Number.POSITIVE_INFINITY;
  return Number((TWO_256 + target / 2n) / target);
}
