import fc from "fast-check";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  ComputeUnitMode,
  computeRequestDigest,
  computeResponseDigest,
  hashRelayRequest,
  InvalidRelaySignatureError,
  isRewardApplicable,
  type Relay,
  type RelayDomain,
  RelayRequestHashMismatchError,
  RelayResponseSignerMismatchError,
  relayDomainSeparator,
  relayHash,
  relayWeight,
  signRelayRequest,
  signRelayResponse,
  verifyRelay,
} from "../src/relay/index.js";

const domain: RelayDomain = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const appKey = keccak256(toHex("application"));
const gatewayKey = keccak256(toHex("gateway"));
const supplierKey = keccak256(toHex("supplier"));
const strangerKey = keccak256(toHex("stranger"));

function makeRelay(nonce: bigint, signerKey: Hex = appKey, d: RelayDomain = domain): Relay {
  const request = {
    application: privateKeyToAddress(appKey),
    serviceId: toHex("tiny-llama", { size: 32 }),
    session: 3n,
    supplier: privateKeyToAddress(supplierKey),
    requestDigest: computeRequestDigest({
      method: "POST",
      path: "/v1/chat/completions",
      body: '{"prompt":"hi"}',
    }),
    maxTokens: 64,
    nonce,
  };
  const response = {
    requestHash: hashRelayRequest(request, d),
    responseDigest: computeResponseDigest("data: hello\n\n"),
    inputTokens: 5,
    outputTokens: 80,
  };
  return {
    request,
    requestSignature: signRelayRequest({ request, domain: d, privateKey: signerKey }),
    response,
    responseSignature: signRelayResponse({ response, domain: d, privateKey: supplierKey }),
  };
}

const relay = makeRelay(1n);

describe("verifyRelay", () => {
  it("accepts a relay signed by its application and its supplier", () => {
    expect(verifyRelay(relay, domain)).toEqual({
      relayHash: hashRelayRequest(relay.request, domain),
      requestSigner: relay.request.application,
      signedByApplication: true,
      supplier: relay.request.supplier,
    });
    expect(verifyRelay(relay, relayDomainSeparator(domain)).relayHash).toBe(relayHash(relay, domain));
  });

  it("reports a gateway signer so the caller can check delegation", () => {
    const result = verifyRelay(makeRelay(2n, gatewayKey), domain);
    expect(result.requestSigner).toBe(privateKeyToAddress(gatewayKey));
    expect(result.signedByApplication).toBe(false);
  });

  it("compares the committed request hash case-insensitively", () => {
    const upper = {
      ...relay.response,
      requestHash: `0x${relay.response.requestHash.slice(2).toUpperCase()}` as Hex,
    };
    const resigned = {
      ...relay,
      response: upper,
      responseSignature: signRelayResponse({ response: upper, domain, privateKey: supplierKey }),
    };
    expect(verifyRelay(resigned, domain).signedByApplication).toBe(true);
  });

  it("rejects a request altered after signing, a swapped response and another domain", () => {
    const other = makeRelay(2n);
    const cases: Relay[] = [
      { ...relay, request: { ...relay.request, maxTokens: 4096 } },
      { ...relay, request: { ...relay.request, nonce: 2n } },
      { ...relay, response: other.response, responseSignature: other.responseSignature },
      makeRelay(1n, appKey, { ...domain, chainId: 1 }),
    ];
    for (const tampered of cases) {
      expect(() => verifyRelay(tampered, domain)).toThrow(RelayRequestHashMismatchError);
      expect(() => verifyRelay(tampered, domain)).toThrow(
        /belongs to another relay or the request was altered/,
      );
    }
  });

  it("rejects a response altered after signing or signed by another key", () => {
    const cases: Relay[] = [
      { ...relay, response: { ...relay.response, outputTokens: 81 } },
      { ...relay, response: { ...relay.response, responseDigest: keccak256("0x00") } },
      {
        ...relay,
        responseSignature: signRelayResponse({ response: relay.response, domain, privateKey: strangerKey }),
      },
    ];
    for (const tampered of cases) {
      expect(() => verifyRelay(tampered, domain)).toThrow(RelayResponseSignerMismatchError);
      expect(() => verifyRelay(tampered, domain)).toThrow(
        expect.objectContaining({ code: "RelayResponseSignerMismatch", supplier: relay.request.supplier }),
      );
    }
    const wrongKey = cases[2] as Relay;
    expect(() => verifyRelay(wrongKey, domain)).toThrow(
      expect.objectContaining({ signer: privateKeyToAddress(strangerKey) }),
    );
  });

  it("names the half of the relay whose signature is malformed", () => {
    const badRequest = { ...relay, requestSignature: `${relay.requestSignature.slice(0, 130)}00` as Hex };
    const badResponse = { ...relay, responseSignature: relay.responseSignature.slice(0, 100) as Hex };
    expect(() => verifyRelay(badRequest, domain)).toThrow(InvalidRelaySignatureError);
    expect(() => verifyRelay(badRequest, domain)).toThrow(
      expect.objectContaining({ code: "RelayInvalidSignatureV", part: "request" }),
    );
    expect(() => verifyRelay(badResponse, domain)).toThrow(
      expect.objectContaining({ code: "RelayInvalidSignatureLength", part: "response" }),
    );
    expect(() => verifyRelay(badResponse, domain)).toThrow(
      /Invalid response signature: expected 65 bytes, got 49/,
    );
  });
});

