import { toServiceId } from "@decai/core";
import { createWalletClient, type Hex, http, zeroHash } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainIndexer, getSupplierWeightsDigest, stakingAbi } from "../src/index.js";
import { startNetwork } from "../src/testing/network.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

// Artifact commitment: a supplier declares the sha256 of the model file it serves; the indexer follows it.
describe("declared weights digests", () => {
  let net: Network;
  let indexer: ChainIndexer;
  const svc = toServiceId("tiny-llama");
  const other = toServiceId("other-model");
  const key = (i: number) => net.keys[i] as Hex;
  const addr = (i: number) => privateKeyToAddress(key(i));
  const digestA = `0x${"a1".repeat(32)}` as Hex;
  const digestB = `0x${"b2".repeat(32)}` as Hex;

  beforeAll(async () => {
    net = await startNetwork({ blocksPerSession: 5, suppliersPerSession: 2, unbondingSessions: 1 });
    await net.actions.registerService(key(1), svc);
    await net.actions.registerService(key(1), other, "other-model");
    await net.actions.stakeSupplier(key(2), [{ id: svc, endpoint: "http://127.0.0.1:9002" }]);
    await net.actions.stakeSupplier(key(3), [
      { id: svc, endpoint: "http://127.0.0.1:9003" },
      { id: other, endpoint: "http://127.0.0.1:9013" },
    ]);
    // Declared before the indexer starts: found by replaying events from the deployment block.
    await net.actions.declareWeightsDigest(key(2), svc, digestA);
    indexer = await ChainIndexer.start({
      client: net.publicClient,
      contracts: net.contracts,
      serviceIds: [svc],
      fromBlock: net.deployment.deployBlock,
      pollIntervalMs: 3_600_000,
    });
  }, 240_000);

  afterAll(async () => {
    indexer?.stop();
    await net?.anvil.stop();
  });

  it("reads a declaration from the contract and from the indexer", async () => {
    expect(await getSupplierWeightsDigest(net.publicClient, net.contracts.staking, addr(2), svc)).toBe(
      digestA,
    );
    expect(
      await getSupplierWeightsDigest(net.publicClient, net.contracts.staking, addr(3), svc),
    ).toBeUndefined();
    expect(indexer.state.supplierWeightsDigest(addr(2), svc)).toBe(digestA);
    expect(indexer.state.supplierWeightsDigest(addr(3), svc)).toBeUndefined();
  });

  it("follows new declarations and overwrites, for followed services only", async () => {
    await net.actions.declareWeightsDigest(key(3), svc, digestB);
    await net.actions.declareWeightsDigest(key(3), other, digestA);
    await net.actions.declareWeightsDigest(key(2), svc, digestB);
    await indexer.sync();
    expect(indexer.state.supplierWeightsDigest(addr(3), svc)).toBe(digestB);
    expect(indexer.state.supplierWeightsDigest(addr(2), svc)).toBe(digestB);
    // Lookups ignore address case.
    expect(indexer.state.supplierWeightsDigest(addr(2).toLowerCase() as Hex, svc)).toBe(digestB);
    expect(indexer.state.supplierWeightsDigest(addr(3), other)).toBeUndefined(); // not followed
    expect(await getSupplierWeightsDigest(net.publicClient, net.contracts.staking, addr(3), other)).toBe(
      digestA,
    );
  });

  it("rejects a zero digest and a service the supplier does not serve", async () => {
    await expect(net.actions.declareWeightsDigest(key(2), svc, zeroHash)).rejects.toThrow();
    await expect(net.actions.declareWeightsDigest(key(2), other, digestA)).rejects.toThrow();
    expect(indexer.state.supplierWeightsDigest(addr(2), svc)).toBe(digestB);
  });

  it("forgets a supplier's declarations when it withdraws", async () => {
    await net.actions.unstakeSupplier(key(2));
    // Unbonding: one full session after the current one.
    await net.actions.nextSession();
    await net.actions.nextSession();
    const wallet = createWalletClient({
      account: privateKeyToAccount(key(2)),
      chain: foundry,
      transport: http(net.anvil.rpcUrl),
    });
    const tx = await wallet.writeContract({
      address: net.contracts.staking,
      abi: stakingAbi,
      functionName: "withdrawSupplier",
      args: [],
    });
    expect((await net.publicClient.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
    await indexer.sync();
    expect(indexer.state.supplierWeightsDigest(addr(2), svc)).toBeUndefined();
    expect(indexer.state.supplierWeightsDigest(addr(3), svc)).toBe(digestB);
    expect(
      await getSupplierWeightsDigest(net.publicClient, net.contracts.staking, addr(2), svc),
    ).toBeUndefined();
  });
});
