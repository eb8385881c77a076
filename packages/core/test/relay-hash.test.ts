import fc from "fast-check";
import {
  getAddress,
  type Hex,
  hashDomain,
  hashTypedData,
  keccak256,
  recoverAddress,
  recoverTypedDataAddress,
  stringToBytes,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  hashRelayRequest,
  hashRelayResponse,
  InvalidRelaySignatureError,
  type RelayDomain,
  type RelayRequest,
  recoverRelayRequest,
  recoverRelayRequestSigner,
  recoverRelayResponseSigner,
  relayDomainSeparator,
  relayHash,
  relayRequestType,
  relayRequestTypeHash,
  relayResponseType,
  relayResponseTypeHash,
  relayTypedDataDomain,
  relayTypes,
  signRelayRequest,
  signRelayResponse,
} from "../src/relay/index.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const address = bytes(20).map((b) => getAddress(toHex(b)));
const hex32 = bytes(32).map((b) => toHex(b));
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const domainArb: fc.Arbitrary<RelayDomain> = fc.record({
  chainId: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.bigInt({ min: 1n, max: 2n ** 256n - 1n })),
  verifyingContract: address,
});
const requestArb: fc.Arbitrary<RelayRequest> = fc.record({
  application: address,
  serviceId: hex32,
  session: uint64,
  supplier: address,
  requestDigest: hex32,
  maxTokens: uint32,
  nonce: uint64,
});
const responseArb = fc.record({
  requestHash: hex32,
  responseDigest: hex32,
  inputTokens: uint32,
  outputTokens: uint32,
});
const privateKeyArb = hex32.filter((k) => BigInt(k) !== 0n && BigInt(k) < 2n ** 256n - 2n ** 129n);

const domain: RelayDomain = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const key: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const request: RelayRequest = {
  application: privateKeyToAccount(key).address,
  serviceId: toHex("tiny-llama", { size: 32 }),
  session: 42n,
  supplier: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  requestDigest: keccak256("0x01"),
  maxTokens: 256,
  nonce: 7n,
};
const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Replaces byte range [from, to) of a hex signature. */
const patch = (signature: Hex, from: number, hex: string): Hex =>
  `${signature.slice(0, 2 + from * 2)}${hex}${signature.slice(2 + from * 2 + hex.length)}` as Hex;

