import { ChainError } from "@decai/chain";
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  formatEther,
  type Hash,
  InsufficientFundsError,
} from "viem";
import type { TokenUnits } from "../config/amount.js";
import type { Output } from "../output.js";
import type { Connection } from "./connect.js";
import { decaiErrors, explainRevert } from "./revert.js";
import type { Signer } from "./signer.js";

/** A contract call to send. */
export type ContractCall = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] };

/** Sends transactions as one signer, with a progress line each and errors that say what to do. */
export type Transactor = {
  conn: Connection;
  signer: Signer;
  /** Simulates, sends and waits for `call`; `what` is the progress line ("staking 100 DST"). */
  send: (what: string, call: ContractCall, context?: { token?: TokenUnits }) => Promise<{ hash: Hash }>;
};

/**
 * Prepares to send as `signer` on `conn`, after checking it has ETH for gas.
 *
 * @example
 * const tx = await createTransactor(conn, signer, output);
 * await tx.send("registering tiny-llama", { address, abi, functionName: "registerService", args });
 */
export async function createTransactor(
  conn: Connection,
  signer: Signer,
  output: Output,
): Promise<Transactor> {
  const balance = await conn.client.getBalance({ address: signer.address });
  if (balance === 0n) {
    throw new ChainError(
      `${signer.address} (${signer.label}) has no ETH on chain ${conn.chain.id} to pay for gas`,
      "send it some ETH first (on a devnet, `decai faucet` tops it up)",
    );
  }
  const wallet = createWalletClient({
    account: signer.account,
    chain: conn.chain,
    transport: conn.transport,
  });
  return {
    conn,
    signer,
    async send(what, call, context = {}) {
      output.err(`${what}...`);
      const abi = [...call.abi, ...decaiErrors] as Abi;
      let hash: Hash;
      try {
        const { request } = await conn.client.simulateContract({
          ...call,
          abi,
          args: call.args ?? [],
          account: signer.account,
        } as never);
        hash = await wallet.writeContract(request as never);
      } catch (error) {
        throw explainSendError(error, what, signer, conn, context);
      }
      const receipt = await conn.client.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") {
        throw new ChainError(
          `${what} reverted on-chain (tx ${hash})`,
          "inspect that transaction, then retry",
        );
      }
      return { hash };
    },
  };
}

function explainSendError(
  error: unknown,
  what: string,
  signer: Signer,
  conn: Connection,
  context: { token?: TokenUnits },
): ChainError {
  if (error instanceof ChainError) return error;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof InsufficientFundsError)) {
      return new ChainError(
        `${what} failed: ${signer.address} cannot pay for gas on chain ${conn.chain.id}`,
        "send it more ETH (on a devnet, `decai faucet` tops it up)",
        { cause: error },
      );
    }
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      const { message, hint } = explainRevert(reverted.data.errorName, reverted.data.args ?? [], context);
      return new ChainError(`${what} failed: ${message}`, hint, { cause: error });
    }
    return new ChainError(
      `${what} failed: ${error.shortMessage}`,
      "check the chain and the arguments, then retry",
      {
        cause: error,
      },
    );
  }
  return new ChainError(`${what} failed: ${String(error)}`, "retry", { cause: error });
}

/**
 * ETH, formatted for messages.
 *
 * @example
 * formatEth(10n ** 18n); // "1 ETH"
 */
export function formatEth(wei: bigint): string {
  return `${formatEther(wei)} ETH`;
}
