import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** The mnemonic anvil uses for its pre-funded development accounts. Public: never hold real value with it. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

/** A pre-funded development account: its address and private key. */
export type DevAccount = { address: `0x${string}`; privateKey: Hex };

/**
 * Derives the first `count` development accounts anvil funds at start (BIP-44 path m/44'/60'/0'/0/i).
 *
 * @example
 * const [deployer, alice] = devAccounts(2);
 */
export function devAccounts(count: number, mnemonic = ANVIL_MNEMONIC): DevAccount[] {
  return Array.from({ length: count }, (_, addressIndex) => {
    const account = mnemonicToAccount(mnemonic, { addressIndex });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error("HD key without a private key");
    return { address: account.address, privateKey: `0x${Buffer.from(key).toString("hex")}` };
  });
}
