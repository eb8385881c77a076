import {
  getServiceSupplierEntries,
  relayMiningAbi,
  serviceRegistryAbi,
  sessionClockAbi,
  sessionsAbi,
  stakingAbi,
  testTokenAbi,
} from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import {
  ComputeUnitMode,
  computeSessionSuppliers,
  type Relay,
  relayHash,
  relayWeight,
  toServiceId,
} from "@decai/core";
import { type Address, createWalletClient, type Hex, http, maxUint256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, describe, expect, it } from "vitest";
import { type ClaimOutcome, claimSession, proveSession, settleSession } from "../src/mining/claimSteps.js";
import { SessionTree } from "../src/mining/sessionTree.js";
import { makeRelay } from "./relays.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

// DESIGN.md "Life of a request" 4-7 on a real chain: three suppliers serve 500 signed relays for one application in
// one session, mine them at half difficulty, claim, prove when asked and are settled; every balance moves by exactly
// what the protocol's formula says, computed here from the relays themselves.
describe("relay mining end to end: 500 relays, 3 suppliers, one session", () => {
  let net: Network;
  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("claims, proves and settles exactly the mined compute units", async () => {
    const target = maxUint256 / 2n; // about half the relays are reward-applicable
    const ppcu = 10n ** 12n;
    net = await startNetwork({
      blocksPerSession: 10,
      suppliersPerSession: 3,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 10,
      proofWindowBlocks: 10,
      proofRequirementThreshold: 1n, // every claim must be proven
      initialTarget: target,
      paymentPerComputeUnit: ppcu,
    });
    const { actions, contracts, publicClient, testClient } = net;
    const key = (i: number) => net.keys[i] as Hex;
    const addr = (i: number) => privateKeyToAccount(key(i)).address;
    const serviceId = toServiceId("tiny-llama");
    const [source, gateway, app] = [addr(1), addr(5), addr(6)];
    const suppliers = [2, 3, 4];

    await actions.registerService(key(1), serviceId);
    for (const s of suppliers)
      await actions.stakeSupplier(key(s), [{ id: serviceId, endpoint: `http://127.0.0.1:${9000 + s}` }]);
    await actions.stakeGateway(key(5));
    await actions.stakeApplication(key(6), [serviceId], 1_000n * 10n ** 18n);
    await actions.delegate(key(6), gateway);
    const session = await actions.nextSession();
    await actions.recordSeed(key(0));

    const onChainSet = await publicClient.readContract({
      address: contracts.sessions,
      abi: sessionsAbi,
      functionName: "getSessionSuppliers",
      args: [app, serviceId, session],
    });
    expect([...onChainSet].sort()).toEqual(suppliers.map(addr).sort());
    expect(
      await publicClient.readContract({
        address: contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "targetAt",
        args: [serviceId, session],
      }),
    ).toBe(target);

    // Serve: relay i goes to supplier i % 3; half are signed by the app itself, half by its gateway.
    const domain = { chainId: 31337, verifyingContract: contracts.relayMining };
    const service = await publicClient.readContract({
      address: contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "getService",
      args: [serviceId],
    });
    expect(service.cuMode).toBe(ComputeUnitMode.PerToken);
    const trees = await Promise.all(suppliers.map(() => SessionTree.open({ domain, service, target })));
    const expectedSum = suppliers.map(() => 0n);
    for (let i = 0; i < 500; i++) {
      const s = i % 3;
      const relay: Relay = makeRelay(
        {
          domain,
          requesterKey: i % 2 === 0 ? key(6) : key(5),
          application: app,
          supplierKey: key(suppliers[s] as number),
          serviceId,
          session,
        },
        i,
      );
      await trees[s]?.add(relay);
      if (BigInt(relayHash(relay, domain)) < target)
        expectedSum[s] = (expectedSum[s] as bigint) + relayWeight(service, relay);
    }
    for (const [s, tree] of trees.entries()) {
      expect(tree.claimRoot().rootSum).toBe(expectedSum[s]);
      expect(tree.size).toBeGreaterThan(50); // ~167 served, about half applicable
      expect(tree.size).toBeLessThan(120);
    }

    const chains = suppliers.map((s) => ({
      publicClient,
      walletClient: createWalletClient({
        account: privateKeyToAccount(key(s)),
        chain: foundry,
        transport: http(net.anvil.rpcUrl),
      }),
      relayMining: contracts.relayMining,
    }));
    const read = (functionName: string, args: readonly unknown[]) =>
      publicClient.readContract({
        address: contracts.relayMining,
        abi: relayMiningAbi,
        functionName,
        args,
      } as never) as Promise<readonly [bigint, bigint]>;
    const mineTo = async (block: bigint) => {
      const now = await publicClient.getBlockNumber({ cacheTime: 0 });
      if (block > now) await testClient.mine({ blocks: Number(block - now) });
    };

    // Claim: one transaction per supplier in the claim window.
    const [claimOpen] = await read("claimWindow", [session]);
    await mineTo(claimOpen - 1n);
    let outcomes: ClaimOutcome[] = [];
    for (const [s, tree] of trees.entries()) {
      outcomes.push(
        await claimSession(chains[s] as (typeof chains)[0], { application: app, serviceId, session }, tree),
      );
    }

    // Prove: the seed is the hash of the claim window's last block; every claim is above the threshold.
    const [proofOpen, proofClose] = await read("proofWindow", [session]);
    await mineTo(proofOpen);
    outcomes = await Promise.all(
      outcomes.map((o, s) => proveSession(chains[s] as (typeof chains)[0], o, trees[s] as SessionTree)),
    );
    for (const o of outcomes) expect(o).toMatchObject({ proofRequired: true, proven: true });

    // Settle, and check every balance against the formula.
    await mineTo(proofClose - 1n);
    const paymentBalance = (who: Address) =>
      publicClient.readContract({
        address: contracts.paymentToken,
        abi: testTokenAbi,
        functionName: "balanceOf",
        args: [who],
      });
    const escrow = () =>
      publicClient.readContract({
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "applicationEscrow",
        args: [app],
      });
    const dao = net.deployment.dao;
    const before = {
      suppliers: await Promise.all(suppliers.map((s) => paymentBalance(addr(s)))),
      source: await paymentBalance(source),
      dao: await paymentBalance(dao),
      escrow: await escrow(),
    };
    for (const [s, o] of outcomes.entries())
      outcomes[s] = await settleSession(chains[s] as (typeof chains)[0], o);

    const daoBps = BigInt(net.deployment.params.daoShareBps);
    const sourceBps = BigInt(service.sourceShareBps);
    let total = 0n;
    let sourceTotal = 0n;
    let daoTotal = 0n;
    for (const [s, o] of outcomes.entries()) {
      const amount = ((expectedSum[s] as bigint) * ppcu * maxUint256) / target; // sum scaled by difficulty
      const daoPart = (amount * daoBps) / 10_000n;
      const sourcePart = (amount * sourceBps) / 10_000n;
      expect(o.settledAmount).toBe(amount);
      expect((await paymentBalance(addr(suppliers[s] as number))) - (before.suppliers[s] as bigint)).toBe(
        amount - daoPart - sourcePart,
      );
      total += amount;
      sourceTotal += sourcePart;
      daoTotal += daoPart;
    }
    expect(total).toBeGreaterThan(0n);
    expect((await paymentBalance(source)) - before.source).toBe(sourceTotal);
    expect((await paymentBalance(dao)) - before.dao).toBe(daoTotal);
    expect(before.escrow - (await escrow())).toBe(total);

    // A claim settles once.
    await expect(
      settleSession(chains[0] as (typeof chains)[0], outcomes[0] as ClaimOutcome),
    ).rejects.toThrow();
    // The draw the suppliers relied on off-chain is the contract's.
    expect(
      computeSessionSuppliers({
        seed: await publicClient.readContract({
          address: contracts.sessionClock,
          abi: sessionClockAbi,
          functionName: "sessionSeed",
          args: [session],
        }),
        application: app,
        serviceId,
        session,
        entries: await getServiceSupplierEntries(publicClient, contracts.staking, serviceId),
        suppliersPerSession: 3,
      }),
    ).toEqual([...onChainSet]);
  }, 240_000);
});
