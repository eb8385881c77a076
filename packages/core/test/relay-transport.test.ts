import fc from "fast-check";
import { encodeAbiParameters, getAddress, type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  decodeRelayRequestHeader,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  encodeRelayResponseHeader,
  formatRelayResponseEvent,
  hashRelayRequest,
  type RelayRequest,
  type RelayResponse,
  RelayTransportError,
  recoverRelayRequestSigner,
  type SignedRelayResponse,
  signRelayRequest,
  signRelayResponse,
  splitRelayResponseEvent,
} from "../src/relay/index.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const address = bytes(20).map((b) => getAddress(toHex(b)));
const hex32 = bytes(32).map((b) => toHex(b));
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const signature = bytes(65).map((b) => toHex(b));
const requestArb: fc.Arbitrary<RelayRequest> = fc.record({
  application: address,
  serviceId: hex32,
  session: uint64,
  supplier: address,
  requestDigest: hex32,
  maxTokens: uint32,
  nonce: uint64,
});
const responseArb: fc.Arbitrary<RelayResponse> = fc.record({
  requestHash: hex32,
  responseDigest: hex32,
  inputTokens: uint32,
  outputTokens: uint32,
});

const requestTuple = {
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
} as const;
const responseTuple = {
  type: "tuple",
  components: [
    { name: "requestHash", type: "bytes32" },
    { name: "responseDigest", type: "bytes32" },
    { name: "inputTokens", type: "uint32" },
    { name: "outputTokens", type: "uint32" },
  ],
} as const;

const fromB64 = (value: string) => Buffer.from(value, "base64url");
const toB64 = (data: Buffer) => data.toString("base64url");
/** Re-encodes `value` after flipping byte `at` to `byte`. */
function tamper(value: string, at: number, byte: number): string {
  const data = fromB64(value);
  data[at] = byte;
  return toB64(data);
}

const sample: RelayRequest = {
  application: getAddress("0x1111111111111111111111111111111111111111"),
  serviceId: `0x${"22".repeat(32)}`,
  session: 7n,
  supplier: getAddress("0x3333333333333333333333333333333333333333"),
  requestDigest: `0x${"44".repeat(32)}`,
  maxTokens: 64,
  nonce: 9n,
};
const sig: Hex = `0x${"ab".repeat(64)}1b`;
const sampleResponse: RelayResponse = {
  requestHash: `0x${"55".repeat(32)}`,
  responseDigest: `0x${"66".repeat(32)}`,
  inputTokens: 12,
  outputTokens: 34,
};

describe("relay request header", () => {
  it("is base64url of abi.encode(RelayRequest, bytes) and round-trips", () => {
    fc.assert(
      fc.property(requestArb, signature, (request, signature) => {
        const value = encodeRelayRequestHeader({ request, signature });
        expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(toHex(fromB64(value))).toBe(
          encodeAbiParameters([requestTuple, { type: "bytes" }], [request, signature]),
        );
        expect(decodeRelayRequestHeader(value)).toEqual({ request, signature });
      }),
      { numRuns: 200 },
    );
  });

  it("carries a signature that recovers the signer", () => {
    const key = generatePrivateKey();
    const domain = { chainId: 31337, verifyingContract: getAddress(`0x${"77".repeat(20)}`) };
    const signature = signRelayRequest({ request: sample, domain, privateKey: key });
    const decoded = decodeRelayRequestHeader(encodeRelayRequestHeader({ request: sample, signature }));
    expect(recoverRelayRequestSigner({ ...decoded, domain })).toBe(privateKeyToAddress(key));
  });

  it("refuses to encode a signature that is not 65 bytes", () => {
    expect(() => encodeRelayRequestHeader({ request: sample, signature: "0x1234" })).toThrow(/65 bytes/);
    expect(() => encodeRelayRequestHeader({ request: sample, signature: `0x${"zz".repeat(65)}` })).toThrow(
      /65 bytes/,
    );
  });

  const valid = encodeRelayRequestHeader({ request: sample, signature: sig });
  const cases: [string, string, RegExp][] = [
    ["an empty value", "", /empty/],
    ["standard base64 characters", valid.replace(/.$/, "+"), /not base64url/],
    ["padding", `${valid}==`, /not base64url/],
    ["a truncated value", valid.slice(0, -8), /expected 384/],
    ["trailing data", `${valid}AAAA`, /expected 384/],
    ["a dangling character", `${valid}A`, /not canonical/],
    ["a session above 64 bits", tamper(valid, 64, 1), /session does not fit in 64 bits/],
    ["dirty address high bits", tamper(valid, 0, 1), /application does not fit in 160 bits/],
    ["maxTokens above 32 bits", tamper(valid, 160 + 27, 1), /maxTokens does not fit/],
    ["a non-canonical offset", tamper(valid, 7 * 32 + 31, 0x20), /offset is not the canonical 256/],
    ["a 64-byte signature", tamper(valid, 8 * 32 + 31, 64), /not 65 bytes/],
    ["non-zero padding", tamper(valid, 383, 1), /padding/],
  ];
  for (const [name, value, message] of cases) {
    it(`rejects ${name}`, () => {
      let error: unknown;
      try {
        decodeRelayRequestHeader(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RelayTransportError);
      expect((error as RelayTransportError).part).toBe("request");
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/encodeRelayRequestHeader/);
    });
  }
});