describe("relayHash", () => {
  it("depends only on the request: re-signing or editing the response cannot grind it", () => {
    const resigned: Relay = {
      ...relay,
      response: { ...relay.response, outputTokens: 1 },
      responseSignature: signRelayResponse({
        response: { ...relay.response, outputTokens: 1 },
        domain,
        privateKey: supplierKey,
      }),
    };
    expect(relayHash(resigned, domain)).toBe(relayHash(relay, domain));
    expect(relayHash(makeRelay(2n), domain)).not.toBe(relayHash(relay, domain));
  });
});

describe("relayWeight", () => {
  const perToken = {
    cuMode: ComputeUnitMode.PerToken,
    cuPerRelay: 999n,
    cuPerInputToken: 1n,
    cuPerOutputToken: 3n,
  };
  const weigh = (maxTokens: number, inputTokens: number, outputTokens: number) =>
    relayWeight(perToken, { request: { maxTokens }, response: { inputTokens, outputTokens } });

  it("PerRelay services weigh every relay cuPerRelay", () => {
    expect(relayWeight({ ...perToken, cuMode: ComputeUnitMode.PerRelay }, relay)).toBe(999n);
  });

  it("PerToken services bill output tokens up to maxTokens", () => {
    expect(weigh(100, 20, 150)).toBe(320n);
    expect(weigh(100, 20, 50)).toBe(170n);
    expect(weigh(0, 20, 50)).toBe(20n);
  });

  it("never overflows and never pays for output beyond the cap", () => {
    const max64 = 2n ** 64n - 1n;
    const max32 = 2 ** 32 - 1;
    const huge = {
      cuMode: ComputeUnitMode.PerToken,
      cuPerRelay: 0n,
      cuPerInputToken: max64,
      cuPerOutputToken: max64,
    };
    expect(
      relayWeight(huge, {
        request: { maxTokens: max32 },
        response: { inputTokens: max32, outputTokens: max32 },
      }),
    ).toBe(2n * BigInt(max32) * max64);
    const u32 = fc.integer({ min: 0, max: max32 });
    fc.assert(
      fc.property(u32, u32, u32, u32, (maxTokens, input, output, extra) => {
        expect(weigh(maxTokens, input, output)).toBe(
          BigInt(input) + 3n * BigInt(Math.min(output, maxTokens)),
        );
        expect(weigh(maxTokens, input, Math.max(output, extra)) >= weigh(maxTokens, input, output)).toBe(
          true,
        );
        expect(weigh(maxTokens, input, Math.max(output, maxTokens, extra))).toBe(
          BigInt(input) + 3n * BigInt(maxTokens),
        );
      }),
    );
  });

  it("rejects an unknown mode", () => {
    expect(() => relayWeight({ ...perToken, cuMode: 2 }, relay)).toThrow(/unknown compute unit mode 2/);
  });
});

describe("isRewardApplicable", () => {
  it("is uint256(relayHash) < target, strictly", () => {
    const hash = relayHash(relay, domain);
    expect(isRewardApplicable(hash, BigInt(hash))).toBe(false);
    expect(isRewardApplicable(hash, BigInt(hash) + 1n)).toBe(true);
    expect(isRewardApplicable(hash, 0n)).toBe(false);
    expect(isRewardApplicable(hash, 2n ** 256n)).toBe(true);
  });
});
