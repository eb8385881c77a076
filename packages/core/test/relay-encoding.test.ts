import fc from "fast-check";
import { decodeAbiParameters, encodeAbiParameters, getAddress, type Hex, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { decodeRelay, encodeRelay, MalformedRelayError, type Relay } from "../src/relay/index.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const address = bytes(20).map((b) => getAddress(toHex(b)));
const hex32 = bytes(32).map((b) => toHex(b));
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const signature = fc.oneof(bytes(65), fc.uint8Array({ maxLength: 100 })).map((b) => toHex(b));
const relayArb: fc.Arbitrary<Relay> = fc.record({
  request: fc.record({
    application: address,
    serviceId: hex32,
    session: uint64,
    supplier: address,
    requestDigest: hex32,
    maxTokens: uint32,
    nonce: uint64,
  }),
  requestSignature: signature,
  response: fc.record({
    requestHash: hex32,
    responseDigest: hex32,
    inputTokens: uint32,
    outputTokens: uint32,
  }),
  responseSignature: signature,
});

// The Solidity signature: abi.encode(RelayRequest, bytes, RelayResponse, bytes).
const relayAbi = [
  {
    type: "tuple",
    components: [
      { name: "application", type: "address" },
      { name: "serviceId", type: "bytes32" },
      { name: "session", type: "uint64" },
      { name: "supplier", type: "address" },
      { name: "requestDigest", type: "bytes32" },
      { name: "maxTokens", type: "uint32" },
      { name: "nonce", type: "uint64" },
    ],
  },
  { type: "bytes" },
  {
    type: "tuple",
    components: [
      { name: "requestHash", type: "bytes32" },
      { name: "responseDigest", type: "bytes32" },
      { name: "inputTokens", type: "uint32" },
      { name: "outputTokens", type: "uint32" },
    ],
  },
  { type: "bytes" },
] as const;

const sample = fc.sample(relayArb, { numRuns: 1, seed: 7 })[0] as Relay;
const canonical: Relay = {
  ...sample,
  requestSignature: `0x${"11".repeat(65)}`,
  responseSignature: `0x${"22".repeat(65)}`,
};
const encoded = encodeRelay(canonical);

/** Overwrites the 32-byte word at byte `offset`. */
const withWord = (hex: Hex, offset: number, word: bigint): Hex =>
  `${hex.slice(0, 2 + offset * 2)}${word.toString(16).padStart(64, "0")}${hex.slice(2 + offset * 2 + 64)}` as Hex;

const expectMalformed = (input: Hex | Uint8Array, detail: RegExp) => {
  expect(() => decodeRelay(input)).toThrow(MalformedRelayError);
  expect(() => decodeRelay(input)).toThrow(detail);
  expect(() => decodeRelay(input)).toThrow(expect.objectContaining({ code: "RelayMalformed" }));
};

describe("encodeRelay", () => {
  it("is abi.encode(request, requestSignature, response, responseSignature)", () => {
    fc.assert(
      fc.property(relayArb, (relay) => {
        const viem = encodeAbiParameters(relayAbi, [
          relay.request,
          relay.requestSignature,
          relay.response,
          relay.responseSignature,
        ]);
        expect(encodeRelay(relay)).toBe(viem);
      }),
      { numRuns: 200 },
    );
  });

  it("takes 672 bytes with 65-byte signatures", () => {
    expect((encoded.length - 2) / 2).toBe(672);
  });

  it("rejects fields that do not fit their ABI type", () => {
    expect(() => encodeRelay({ ...canonical, requestSignature: "0x123" })).toThrow(
      /requestSignature must be 0x-prefixed hex/,
    );
    expect(() => encodeRelay({ ...canonical, response: { ...canonical.response, inputTokens: -1 } })).toThrow(
      /response\.inputTokens/,
    );
  });
});

describe("decodeRelay", () => {
  it("round-trips every relay, from hex and from bytes", () => {
    fc.assert(
      fc.property(relayArb, (relay) => {
        const hex = encodeRelay(relay);
        expect(decodeRelay(hex)).toEqual(relay);
        expect(decodeRelay(Buffer.from(hex.slice(2), "hex"))).toEqual(relay);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects trailing data that viem's decoder silently ignores", () => {
    const withTail: Hex = `${encoded}${"00".repeat(32)}`;
    expect(decodeAbiParameters(relayAbi, withTail)[1]).toBe(canonical.requestSignature);
    expectMalformed(withTail, /32 trailing bytes/);
    expectMalformed(`${encoded}00`, /1 trailing bytes/);
  });

  it("rejects every truncation", () => {
    for (let length = 0; length < 672; length += 7) {
      expectMalformed(encoded.slice(0, 2 + length * 2) as Hex, /truncated/);
    }
  });

  it("rejects dirty padding and dirty high bits", () => {
    expectMalformed(`${encoded.slice(0, -2)}01` as Hex, /non-zero padding after responseSignature/);
    const requestPaddingByte = 13 * 32 + 32 + 65;
    const dirty =
      `${encoded.slice(0, 2 + requestPaddingByte * 2)}ff${encoded.slice(4 + requestPaddingByte * 2)}` as Hex;
    expectMalformed(dirty, /non-zero padding after requestSignature/);
    const narrow: [number, number, string][] = [
      [0, 160, "request.application"],
      [2, 64, "request.session"],
      [3, 160, "request.supplier"],
      [5, 32, "request.maxTokens"],
      [6, 64, "request.nonce"],
      [10, 32, "response.inputTokens"],
      [11, 32, "response.outputTokens"],
    ];
    for (const [word, bits, field] of narrow) {
      expectMalformed(withWord(encoded, word * 32, 1n << BigInt(bits)), new RegExp(`${field} does not fit`));
    }
  });

  it("rejects non-canonical offsets and impossible lengths", () => {
    expectMalformed(withWord(encoded, 7 * 32, 448n), /requestSignature offset/);
    expectMalformed(withWord(encoded, 12 * 32, 416n + 32n + 96n + 32n), /responseSignature offset/);
    expectMalformed(withWord(encoded, 13 * 32, 2n ** 255n), /larger than the input/);
    expectMalformed(withWord(encoded, 13 * 32, 672n), /truncated inside requestSignature/);
  });

  it("rejects input that is not hex", () => {
    expectMalformed("0xzz", /not 0x-prefixed hex/);
    expectMalformed(`${encoded}0` as Hex, /not 0x-prefixed hex/);
    expectMalformed(encoded.slice(2) as Hex, /not 0x-prefixed hex/);
  });
});
