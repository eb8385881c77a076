import { type Hex, hexToString, stringToHex } from "viem";

/**
 * Encodes a short ASCII service name ("tiny-llama") as the bytes32 id the contracts use, right-padded
 * with zeros. Throws for names that are empty, longer than 32 bytes, or outside [a-z0-9._-].
 *
 * @example
 * toServiceId("tiny-llama"); // "0x74696e792d6c6c616d6100...00"
 */
export function toServiceId(name: string): Hex {
  if (!/^[a-z0-9._-]{1,32}$/.test(name)) {
    throw new Error(
      `invalid service name "${name}": use 1-32 characters of lowercase letters, digits, '.', '_' or '-'`,
    );
  }
  return stringToHex(name, { size: 32 });
}

/**
 * Decodes a bytes32 service id back to its name.
 *
 * @example
 * fromServiceId(toServiceId("tiny-llama")); // "tiny-llama"
 */
export function fromServiceId(id: Hex): string {
  return hexToString(id, { size: 32 });
}
