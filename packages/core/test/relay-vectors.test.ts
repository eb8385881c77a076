import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  checkRelayVectorSigners,
  makeRelayVectors,
  type RelayVector,
  type RelayVectorsFile,
  relayVectorsPath,
} from "../scripts/make-relay-vectors.js";
import {
  decodeRelay,
  encodeRelay,
  hashRelayRequest,
  hashRelayResponse,
  isRewardApplicable,
  RelayError,
  recoverRelayRequestSigner,
  recoverRelayResponseSigner,
  relayDomainSeparator,
  relayWeight,
  verifyRelay,
} from "../src/relay/index.js";

// Shared with contracts/test/RelayVectors.t.sol: when this file changes, both sides must agree again.
const file = JSON.parse(readFileSync(relayVectorsPath, "utf8")) as RelayVectorsFile;
const regenerate =
  "regenerate with `npx tsx packages/core/scripts/make-relay-vectors.ts` and rerun the forge tests";

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return "";
  } catch (error) {
    if (error instanceof RelayError) return error.code;
    throw error;
  }
};

const domainOf = (v: RelayVector) => ({ chainId: BigInt(v.chainId), verifyingContract: v.verifyingContract });

describe("relay vectors (packages/core/test/vectors/relays.json)", () => {
  it("are exactly what the generator writes today", () => {
    expect(file, `stale vectors: ${regenerate}`).toEqual(JSON.parse(JSON.stringify(makeRelayVectors())));
  });

  it("cover valid, gateway-signed, tampered and malformed relays", () => {
    const kinds = new Set(file.vectors.map((v) => v.kind));
    const errors = new Set(file.vectors.map((v) => v.error));
    expect(file.count).toBe(file.vectors.length);
    expect(file.vectors.filter((v) => v.valid).length).toBeGreaterThanOrEqual(50);
    for (const kind of [
      "gateway-signed",
      "flipped-request-digest",
      "swapped-response",
      "wrong-supplier-signer",
      "high-s-request",
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const code of [
      "",
      "RelayMalformed",
      "RelayInvalidSignatureLength",
      "RelayInvalidSignatureS",
      "RelayInvalidSignatureV",
      "RelayInvalidSignature",
      "RelayRequestHashMismatch",
      "RelayResponseSignerMismatch",
    ]) {
      expect(errors).toContain(code);
    }
    const applicable = file.vectors.filter((v) => v.rewardApplicable).length;
    expect(applicable).toBeGreaterThan(0);
    expect(applicable).toBeLessThan(file.vectors.length);
  });

  it("decode, re-encode, hash, recover, verify and weigh as recorded", () => {
    for (const v of file.vectors) {
      if (!v.decodable) {
        expect(
          codeOf(() => decodeRelay(v.encoded)),
          v.name,
        ).toBe("RelayMalformed");
        continue;
      }
      const domain = domainOf(v);
      const relay = decodeRelay(v.encoded);
      expect(encodeRelay(relay), v.name).toBe(v.encoded);
      expect(relayDomainSeparator(domain), v.name).toBe(v.domainSeparator);
      expect(hashRelayRequest(relay.request, domain), v.name).toBe(v.relayHash);
      expect(hashRelayResponse(relay.response, v.domainSeparator), v.name).toBe(v.responseHash);
      const request = () =>
        recoverRelayRequestSigner({ request: relay.request, domain, signature: relay.requestSignature });
      const response = () =>
        recoverRelayResponseSigner({ response: relay.response, domain, signature: relay.responseSignature });
      expect(codeOf(request), v.name).toBe(v.requestSignerError);
      expect(codeOf(response), v.name).toBe(v.responseSignerError);
      if (v.requestSignerError === "") expect(request(), v.name).toBe(v.requestSigner);
      if (v.responseSignerError === "") expect(response(), v.name).toBe(v.responseSigner);
      expect(
        codeOf(() => verifyRelay(relay, domain)),
        v.name,
      ).toBe(v.error);
      if (v.valid) {
        const verified = verifyRelay(relay, domain);
        expect(verified.requestSigner, v.name).toBe(v.requestSigner);
        expect(verified.signedByApplication, v.name).toBe(v.signedByApplication);
      }
      const service = {
        cuMode: v.service.cuMode,
        cuPerRelay: BigInt(v.service.cuPerRelay),
        cuPerInputToken: BigInt(v.service.cuPerInputToken),
        cuPerOutputToken: BigInt(v.service.cuPerOutputToken),
      };
      expect(relayWeight(service, relay), v.name).toBe(BigInt(v.weight));
      expect(isRewardApplicable(v.relayHash, BigInt(v.target)), v.name).toBe(v.rewardApplicable);
    }
  });

  it("record signers that viem's recoverAddress agrees with", async () => {
    await expect(checkRelayVectorSigners(file)).resolves.toBeUndefined();
  });
});
