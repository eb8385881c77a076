import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ComputeUnitMode, decodeRelay, relayHash, relayWeight, toServiceId } from "@decai/core";
import { decodeRoot, encodeRoot, verifyClosest } from "@decai/smst";
import { hexToBytes, keccak256, maxUint256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { SessionTree } from "../src/mining/sessionTree.js";
import { makeRelay, type RelaySigners } from "./relays.js";

const appKey = generatePrivateKey();
const signers: RelaySigners = {
  domain: { chainId: 31337, verifyingContract: "0x000000000000000000000000000000000000dEaD" },
  requesterKey: appKey,
  application: privateKeyToAddress(appKey),
  supplierKey: generatePrivateKey(),
  serviceId: toServiceId("tiny-llama"),
  session: 7n,
};
const service = {
  cuMode: ComputeUnitMode.PerToken,
  cuPerRelay: 0n,
  cuPerInputToken: 1n,
  cuPerOutputToken: 3n,
};

describe("SessionTree", () => {
  it("mines every relay at the easiest difficulty and claims their total weight", async () => {
    const tree = await SessionTree.open({ domain: signers.domain, service, target: maxUint256 });
    let expected = 0n;
    for (let i = 0; i < 50; i++) {
      const relay = makeRelay(signers, i);
      const mined = await tree.add(relay);
      expect(mined.applicable).toBe(true);
      expected += relayWeight(service, relay);
    }
    const root = tree.claimRoot();
    expect(root.rootCount).toBe(50n);
    expect(root.rootSum).toBe(expected);
  });

  it("keeps only relays whose hash is below the target", async () => {
    const target = maxUint256 / 4n; // about a quarter of relays qualify
    const tree = await SessionTree.open({ domain: signers.domain, service, target });
    let applicable = 0;
    for (let i = 0; i < 200; i++) {
      const relay = makeRelay(signers, i);
      const mined = await tree.add(relay);
      expect(mined.applicable).toBe(BigInt(relayHash(relay, signers.domain)) < target);
      if (mined.applicable) applicable++;
    }
    expect(tree.size).toBe(applicable);
    expect(applicable).toBeGreaterThan(20);
    expect(applicable).toBeLessThan(100);
  });

  it("takes the relay hash its caller already computed, and gives the same root as hashing it itself", async () => {
    const hashing = await SessionTree.open({ domain: signers.domain, service, target: maxUint256 });
    const given = await SessionTree.open({ domain: signers.domain, service, target: maxUint256 });
    for (let i = 0; i < 20; i++) {
      const relay = makeRelay(signers, i);
      const mined = await given.add(relay, relayHash(relay, signers.domain));
      expect(mined).toEqual(await hashing.add(relay));
    }
    expect(given.claimRoot()).toEqual(hashing.claimRoot());
  });

  it("proves the closest leaf for any challenge path, with the relay as the leaf value", async () => {
    const tree = await SessionTree.open({ domain: signers.domain, service, target: maxUint256 });
    for (let i = 0; i < 64; i++) await tree.add(makeRelay(signers, i));
    const { rootHash, rootSum, rootCount } = tree.claimRoot();
    for (let c = 0; c < 10; c++) {
      const path = keccak256(toHex(`challenge ${c}`));
      const { proof, relay } = tree.proveClosest(path);
      expect(
        verifyClosest(
          { hash: hexToBytes(rootHash), sum: rootSum, count: rootCount },
          hexToBytes(path),
          hexToBytes(proof),
        ),
      ).toBe(true);
      expect(decodeRelay(relay).request.serviceId).toBe(signers.serviceId);
      // A proof for one path does not verify for another.
      const other = keccak256(toHex(`other ${c}`));
      expect(
        verifyClosest(
          { hash: hexToBytes(rootHash), sum: rootSum, count: rootCount },
          hexToBytes(other),
          hexToBytes(proof),
        ),
      ).toBe(tree.proveClosest(other).proof === proof);
    }
  });

  it("reopens from its log with the same root", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "decai-tree-")), "app-svc-7.smst");
    const tree = await SessionTree.open({ domain: signers.domain, service, target: maxUint256, path });
    for (let i = 0; i < 30; i++) await tree.add(makeRelay(signers, i));
    const before = tree.claimRoot();
    await tree.close();
    const reopened = await SessionTree.open({ domain: signers.domain, service, target: maxUint256, path });
    expect(reopened.claimRoot()).toEqual(before);
    const bytes = encodeRoot({
      hash: hexToBytes(before.rootHash),
      sum: before.rootSum,
      count: before.rootCount,
    });
    expect(decodeRoot(bytes).count).toBe(30n);
    await reopened.close();
  });
});