describe("relay response header", () => {
  it("is base64url of abi.encode(RelayResponse, bytes) and round-trips", () => {
    fc.assert(
      fc.property(responseArb, signature, (response, signature) => {
        const value = encodeRelayResponseHeader({ response, signature });
        expect(toHex(fromB64(value))).toBe(
          encodeAbiParameters([responseTuple, { type: "bytes" }], [response, signature]),
        );
        expect(decodeRelayResponseHeader(value)).toEqual({ response, signature });
      }),
      { numRuns: 200 },
    );
  });

  it("rejects out-of-range token counts and a request header", () => {
    const value = encodeRelayResponseHeader({ response: sampleResponse, signature: sig });
    expect(() => decodeRelayResponseHeader(tamper(value, 64 + 27, 1))).toThrow(/inputTokens does not fit/);
    expect(() => decodeRelayResponseHeader(tamper(value, 96, 1))).toThrow(/outputTokens does not fit/);
    expect(() =>
      decodeRelayResponseHeader(encodeRelayRequestHeader({ request: sample, signature: sig })),
    ).toThrow(/expected 288/);
  });
});

describe("relay response SSE event", () => {
  const domain = { chainId: 1, verifyingContract: getAddress(`0x${"88".repeat(20)}`) };
  const signed: SignedRelayResponse = {
    response: { ...sampleResponse, requestHash: hashRelayRequest(sample, domain) },
    signature: signRelayResponse({ response: sampleResponse, domain, privateKey: generatePrivateKey() }),
  };
  const body = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n';

  it("ends the stream and splits back into the body and the signed response", () => {
    const event = formatRelayResponseEvent(signed);
    expect(event).toMatch(/^event: decai-relay-response\ndata: [A-Za-z0-9_-]+\n\n$/);
    expect(splitRelayResponseEvent(body + event)).toEqual({ body, response: signed });
    expect(splitRelayResponseEvent(event)).toEqual({ body: "", response: signed });
  });

  it("rejects a stream without the event, with a cut event, or with data after it", () => {
    const event = formatRelayResponseEvent(signed);
    expect(() => splitRelayResponseEvent(body)).toThrow(/does not end with a "decai-relay-response" event/);
    expect(() => splitRelayResponseEvent(body + event.slice(0, -1))).toThrow(/not the stream's last/);
    expect(() => splitRelayResponseEvent(`${body}${event}data: more\n\n`)).toThrow(/not the stream's last/);
    // The event must start an SSE event, not sit inside another one's data.
    expect(() => splitRelayResponseEvent(`data: x\n${event}`)).toThrow(/does not end with/);
  });
});
