import { toServiceId } from "@decai/core";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSessionSuppliers, sessionsAbi, stakingAbi } from "../src/index.js";
import { startNetwork } from "../src/testing/network.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

// The supplier draw is computed twice: by Sessions.sol on-chain and by @decai/core off-chain. RelayMiners and
// applications rely on the off-chain copy, so both must agree on every (application, service, session).
describe("session supplier draw: TypeScript equals the contract", () => {
  let net: Network;
  const services = [toServiceId("tiny-llama"), toServiceId("other-model")];
  const recordedSessions: bigint[] = [];
  let app: Address;
  let gateway: Address;

  beforeAll(async () => {
    net = await startNetwork({ blocksPerSession: 5, suppliersPerSession: 3 });
    const { actions, keys } = net;
    const key = (i: number) => keys[i] as Hex;
    await actions.registerService(key(1), services[0] as Hex);
    await actions.registerService(key(1), services[1] as Hex, "other-model");

    // 5 suppliers at first: all serve service 0, the odd ones also serve service 1.
    for (let i = 2; i < 7; i++) {
      const list = [{ id: services[0] as Hex, endpoint: `http://127.0.0.1:${9000 + i}` }];
      if (i % 2 === 1) list.push({ id: services[1] as Hex, endpoint: `http://127.0.0.1:${9100 + i}` });
      await actions.stakeSupplier(key(i), list);
    }
    gateway = privateKeyToAccount(key(7)).address;
    app = privateKeyToAccount(key(8)).address;
    await actions.stakeGateway(key(7));
    await actions.stakeApplication(key(8), services);
    await actions.delegate(key(8), gateway);
    const delegatedIn = await actions.currentSession();

    // Walk 14 sessions, recording each seed and changing the supplier set and the parameters on the way.
    for (let step = 0; step < 14; step++) {
      const session = await actions.nextSession();
      await actions.recordSeed(key(0));
      recordedSessions.push(session);
      if (step === 2)
        await actions.stakeSupplier(key(9), [{ id: services[0] as Hex, endpoint: "http://127.0.0.1:9009" }]);
      if (step === 3)
        await actions.stakeSupplier(key(10), [{ id: services[1] as Hex, endpoint: "http://127.0.0.1:9010" }]);
      if (step === 4) await actions.removeSupplierService(key(3), services[0] as Hex);
      if (step === 5) await actions.unstakeSupplier(key(4));
      if (step === 6) await actions.setSuppliersPerSession(2);
      if (step === 8) await actions.setBlocksPerSession(7);
      if (step === 9)
        await actions.stakeSupplier(key(11), [{ id: services[0] as Hex, endpoint: "http://127.0.0.1:9011" }]);
      if (step === 10) await actions.setSuppliersPerSession(4);
    }

    // Delegation takes effect at the next session, and history is kept.
    const isDelegated = (session: bigint) =>
      net.publicClient.readContract({
        address: net.contracts.staking,
        abi: stakingAbi,
        functionName: "isDelegated",
        args: [app, gateway, session],
      });
    expect(await isDelegated(delegatedIn)).toBe(false);
    expect(await isDelegated(delegatedIn + 1n)).toBe(true);
  }, 240_000);

  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("agrees on 200 random (application, service, session) draws", async () => {
    const others = fc.sample(fc.uint8Array({ minLength: 20, maxLength: 20 }), { numRuns: 6, seed: 42 });
    const apps: Address[] = [app, ...others.map((b) => `0x${Buffer.from(b).toString("hex")}` as Address)];
    const cases = fc.sample(
      fc.record({
        app: fc.constantFrom(...apps),
        service: fc.constantFrom(...services),
        session: fc.constantFrom(...recordedSessions),
      }),
      { numRuns: 200, seed: 7 },
    );
    const sizes = new Set<number>();
    for (const c of cases) {
      const onChain = await net.publicClient.readContract({
        address: net.contracts.sessions,
        abi: sessionsAbi,
        functionName: "getSessionSuppliers",
        args: [c.app, c.service as Hex, c.session],
      });
      const offChain = await getSessionSuppliers(net.publicClient, {
        contracts: net.contracts,
        application: c.app,
        serviceId: c.service as Hex,
        session: c.session,
      });
      expect(offChain, `app ${c.app} service ${c.service} session ${c.session}`).toEqual([...onChain]);
      sizes.add(offChain.length);
    }
    // The walk above produces sessions with different set sizes; a draw that always returned the same size
    // (or nothing) would not be exercising the algorithm.
    expect(sizes.size).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(3);
  });

  it("refuses a session whose seed was never recorded", async () => {
    const future = (recordedSessions.at(-1) as bigint) + 5n;
    await expect(
      getSessionSuppliers(net.publicClient, {
        contracts: net.contracts,
        application: app,
        serviceId: services[0] as Hex,
        session: future,
      }),
    ).rejects.toThrow(/has not been recorded/);
  });
});
