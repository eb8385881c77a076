import type { Address, Hex, PrivateKeyAccount } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import type { KeySource, Settings } from "../config/settings.js";
import { Keystore } from "../keys/keystore.js";
import { readPassphrase } from "../keys/passphrase.js";
import { UsageError } from "../output.js";
import type { Runtime } from "../runtime.js";

/** The account a command signs with, and where its key came from (for messages; never the key itself). */
export type Signer = { address: Address; account: PrivateKeyAccount; privateKey: Hex; label: string };

const KEY = /^0x[0-9a-fA-F]{64}$/;

/**
 * Loads the signing key the settings name: a keystore key (decrypted with the passphrase) or `DECAI_PRIVATE_KEY`.
 * Without one, a UsageError says how to give one.
 *
 * @example
 * const signer = await loadSigner(settings, runtime);
 * signer.address; // 0x…
 */
export async function loadSigner(settings: Settings, runtime: Runtime): Promise<Signer> {
  const source = requireKey(settings);
  let privateKey: Hex;
  let label: string;
  if (source.kind === "env") {
    privateKey = checkedKey(runtime.env.DECAI_PRIVATE_KEY?.trim() ?? "", "DECAI_PRIVATE_KEY");
    label = "DECAI_PRIVATE_KEY";
  } else {
    const keystore = new Keystore(settings.keystoreDir);
    keystore.address(source.name); // a missing key fails before asking for a passphrase
    privateKey = keystore.load(source.name, await readPassphrase(runtime, { key: source.name }));
    label = `key "${source.name}"`;
  }
  const account = privateKeyToAccount(privateKey);
  return { address: account.address, account, privateKey, label };
}

/**
 * The address of the settings' key without decrypting anything (keystore files store it in the clear), or
 * undefined when no key is set.
 *
 * @example
 * const who = positionals[0] ?? signerAddress(settings, runtime);
 */
export function signerAddress(settings: Settings, runtime: Runtime): Address | undefined {
  const source = settings.key;
  if (!source) return undefined;
  if (source.kind === "env") {
    return privateKeyToAddress(checkedKey(runtime.env.DECAI_PRIVATE_KEY?.trim() ?? "", "DECAI_PRIVATE_KEY"));
  }
  return new Keystore(settings.keystoreDir).address(source.name);
}

/**
 * Checks a private key's shape without ever echoing it.
 *
 * @example
 * const key = checkedKey(text.trim(), "stdin");
 */
export function checkedKey(value: string, from: string): Hex {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? `0x${value}` : value;
  if (!KEY.test(key)) {
    throw new UsageError(`the private key in ${from} is malformed: expected 0x followed by 64 hex digits`);
  }
  return key as Hex;
}

/**
 * The settings' key source, or a UsageError that says how to give one.
 *
 * @example
 * requireKey(settings); // before any network call, so a missing key fails fast
 */
export function requireKey(settings: Settings): KeySource {
  if (settings.key) return settings.key;
  throw new UsageError(
    "no key to sign with: pass --key <name> (see `decai keys list`; create one with `decai keys create <name>`), or set DECAI_PRIVATE_KEY",
  );
}
