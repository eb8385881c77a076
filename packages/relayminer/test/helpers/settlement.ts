import { relayMiningAbi } from "@decai/chain";
import type { startNetwork } from "@decai/chain/testing";
import type { Address, Hex } from "viem";

type Network = Awaited<ReturnType<typeof startNetwork>>;

/**
 * Mines one block at a time (giving a running RelayMiner's lifecycle a moment between blocks) until the claim of
 * (supplier, application, service, session) is settled or voided, and returns it as it then stands on-chain.
 */
export async function mineUntilClaimFinal(
  net: Network,
  header: { supplier: Address; application: Address; serviceId: Hex; session: bigint },
  { maxBlocks = 600, pauseMs = 100 } = {},
) {
  const { publicClient, contracts, testClient } = net;
  const key = await publicClient.readContract({
    address: contracts.relayMining,
    abi: relayMiningAbi,
    functionName: "claimKey",
    args: [header.supplier, header.application, header.serviceId, header.session],
  });
  const getClaim = () =>
    publicClient.readContract({
      address: contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "getClaim",
      args: [key],
    });
  let claim = await getClaim();
  for (let i = 0; i < maxBlocks && claim.status < 3; i++) {
    await testClient.mine({ blocks: 1 });
    await new Promise((r) => setTimeout(r, pauseMs));
    claim = await getClaim();
  }
  return claim;
}
