// Writes packages/core/test/vectors/relays.json: deterministic relays (valid, tampered and malformed) with the
// outcomes the TypeScript code gives, which contracts/test/RelayVectors.t.sol checks RelayLib against.
//   npx tsx packages/core/scripts/make-relay-vectors.ts
// Hashes come from viem's generic hashTypedData (not the hand-rolled hot path) and valid signers are
// re-checked with viem's recoverAddress, so the file is an independent reference for both implementations.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Address,
  type Hex,
  hashTypedData,
  isAddressEqual,
  keccak256,
  recoverAddress,
  stringToHex,
} from "viem";
import { privateKeyToAddress } from "viem/accounts";
import {
  ComputeUnitMode,
  computeRequestDigest,
  computeResponseDigest,
  decodeRelay,
  encodeRelay,
  isRewardApplicable,
  type Relay,
  type RelayDomain,
  RelayError,
  type RelayRequest,
  type RelayResponse,
  recoverRelayRequestSigner,
  recoverRelayResponseSigner,
  relayDomainSeparator,
  relayRequestTypeHash,
  relayResponseTypeHash,
  relayTypedDataDomain,
  relayTypes,
  relayWeight,
  type ServiceComputeUnits,
  signRelayRequest,
  signRelayResponse,
  verifyRelay,
} from "../src/relay/index.js";
import { flipBit, highS, Rand, type RelayVector, type RelayVectorsFile } from "./relayVectorKit.js";

export type { RelayVector, RelayVectorsFile } from "./relayVectorKit.js";

export const relayVectorsSeed = "decai/relay-vectors/v1";
const zeroAddress: Address = "0x0000000000000000000000000000000000000000";

const keyOf = (label: string): Hex => keccak256(stringToHex(`${relayVectorsSeed}/key/${label}`));
/** The reference digest: viem's generic EIP-712 code, not the hand-rolled hot path under test. */
function viemHash(domain: RelayDomain, primaryType: "RelayRequest", message: RelayRequest): Hex;
function viemHash(domain: RelayDomain, primaryType: "RelayResponse", message: RelayResponse): Hex;
function viemHash(domain: RelayDomain, primaryType: "RelayRequest" | "RelayResponse", message: object): Hex {
  return hashTypedData({
    domain: relayTypedDataDomain(domain),
    types: relayTypes,
    primaryType,
    message,
  } as never);
}

type Keys = { applications: Hex[]; suppliers: Hex[]; gateways: Hex[] };

function makeService(rand: Rand, edge: boolean): ServiceComputeUnits {
  const max64 = (1n << 64n) - 1n;
  return {
    cuMode: rand.pick([ComputeUnitMode.PerRelay, ComputeUnitMode.PerToken]),
    cuPerRelay: edge ? max64 : rand.bits(20),
    cuPerInputToken: edge ? max64 : rand.bits(8),
    cuPerOutputToken: edge ? max64 : rand.bits(10),
  };
}

function makeRelay(
  rand: Rand,
  keys: Keys,
  domain: RelayDomain,
  index: number,
): { relay: Relay; signerKey: Hex } {
  const appKey = rand.pick(keys.applications);
  const supplierKey = rand.pick(keys.suppliers);
  const edge = index % 10 === 9; // every tenth relay takes extreme integer values
  const max32 = 2 ** 32 - 1;
  const maxTokens = edge ? rand.pick([0, max32]) : rand.below(4096);
  const request: RelayRequest = {
    application: privateKeyToAddress(appKey),
    serviceId: rand.bytes32(),
    session: edge ? (1n << 64n) - 1n : rand.bits(rand.pick([8, 24, 64])),
    supplier: privateKeyToAddress(supplierKey),
    requestDigest: computeRequestDigest({
      method: rand.pick(["POST", "GET"]),
      path: rand.pick(["/v1/chat/completions", "/v1/completions", "/v1/models?x=1"]),
      body: JSON.stringify({ prompt: rand.bytes32(), max_tokens: maxTokens }),
    }),
    maxTokens,
    nonce: edge ? (1n << 64n) - 1n : rand.bits(64),
  };
  // A fifth of the requests are signed by a gateway acting for the application.
  const signerKey = index % 5 === 4 ? rand.pick(keys.gateways) : appKey;
  const response: RelayResponse = {
    requestHash: viemHash(domain, "RelayRequest", request),
    responseDigest: computeResponseDigest(`data: ${rand.bytes32()}\n\n`),
    inputTokens: edge ? max32 : rand.below(2048),
    outputTokens: edge ? max32 : rand.below(5000), // sometimes above maxTokens: the weight caps it
  };
  return {
    relay: {
      request,
      requestSignature: signRelayRequest({ request, domain, privateKey: signerKey }),
      response,
      responseSignature: signRelayResponse({ response, domain, privateKey: supplierKey }),
    },
    signerKey,
  };
}

