// Types and small helpers of the relay test vectors, apart from the generator in make-relay-vectors.ts.
import { type Address, type Hex, keccak256, stringToHex } from "viem";

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** One vector as stored in JSON: integers above 2^53 are decimal strings. */
export type RelayVector = {
  name: string;
  kind: string;
  chainId: string;
  verifyingContract: Address;
  domainSeparator: Hex;
  encoded: Hex;
  decodable: boolean;
  relay: {
    application: Address;
    serviceId: Hex;
    session: string;
    supplier: Address;
    requestDigest: Hex;
    maxTokens: number;
    nonce: string;
    requestSignature: Hex;
    requestHash: Hex;
    responseDigest: Hex;
    inputTokens: number;
    outputTokens: number;
    responseSignature: Hex;
  };
  relayHash: Hex;
  responseHash: Hex;
  requestSigner: Address;
  requestSignerError: string;
  responseSigner: Address;
  responseSignerError: string;
  signedByApplication: boolean;
  service: { cuMode: number; cuPerRelay: string; cuPerInputToken: string; cuPerOutputToken: string };
  weight: string;
  target: string;
  rewardApplicable: boolean;
  valid: boolean;
  error: string;
};

export type RelayVectorsFile = {
  seed: string;
  requestTypeHash: Hex;
  responseTypeHash: Hex;
  count: number;
  vectors: RelayVector[];
};

/** Deterministic randomness: keccak256(seed/label/counter). */
export class Rand {
  private counter = 0;
  constructor(private readonly seed: string) {}
  bytes32(): Hex {
    return keccak256(stringToHex(`${this.seed}/${this.counter++}`));
  }
  bits(n: number): bigint {
    return BigInt(this.bytes32()) >> BigInt(256 - n);
  }
  below(n: number): number {
    return Number(this.bits(32) % BigInt(n));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
  address(): Address {
    return `0x${this.bytes32().slice(26)}`;
  }
}

export const flipBit = (hex: Hex, byte = 31): Hex => {
  const bytes = Buffer.from(hex.slice(2), "hex");
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  return `0x${bytes.toString("hex")}`;
};
/** The malleable twin (n - s, v flipped): ecrecover accepts it and returns the same signer. */
export const highS = (signature: Hex): Hex => {
  const s = curveOrder - BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16) === 27 ? "1c" : "1b";
  return `${signature.slice(0, 66)}${s.toString(16).padStart(64, "0")}${v}` as Hex;
};
