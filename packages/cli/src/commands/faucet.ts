import { ChainError, testTokenAbi } from "@decai/chain";
import { type Address, isAddress, parseEther, toHex } from "viem";
import type { Connection } from "../chain/connect.js";
import { openChain } from "../chain/context.js";
import { loadSigner } from "../chain/signer.js";
import { deploymentTokens, type Token } from "../chain/tokens.js";
import { createTransactor, formatEth } from "../chain/transact.js";
import { type Command, positionalArgs } from "../command.js";
import { checkAmountSyntax, formatAmount, parseAmount } from "../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../config/settings.js";
import { type Output, printJson, UsageError } from "../output.js";

const options = {
  ...chainOptions,
  token: { type: "string" },
  to: { type: "string" },
} as const;

const GAS_MONEY = parseEther("10");

/**
 * `decai faucet <amount>`: test tokens (and gas money on anvil) for a devnet account.
 *
 * @example
 * await main(["faucet", "1000", "--key", "alice"]);
 */
export const faucetCommand: Command<typeof options> = {
  name: "faucet",
  summary: "mint test tokens (and ETH for gas on anvil) on a devnet",
  help: `Usage: decai faucet <amount> [options]

Mints <amount> of the deployment's test tokens (TestToken, which anyone may mint: devnets only) to your
key's address or --to. On anvil it also tops up ETH for gas (to ${formatEth(GAS_MONEY)}) for accounts that
hold less than 1 ETH, so a freshly created key can transact at once.

Options:
  --token <which>    stake, payment or both (default both)
  --to <address>     receiver (default: your key's address)
${CHAIN_OPTIONS_HELP}

Example:
  decai keys create alice && decai faucet 1000 --key alice`,
  options,
  async run(values, positionals, output, runtime) {
    const [raw] = positionalArgs(positionals, this, ["<amount>"]) as [string];
    checkAmountSyntax(raw, "amount");
    const which = values.token ?? "both";
    if (!["stake", "payment", "both"].includes(which)) {
      throw new UsageError(`--token must be stake, payment or both, got "${which}"`);
    }
    if (values.to !== undefined && !isAddress(values.to)) {
      throw new UsageError(`--to "${values.to}" is not an address (0x followed by 40 hex digits)`);
    }
    const { settings, conn } = await openChain(values, runtime);
    const signer = await loadSigner(settings, runtime);
    const to = (values.to as Address | undefined) ?? signer.address;
    const toppedUp: Address[] = [];
    for (const address of new Set([signer.address, to])) {
      if (await topUpGas(conn, address, output)) toppedUp.push(address);
    }
    const tx = await createTransactor(conn, signer, output);
    const tokens = await deploymentTokens(conn);
    const picked: Token[] =
      which === "both"
        ? uniqueTokens([tokens.stake, tokens.payment])
        : [which === "stake" ? tokens.stake : tokens.payment];
    const minted: { token: Token; amount: bigint }[] = [];
    for (const token of picked) {
      const amount = parseAmount(raw, token, "amount");
      try {
        await tx.send(`minting ${formatAmount(amount, token)} to ${to}`, {
          address: token.address,
          abi: testTokenAbi,
          functionName: "mint",
          args: [to, amount],
        });
      } catch (error) {
        if (!(error instanceof ChainError) || /cannot pay for gas/.test(error.message)) throw error;
        throw new ChainError(
          `${token.symbol} at ${token.address} cannot be minted (${error.message})`,
          "`decai faucet` only works with the test tokens a devnet deploys; get real tokens from their issuer",
          { cause: error },
        );
      }
      minted.push({ token, amount });
    }
    if (settings.json) {
      printJson(output, {
        to,
        minted: minted.map((m) => ({ token: m.token.address, symbol: m.token.symbol, amount: m.amount })),
        ethToppedUp: toppedUp,
      });
    } else {
      output.out(`Minted ${minted.map((m) => formatAmount(m.amount, m.token)).join(" and ")} to ${to}`);
      for (const address of toppedUp) output.out(`  topped up ${address} to ${formatEth(GAS_MONEY)} for gas`);
    }
    return 0;
  },
};

/** Sets an account's ETH on anvil when it holds less than 1 ETH; false where the chain is not anvil. */
async function topUpGas(conn: Connection, address: Address, output: Output): Promise<boolean> {
  const balance = await conn.client.getBalance({ address });
  if (balance >= parseEther("1")) return false;
  try {
    await conn.client.request({ method: "anvil_setBalance", params: [address, toHex(GAS_MONEY)] } as never);
  } catch {
    output.err(`cannot top up ETH for ${address}: chain ${conn.chain.id} is not anvil`);
    return false;
  }
  output.err(`topped up ${address} to ${formatEth(GAS_MONEY)} for gas`);
  return true;
}

function uniqueTokens(tokens: Token[]): Token[] {
  return tokens.filter(
    (t, i) => tokens.findIndex((u) => u.address.toLowerCase() === t.address.toLowerCase()) === i,
  );
}
