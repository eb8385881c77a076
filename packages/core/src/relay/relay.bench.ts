// Relay hot path against viem's generic typed-data code: npx vitest bench packages/core/src/relay
import { hashTypedData, keccak256, recoverTypedDataAddress, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { bench, describe } from "vitest";
import { computeRequestDigest } from "./digest.js";
import { decodeRelay, encodeRelay } from "./encoding.js";
import { hashRelayRequest } from "./hash.js";
import { recoverRelayRequestSigner, signRelayRequest, signRelayResponse } from "./sign.js";
import { relayDomainSeparator, relayTypedDataDomain, relayTypes } from "./typedData.js";
import type { Relay, RelayDomain, RelayRequest } from "./types.js";
import { verifyRelay } from "./verify.js";

const domain: RelayDomain = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const separator = relayDomainSeparator(domain);
const privateKey = keccak256(toHex("bench"));
const account = privateKeyToAccount(privateKey);
const request: RelayRequest = {
  application: account.address,
  serviceId: toHex("tiny-llama", { size: 32 }),
  session: 12n,
  supplier: account.address,
  requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body: "{}" }),
  maxTokens: 256,
  nonce: 99n,
};
const requestSignature = signRelayRequest({ request, domain, privateKey });
const response = {
  requestHash: hashRelayRequest(request, domain),
  responseDigest: request.requestDigest,
  inputTokens: 9,
  outputTokens: 120,
};
const relay: Relay = {
  request,
  requestSignature,
  response,
  responseSignature: signRelayResponse({ response, domain, privateKey }),
};
const encoded = encodeRelay(relay);
const typed = {
  domain: relayTypedDataDomain(domain),
  types: relayTypes,
  primaryType: "RelayRequest",
  message: request,
} as const;

describe("hash a request", () => {
  bench("hashRelayRequest (separator)", () => {
    hashRelayRequest(request, separator);
  });
  bench("hashRelayRequest (domain)", () => {
    hashRelayRequest(request, domain);
  });
  bench("viem hashTypedData", () => {
    hashTypedData(typed);
  });
});

describe("sign a request", () => {
  bench("signRelayRequest (libsecp256k1)", () => {
    signRelayRequest({ request, domain: separator, privateKey });
  });
  bench("viem signTypedData (noble)", async () => {
    await account.signTypedData(typed);
  });
});

describe("recover a request signer", () => {
  bench("recoverRelayRequestSigner (libsecp256k1)", () => {
    recoverRelayRequestSigner({ request, domain: separator, signature: requestSignature });
  });
  bench("viem recoverTypedDataAddress (noble)", async () => {
    await recoverTypedDataAddress({ ...typed, signature: requestSignature });
  });
});

describe("whole relay", () => {
  bench("verifyRelay (separator)", () => {
    verifyRelay(relay, separator);
  });
  bench("encodeRelay", () => {
    encodeRelay(relay);
  });
  bench("decodeRelay", () => {
    decodeRelay(encoded);
  });
});