function recoverOrError(recover: () => Address): [Address, string] {
  try {
    return [recover(), ""];
  } catch (error) {
    if (error instanceof RelayError) return [zeroAddress, error.code];
    throw error;
  }
}

function vectorOf(
  name: string,
  kind: string,
  domain: RelayDomain,
  relay: Relay,
  service: ServiceComputeUnits,
  target: bigint,
  expectedError: string,
): RelayVector {
  const relayHash = viemHash(domain, "RelayRequest", relay.request);
  const responseHash = viemHash(domain, "RelayResponse", relay.response);
  const [requestSigner, requestSignerError] = recoverOrError(() =>
    recoverRelayRequestSigner({ request: relay.request, domain, signature: relay.requestSignature }),
  );
  const [responseSigner, responseSignerError] = recoverOrError(() =>
    recoverRelayResponseSigner({ response: relay.response, domain, signature: relay.responseSignature }),
  );
  let error = "";
  try {
    verifyRelay(relay, domain);
  } catch (e) {
    if (!(e instanceof RelayError)) throw e;
    error = e.code;
  }
  if (error !== expectedError) throw new Error(`vector ${name}: expected "${expectedError}", got "${error}"`);
  const encoded = encodeRelay(relay);
  const { request, response } = relay;
  return {
    name,
    kind,
    chainId: String(domain.chainId),
    verifyingContract: domain.verifyingContract,
    domainSeparator: relayDomainSeparator(domain),
    encoded,
    decodable: true,
    relay: {
      application: request.application,
      serviceId: request.serviceId,
      session: String(request.session),
      supplier: request.supplier,
      requestDigest: request.requestDigest,
      maxTokens: request.maxTokens,
      nonce: String(request.nonce),
      requestSignature: relay.requestSignature,
      requestHash: response.requestHash,
      responseDigest: response.responseDigest,
      inputTokens: response.inputTokens,
      outputTokens: response.outputTokens,
      responseSignature: relay.responseSignature,
    },
    relayHash,
    responseHash,
    requestSigner,
    requestSignerError,
    responseSigner,
    responseSignerError,
    signedByApplication: requestSignerError === "" && isAddressEqual(requestSigner, request.application),
    service: {
      cuMode: service.cuMode,
      cuPerRelay: String(service.cuPerRelay),
      cuPerInputToken: String(service.cuPerInputToken),
      cuPerOutputToken: String(service.cuPerOutputToken),
    },
    weight: String(relayWeight(service, relay)),
    target: String(target),
    rewardApplicable: isRewardApplicable(relayHash, target),
    valid: error === "",
    error,
  };
}

function malformed(name: string, base: RelayVector, encoded: Hex): RelayVector {
  let decodeError = "";
  try {
    decodeRelay(encoded);
  } catch (e) {
    if (!(e instanceof RelayError)) throw e;
    decodeError = e.code;
  }
  if (decodeError !== "RelayMalformed")
    throw new Error(`vector ${name}: decodeRelay accepted malformed bytes`);
  return {
    ...base,
    name,
    kind: name,
    encoded,
    decodable: false,
    valid: false,
    error: "RelayMalformed",
  };
}

