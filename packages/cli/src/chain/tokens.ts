import { ChainError, readDeploymentTokens, testTokenAbi } from "@decai/chain";
import type { Address, PublicClient } from "viem";
import { formatAmount, type TokenUnits } from "../config/amount.js";
import type { Connection } from "./connect.js";
import type { Transactor } from "./transact.js";

/** An ERC-20 the protocol uses, with what it takes to read and print amounts of it. */
export type Token = TokenUnits & { address: Address };

/**
 * The stake and payment tokens of a deployment (the status library's read, so amounts print as in `decai status`).
 *
 * @example
 * const { stake, payment } = await deploymentTokens(conn);
 */
export function deploymentTokens(conn: Connection): Promise<{ stake: Token; payment: Token }> {
  return readDeploymentTokens(conn);
}

/**
 * Reads `owner`'s balance of `token`.
 *
 * @example
 * const held = await balanceOf(client, dst, supplier);
 */
export function balanceOf(client: PublicClient, token: Token, owner: Address): Promise<bigint> {
  return client.readContract({
    address: token.address,
    abi: testTokenAbi,
    functionName: "balanceOf",
    args: [owner],
  });
}

/**
 * Makes sure the signer can hand `amount` of `token` to `spender`: fails early with what it holds when that is
 * not enough, and approves exactly what is missing from the allowance (so the user never signs an approval
 * by hand).
 *
 * @example
 * await approveFor(tx, stakeToken, deployment.contracts.staking, amount);
 * await tx.send("staking", { ...stakeSupplier });
 */
export async function approveFor(
  tx: Transactor,
  token: Token,
  spender: Address,
  amount: bigint,
): Promise<void> {
  const owner = tx.signer.address;
  const { client } = tx.conn;
  const held = await balanceOf(client, token, owner);
  if (held < amount) {
    throw new ChainError(
      `${owner} holds ${formatAmount(held, token)}, needs ${formatAmount(amount, token)}`,
      `get ${token.symbol} first (on a devnet: \`decai faucet ${trimmedTokens(amount - held, token)}\`)`,
    );
  }
  const allowance = await client.readContract({
    address: token.address,
    abi: testTokenAbi,
    functionName: "allowance",
    args: [owner, spender],
  });
  if (allowance >= amount) return;
  await tx.send(
    `approving ${formatAmount(amount, token)} for the Staking contract`,
    { address: token.address, abi: testTokenAbi, functionName: "approve", args: [spender, amount] },
    { token },
  );
}

/** Whole tokens, rounded up, for a command line the user can paste. */
function trimmedTokens(amount: bigint, token: TokenUnits): string {
  const unit = 10n ** BigInt(token.decimals);
  return String((amount + unit - 1n) / unit);
}
