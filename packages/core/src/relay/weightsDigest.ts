// How a supplier reports the model artifact it serves (artifact commitment). The service's digest is in the
// ServiceRegistry, the supplier's declaration in Staking (`supplierWeightsDigest`), and the RelayMiner reports the
// digest of the file its backend actually loaded on every response and at `GET /decai/info`. Gateways compare
// the three. The header is not signed: it is the supplier's claim, and a lying supplier can repeat the honest
// digest, which is why the gateway also checks the answers themselves.
import type { Address, Hex } from "viem";

/** HTTP response header carrying the weights digest (sha256 of the model file) the supplier's backend loaded. */
export const weightsDigestHeaderName = "Decai-Weights-Digest";

/** Path of a RelayMiner's self-description (`GET`), a {@link SupplierInfo}. */
export const supplierInfoPath = "/decai/info";

/** One service as a RelayMiner describes it at {@link supplierInfoPath}. */
export type SupplierServiceInfo = {
  id: Hex;
  name: string;
  /** Digest of the model file its backend loaded, as reported on every response; null when not known. */
  weightsDigest: Hex | null;
  /** The digest this supplier declared on-chain for the service (`Staking.supplierWeightsDigest`); null when none. */
  declaredWeightsDigest: Hex | null;
  /** The service's registered digest (`ServiceRegistry`); null while the RelayMiner has not read it. */
  serviceWeightsDigest: Hex | null;
};

/** The body of `GET /decai/info` on a RelayMiner. */
export type SupplierInfo = { supplier: Address; services: SupplierServiceInfo[] };

const digestPattern = /^0x[0-9a-fA-F]{64}$/;

/**
 * Reads a weights digest from a header value or JSON field: 0x and 64 hex digits, lower-cased. Undefined when
 * absent, malformed or zero (zero is the "nothing declared" placeholder, never a real sha256).
 *
 * @example
 * parseWeightsDigest(res.headers[weightsDigestHeaderName.toLowerCase()]); // "0x3f…" or undefined
 */
export function parseWeightsDigest(value: unknown): Hex | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== "string") return undefined;
  const trimmed = text.trim();
  if (!digestPattern.test(trimmed) || /^0x0{64}$/.test(trimmed)) return undefined;
  return trimmed.toLowerCase() as Hex;
}