/** Replaces the 32-byte word at byte `offset` of an encoding. */
const withWord = (encoded: Hex, offset: number, word: bigint): Hex => {
  const at = 2 + offset * 2;
  return `${encoded.slice(0, at)}${word.toString(16).padStart(64, "0")}${encoded.slice(at + 64)}` as Hex;
};

type Base = { relay: Relay; domain: RelayDomain; service: ServiceComputeUnits; target: bigint };
type TamperContext = { domain: RelayDomain; other: Relay; keys: Keys; i: number };

/** [name, expected verifyRelay error, how to derive the tampered relay from a valid one]. */
const tampers: [string, string, (relay: Relay, ctx: TamperContext) => Relay][] = [
  [
    "flipped-request-digest",
    "RelayRequestHashMismatch",
    (r) => ({ ...r, request: { ...r.request, requestDigest: flipBit(r.request.requestDigest) } }),
  ],
  [
    "flipped-nonce",
    "RelayRequestHashMismatch",
    (r) => ({ ...r, request: { ...r.request, nonce: r.request.nonce ^ 1n } }),
  ],
  [
    "flipped-response-digest",
    "RelayResponseSignerMismatch",
    (r) => ({ ...r, response: { ...r.response, responseDigest: flipBit(r.response.responseDigest) } }),
  ],
  [
    "altered-output-tokens",
    "RelayResponseSignerMismatch",
    (r) => ({ ...r, response: { ...r.response, outputTokens: (r.response.outputTokens ^ 1) >>> 0 } }),
  ],
  [
    "swapped-response",
    "RelayRequestHashMismatch",
    (r, { other }) => ({ ...r, response: other.response, responseSignature: other.responseSignature }),
  ],
  [
    "wrong-supplier-signer",
    "RelayResponseSignerMismatch",
    (r, { domain, keys }) => {
      const wrongKey = keys.suppliers.find(
        (k) => !isAddressEqual(privateKeyToAddress(k), r.request.supplier),
      ) as Hex;
      return {
        ...r,
        responseSignature: signRelayResponse({ response: r.response, domain, privateKey: wrongKey }),
      };
    },
  ],
  [
    "high-s-request",
    "RelayInvalidSignatureS",
    (r) => ({ ...r, requestSignature: highS(r.requestSignature) }),
  ],
  [
    "high-s-response",
    "RelayInvalidSignatureS",
    (r) => ({ ...r, responseSignature: highS(r.responseSignature) }),
  ],
  [
    "bad-v-request",
    "RelayInvalidSignatureV",
    (r, { i }) => ({ ...r, requestSignature: `${r.requestSignature.slice(0, 130)}0${i % 2}` as Hex }),
  ],
  [
    "short-response-signature",
    "RelayInvalidSignatureLength",
    (r) => ({ ...r, responseSignature: r.responseSignature.slice(0, 130) as Hex }),
  ],
  [
    "zero-r-request",
    "RelayInvalidSignature",
    (r) => ({ ...r, requestSignature: `0x${"00".repeat(32)}${r.requestSignature.slice(66)}` as Hex }),
  ],
];

/**
 * Builds the vectors file deterministically from `relayVectorsSeed`.
 *
 * @example
 * writeFileSync("relays.json", `${JSON.stringify(makeRelayVectors(), null, 2)}\n`);
 */
