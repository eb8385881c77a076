import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { DecaiError } from "./errors.js";

const keyPattern = /^0x[0-9a-fA-F]{64}$/;

/**
 * Loads a secp256k1 private key given as 0x-prefixed hex, or as the path of a file holding one (whitespace
 * around it is ignored), e.g. the value of an environment variable. Throws a `DecaiError` that never echoes
 * the secret.
 *
 * @example
 * const appKey = loadPrivateKey(process.env.DECAI_APP_KEY ?? "./app.key");
 */
export function loadPrivateKey(source: string): Hex {
  const value = source.trim();
  if (keyPattern.test(value)) return value as Hex;
  if (value.startsWith("0x")) {
    throw new DecaiError("The private key is not 32 bytes of 0x-prefixed hex (66 characters in all).");
  }
  let text: string;
  try {
    text = readFileSync(value, "utf8").trim();
  } catch (cause) {
    throw new DecaiError(
      `Cannot read a private key from ${value}: ${(cause as Error).message}. Pass 0x-prefixed hex or the path of a file holding it.`,
    );
  }
  if (!keyPattern.test(text)) {
    throw new DecaiError(
      `The file ${value} does not hold a private key: expected one line of 0x-prefixed hex (32 bytes).`,
    );
  }
  return text as Hex;
}