describe("EIP-712 hashing", () => {
  it("type hashes are the keccak of the type strings", () => {
    expect(relayRequestTypeHash).toBe(keccak256(stringToBytes(relayRequestType)));
    expect(relayResponseTypeHash).toBe(keccak256(stringToBytes(relayResponseType)));
  });

  it("the domain separator equals viem's hashDomain", () => {
    fc.assert(
      fc.property(domainArb, (d) => {
        const viem = hashDomain({
          domain: { ...relayTypedDataDomain(d), chainId: BigInt(d.chainId) },
          types: {
            EIP712Domain: [
              { name: "name", type: "string" },
              { name: "version", type: "string" },
              { name: "chainId", type: "uint256" },
              { name: "verifyingContract", type: "address" },
            ],
          },
        });
        expect(relayDomainSeparator(d)).toBe(viem);
      }),
    );
  });

  it("hashRelayRequest and hashRelayResponse equal viem's hashTypedData", () => {
    fc.assert(
      fc.property(domainArb, requestArb, responseArb, (d, req, res) => {
        const typed = relayTypedDataDomain(d);
        expect(hashRelayRequest(req, d)).toBe(
          hashTypedData({ domain: typed, types: relayTypes, primaryType: "RelayRequest", message: req }),
        );
        expect(hashRelayResponse(res, d)).toBe(
          hashTypedData({ domain: typed, types: relayTypes, primaryType: "RelayResponse", message: res }),
        );
        // A precomputed separator is the same domain.
        expect(hashRelayRequest(req, relayDomainSeparator(d))).toBe(hashRelayRequest(req, d));
      }),
      { numRuns: 200 },
    );
  });

  it("every request field and both domain fields change the hash", () => {
    const base = hashRelayRequest(request, domain);
    const changed: RelayRequest[] = [
      { ...request, application: request.supplier },
      { ...request, serviceId: keccak256("0x02") },
      { ...request, session: 43n },
      { ...request, supplier: request.application },
      { ...request, requestDigest: keccak256("0x02") },
      { ...request, maxTokens: 257 },
      { ...request, nonce: 8n },
    ];
    for (const other of changed) expect(hashRelayRequest(other, domain)).not.toBe(base);
    expect(hashRelayRequest(request, { ...domain, chainId: 1 })).not.toBe(base);
    expect(hashRelayRequest(request, { ...domain, verifyingContract: request.supplier })).not.toBe(base);
  });

  it("relayHash is the request digest and ignores the response", () => {
    expect(relayHash({ request }, domain)).toBe(hashRelayRequest(request, domain));
  });

  it("rejects out-of-range and malformed fields with the field's name", () => {
    expect(() => hashRelayRequest({ ...request, maxTokens: 2 ** 32 }, domain)).toThrow(/request\.maxTokens/);
    expect(() => hashRelayRequest({ ...request, maxTokens: 1.5 }, domain)).toThrow(/request\.maxTokens/);
    expect(() => hashRelayRequest({ ...request, nonce: 2n ** 64n }, domain)).toThrow(/request\.nonce/);
    expect(() => hashRelayRequest({ ...request, session: 1 as unknown as bigint }, domain)).toThrow(
      /request\.session must be a bigint/,
    );
    expect(() => hashRelayRequest({ ...request, application: "0x1234" }, domain)).toThrow(
      /request\.application/,
    );
    expect(() => hashRelayRequest({ ...request, supplier: `0x${"zz".repeat(20)}` }, domain)).toThrow(
      /request\.supplier/,
    );
    expect(() => hashRelayRequest({ ...request, serviceId: "0x00" }, domain)).toThrow(/request\.serviceId/);
    expect(() => hashRelayRequest(request, { ...domain, chainId: -1 })).toThrow(/domain\.chainId/);
    expect(() => hashRelayRequest(request, "0x1234")).toThrow(/domain separator/);
  });
});

