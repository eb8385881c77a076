import type { Hex } from "viem";

/**
 * Whether a relay goes into the supplier's tree: `uint256(relayHash) < target` (`RelayLib.isRewardApplicable`).
 *
 * @example
 * isRewardApplicable(relayHash(relay, domain), 2n ** 252n); // true for about 1 relay in 16
 */
export function isRewardApplicable(relayHash: Hex, target: bigint): boolean {
  return BigInt(relayHash) < target;
}
