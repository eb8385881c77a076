import { type Hex, keccak256, stringToBytes } from "viem";
import { keccak256Bytes } from "./keccak.js";
import type { RelayDomain, RelayDomainInput } from "./types.js";
import { toHexString, writeAddress, writeBytes32, writeUint256 } from "./words.js";

/** EIP-712 domain name of every Decai relay. */
export const relayDomainName = "Decai";
/** EIP-712 domain version of every Decai relay. */
export const relayDomainVersion = "1";

/** EIP-712 type string of a relay request; `RelayLib.REQUEST_TYPEHASH` is its keccak. */
export const relayRequestType =
  "RelayRequest(address application,bytes32 serviceId,uint64 session,address supplier,bytes32 requestDigest,uint32 maxTokens,uint64 nonce)";
/** EIP-712 type string of a relay response; `RelayLib.RESPONSE_TYPEHASH` is its keccak. */
export const relayResponseType =
  "RelayResponse(bytes32 requestHash,bytes32 responseDigest,uint32 inputTokens,uint32 outputTokens)";

const domainType = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

/** keccak256 of `relayRequestType`. */
export const relayRequestTypeHash: Hex = keccak256(stringToBytes(relayRequestType));
/** keccak256 of `relayResponseType`. */
export const relayResponseTypeHash: Hex = keccak256(stringToBytes(relayResponseType));

/**
 * The relay types in viem's typed-data form, for wallets and for viem's `signTypedData`/`verifyTypedData`.
 *
 * @example
 * await walletClient.signTypedData({
 *   domain: relayTypedDataDomain(domain), types: relayTypes, primaryType: "RelayRequest", message: request,
 * });
 */
export const relayTypes = {
  RelayRequest: [
    { name: "application", type: "address" },
    { name: "serviceId", type: "bytes32" },
    { name: "session", type: "uint64" },
    { name: "supplier", type: "address" },
    { name: "requestDigest", type: "bytes32" },
    { name: "maxTokens", type: "uint32" },
    { name: "nonce", type: "uint64" },
  ],
  RelayResponse: [
    { name: "requestHash", type: "bytes32" },
    { name: "responseDigest", type: "bytes32" },
    { name: "inputTokens", type: "uint32" },
    { name: "outputTokens", type: "uint32" },
  ],
} as const;

/**
 * The full EIP-712 domain object for viem's typed-data functions.
 *
 * @example
 * relayTypedDataDomain({ chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
 * // { name: "Decai", version: "1", chainId: 31337, verifyingContract: "0x5FbD…" }
 */
export function relayTypedDataDomain(domain: RelayDomain) {
  return {
    name: relayDomainName,
    version: relayDomainVersion,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  } as const;
}

// typehash || keccak(name) || keccak(version) are constant; chainId and verifyingContract are written per call.
const domainScratch = Buffer.alloc(5 * 32);
domainScratch.set(keccak256(stringToBytes(domainType), "bytes"), 0);
domainScratch.set(keccak256(stringToBytes(relayDomainName), "bytes"), 32);
domainScratch.set(keccak256(stringToBytes(relayDomainVersion), "bytes"), 64);

/**
 * Writes the 32-byte domain separator of `domain` (or copies a precomputed one) into `out` at `offset`.
 * @internal
 */
export function writeDomainSeparator(out: Buffer, offset: number, domain: RelayDomainInput): void {
  if (typeof domain === "string") {
    writeBytes32(out, offset, domain, "domain separator");
    return;
  }
  if (domain === null || typeof domain !== "object") {
    throw new TypeError("domain must be { chainId, verifyingContract } or a 32-byte domain separator");
  }
  writeUint256(domainScratch, 96, domain.chainId, "domain.chainId");
  writeAddress(domainScratch, 128, domain.verifyingContract, "domain.verifyingContract");
  out.set(keccak256Bytes(domainScratch), offset);
}

/**
 * The EIP-712 domain separator of a relay domain; equals `RelayLib.domainSeparator(chainId, verifyingContract)`
 * and viem's `hashDomain`. Precompute it once to save a keccak per relay on hot paths.
 *
 * @example
 * const separator = relayDomainSeparator({ chainId: 31337, verifyingContract });
 * hashRelayRequest(request, separator) === hashRelayRequest(request, { chainId: 31337, verifyingContract }); // true
 */
export function relayDomainSeparator(domain: RelayDomain): Hex {
  const out = Buffer.alloc(32);
  writeDomainSeparator(out, 0, domain);
  return toHexString(out);
}
