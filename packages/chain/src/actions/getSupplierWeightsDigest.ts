import { type Address, type Hex, type PublicClient, zeroHash } from "viem";
import { stakingAbi } from "../generated/contracts.js";

/**
 * Reads the weights digest `supplier` declared for `serviceId` (`Staking.supplierWeightsDigest`): the sha256 of the
 * model file it says it serves. Undefined when it declared none (the contract answers zero).
 *
 * @example
 * const declared = await getSupplierWeightsDigest(client, contracts.staking, supplier, toServiceId("tiny-llama"));
 * if (declared !== service.weightsDigest) flag(supplier);
 */
export async function getSupplierWeightsDigest(
  client: PublicClient,
  staking: Address,
  supplier: Address,
  serviceId: Hex,
): Promise<Hex | undefined> {
  const digest = await client.readContract({
    address: staking,
    abi: stakingAbi,
    functionName: "supplierWeightsDigest",
    args: [supplier, serviceId],
  });
  return digest === zeroHash ? undefined : digest;
}