describe("signing and recovery", () => {
  it("signatures are byte-identical to viem's signTypedData and recover like recoverTypedDataAddress", async () => {
    await fc.assert(
      fc.asyncProperty(privateKeyArb, domainArb, requestArb, responseArb, async (pk, d, req, res) => {
        const account = privateKeyToAccount(pk);
        const typed = relayTypedDataDomain(d);
        const requestSignature = signRelayRequest({ request: req, domain: d, privateKey: pk });
        const responseSignature = signRelayResponse({ response: res, domain: d, privateKey: pk });
        expect(requestSignature).toBe(
          await account.signTypedData({
            domain: typed,
            types: relayTypes,
            primaryType: "RelayRequest",
            message: req,
          }),
        );
        expect(responseSignature).toBe(
          await account.signTypedData({
            domain: typed,
            types: relayTypes,
            primaryType: "RelayResponse",
            message: res,
          }),
        );
        const viemSigner = await recoverTypedDataAddress({
          domain: typed,
          types: relayTypes,
          primaryType: "RelayRequest",
          message: req,
          signature: requestSignature,
        });
        expect(recoverRelayRequestSigner({ request: req, domain: d, signature: requestSignature })).toBe(
          viemSigner,
        );
        expect(viemSigner).toBe(account.address);
        expect(recoverRelayRequest({ request: req, domain: d, signature: requestSignature })).toEqual({
          signer: viemSigner,
          requestHash: hashTypedData({
            domain: typed,
            types: relayTypes,
            primaryType: "RelayRequest",
            message: req,
          }),
        });
        expect(recoverRelayResponseSigner({ response: res, domain: d, signature: responseSignature })).toBe(
          account.address,
        );
      }),
      { numRuns: 25 },
    );
  });

  it("produces low-s signatures with v = 27 or 28", () => {
    fc.assert(
      fc.property(privateKeyArb, requestArb, (pk, req) => {
        const signature = signRelayRequest({ request: req, domain, privateKey: pk });
        expect(signature).toMatch(/^0x[0-9a-f]{130}$/);
        expect(BigInt(`0x${signature.slice(66, 130)}`) <= curveOrder / 2n).toBe(true);
        expect(["1b", "1c"]).toContain(signature.slice(130));
      }),
    );
  });

  it("accepts private keys as bytes and separators as domains", () => {
    const signature = signRelayRequest({ request, domain, privateKey: key });
    const fromBytes = signRelayRequest({
      request,
      domain: relayDomainSeparator(domain),
      privateKey: Buffer.from(key.slice(2), "hex"),
    });
    expect(fromBytes).toBe(signature);
  });

  it("a signature recovers someone else under another domain", () => {
    const signature = signRelayRequest({ request, domain, privateKey: key });
    const other = recoverRelayRequestSigner({ request, domain: { ...domain, chainId: 1 }, signature });
    expect(other).not.toBe(request.application);
  });

  it("rejects the malleable high-s twin that plain ecrecover (and viem) accept", async () => {
    const signature = signRelayRequest({ request, domain, privateKey: key });
    const s = curveOrder - BigInt(`0x${signature.slice(66, 130)}`);
    const twin =
      `${signature.slice(0, 66)}${s.toString(16).padStart(64, "0")}${signature.endsWith("1b") ? "1c" : "1b"}` as Hex;
    expect(await recoverAddress({ hash: hashRelayRequest(request, domain), signature: twin })).toBe(
      request.application,
    );
    const attempt = () => recoverRelayRequestSigner({ request, domain, signature: twin });
    expect(attempt).toThrow(InvalidRelaySignatureError);
    expect(attempt).toThrow(expect.objectContaining({ code: "RelayInvalidSignatureS", part: "request" }));
  });

  it("rejects malformed signatures with the code RelayLib uses", () => {
    const signature = signRelayRequest({ request, domain, privateKey: key });
    const cases: [Hex, string][] = [
      [patch(signature, 64, "00"), "RelayInvalidSignatureV"],
      [patch(signature, 64, "01"), "RelayInvalidSignatureV"],
      [patch(signature, 64, "1d"), "RelayInvalidSignatureV"],
      [signature.slice(0, 130) as Hex, "RelayInvalidSignatureLength"],
      [`${signature}00`, "RelayInvalidSignatureLength"],
      [`0x${"zz".repeat(65)}`, "RelayInvalidSignatureLength"],
      [patch(signature, 0, "00".repeat(32)), "RelayInvalidSignature"],
      [patch(signature, 0, curveOrder.toString(16)), "RelayInvalidSignature"],
    ];
    for (const [bad, code] of cases) {
      expect(() =>
        recoverRelayResponseSigner({
          response: {
            requestHash: hashRelayRequest(request, domain),
            responseDigest: keccak256("0x"),
            inputTokens: 1,
            outputTokens: 2,
          },
          domain,
          signature: bad,
        }),
      ).toThrow(expect.objectContaining({ code, part: "response" }));
    }
  });

  it("rejects invalid private keys with a clear error", () => {
    expect(() => signRelayRequest({ request, domain, privateKey: `0x${"00".repeat(32)}` })).toThrow(
      /not a valid secp256k1 private key/,
    );
    expect(() => signRelayRequest({ request, domain, privateKey: "0x1234" })).toThrow(
      /privateKey must be 32 bytes/,
    );
    expect(() => signRelayRequest({ request, domain, privateKey: new Uint8Array(31) })).toThrow(
      /privateKey must be 32 bytes/,
    );
  });
});