export function makeRelayVectors(): RelayVectorsFile {
  const rand = new Rand(relayVectorsSeed);
  const keys: Keys = {
    applications: [0, 1, 2, 3].map((i) => keyOf(`application-${i}`)),
    suppliers: [0, 1, 2, 3].map((i) => keyOf(`supplier-${i}`)),
    gateways: [0, 1].map((i) => keyOf(`gateway-${i}`)),
  };
  const domains: RelayDomain[] = [
    { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
    { chainId: 8453, verifyingContract: rand.address() },
    { chainId: (1n << 200n) + 7n, verifyingContract: rand.address() },
  ];
  const vectors: RelayVector[] = [];
  const bases: Base[] = [];
  for (let i = 0; i < 50; i++) {
    const domain = rand.pick(domains);
    const { relay, signerKey } = makeRelay(rand, keys, domain, i);
    const service = makeService(rand, i % 10 === 9);
    const hash = BigInt(relay.response.requestHash);
    // Targets around the hash pin the strict `<`; the others are random difficulties.
    const target = [hash, hash + 1n, rand.bits(256), rand.bits(252), (1n << 256n) - 1n][i % 5] as bigint;
    const kind =
      signerKey === keyOf("gateway-0") || signerKey === keyOf("gateway-1") ? "gateway-signed" : "valid";
    vectors.push(vectorOf(`${kind}-${i}`, kind, domain, relay, service, target, ""));
    bases.push({ relay, domain, service, target });
  }
  for (let i = 0; i < 3; i++) {
    tampers.forEach(([name, error, change], t) => {
      const index = i + 3 * t;
      const base = bases[index % bases.length] as Base;
      const other = (bases[(index + 7) % bases.length] as Base).relay;
      const relay = change(base.relay, { domain: base.domain, other, keys, i });
      vectors.push(vectorOf(name, name, base.domain, relay, base.service, base.target, error));
    });
  }
  // The same relay checked under another deployment's domain: the request hashes differently.
  {
    const base = bases[33] as Base;
    const domain = domains.find((d) => d !== base.domain) as RelayDomain;
    vectors.push(
      vectorOf(
        "other-domain",
        "other-domain",
        domain,
        base.relay,
        base.service,
        base.target,
        "RelayRequestHashMismatch",
      ),
    );
  }
  const first = vectors[0] as RelayVector;
  const encoded = first.encoded;
  const end = (encoded.length - 2) / 2;
  const malformedEncodings: [string, Hex][] = [
    ["trailing-byte", `${encoded}00`],
    ["trailing-word", `${encoded}${"00".repeat(32)}`],
    ["truncated", encoded.slice(0, -2) as Hex],
    ["empty", "0x"],
    ["dirty-padding", `${encoded.slice(0, -2)}01` as Hex],
    ["dirty-max-tokens", withWord(encoded, 5 * 32, (1n << 32n) | 5n)],
    ["dirty-application", withWord(encoded, 0, (1n << 160n) | BigInt(first.relay.application))],
    ["non-canonical-offset", withWord(encoded, 7 * 32, 13n * 32n + 32n)],
    ["oversized-signature-length", withWord(encoded, 13 * 32, BigInt(end))],
  ];
  for (const [name, bytes] of malformedEncodings) vectors.push(malformed(name, first, bytes));
  if (first.decodable !== true || end !== 672)
    throw new Error("first vector must be a canonical 672-byte relay");
  return {
    seed: relayVectorsSeed,
    requestTypeHash: relayRequestTypeHash,
    responseTypeHash: relayResponseTypeHash,
    count: vectors.length,
    vectors,
  };
}

/** Cross-checks with viem's recoverAddress that the signers the fast path recovered are right. */
export async function checkRelayVectorSigners(file: RelayVectorsFile): Promise<void> {
  for (const v of file.vectors) {
    if (!v.decodable) continue;
    if (v.requestSignerError === "") {
      const signer = await recoverAddress({ hash: v.relayHash, signature: v.relay.requestSignature });
      if (!isAddressEqual(signer, v.requestSigner))
        throw new Error(`vector ${v.name}: request signer differs from viem`);
    }
    if (v.responseSignerError === "") {
      const signer = await recoverAddress({ hash: v.responseHash, signature: v.relay.responseSignature });
      if (!isAddressEqual(signer, v.responseSigner))
        throw new Error(`vector ${v.name}: response signer differs from viem`);
    }
  }
}

export const relayVectorsPath = fileURLToPath(new URL("../test/vectors/relays.json", import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = makeRelayVectors();
  await checkRelayVectorSigners(file);
  writeFileSync(relayVectorsPath, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`wrote ${file.count} relay vectors to ${relayVectorsPath}`);
}
