import { toServiceId } from "@decai/core";
import { type Address, createWalletClient, type Hex, http, parseEther } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainIndexer, serviceRegistryAbi, sessionsAbi, stakingAbi } from "../src/index.js";
import { startNetwork } from "../src/testing/network.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

describe("ChainIndexer on a real anvil", () => {
  let net: Network;
  let indexer: ChainIndexer;
  const svc = toServiceId("tiny-llama");
  const other = toServiceId("other-model");
  const late = toServiceId("late-model");
  const key = (i: number) => net.keys[i] as Hex;
  const addr = (i: number) => privateKeyToAddress(key(i));
  let app: Address;
  let app2: Address;
  let gateway: Address;

  async function write(i: number, functionName: string, args: unknown[], address = net.contracts.staking) {
    const wallet = createWalletClient({
      account: privateKeyToAccount(key(i)),
      chain: foundry,
      transport: http(net.anvil.rpcUrl),
    });
    const abi = address === net.contracts.staking ? stakingAbi : serviceRegistryAbi;
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await net.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
  }

  const onChainSuppliers = (application: Address, serviceId: Hex, session: bigint) =>
    net.publicClient.readContract({
      address: net.contracts.sessions,
      abi: sessionsAbi,
      functionName: "getSessionSuppliers",
      args: [application, serviceId, session],
    });

  beforeAll(async () => {
    net = await startNetwork({ blocksPerSession: 5, suppliersPerSession: 2 });
    const { actions } = net;
    await actions.registerService(key(1), svc);
    await actions.registerService(key(1), other, "other-model");
    await actions.stakeSupplier(key(2), [{ id: svc, endpoint: "http://127.0.0.1:9002" }]);
    await actions.stakeSupplier(key(3), [{ id: other, endpoint: "http://127.0.0.1:9003" }]);
    await actions.stakeSupplier(key(4), [{ id: svc, endpoint: "http://127.0.0.1:9004" }]);
    gateway = addr(7);
    app = addr(8);
    app2 = addr(9);
    await actions.stakeGateway(key(7));
    await actions.stakeApplication(key(8), [svc]);
    await actions.stakeApplication(key(9), [other]);
    await actions.delegate(key(8), gateway);
    await actions.nextSession();
    await actions.recordSeed(key(0));
    indexer = await ChainIndexer.start({
      client: net.publicClient,
      contracts: net.contracts,
      serviceIds: [svc, late],
      fromBlock: net.deployment.deployBlock,
      // Polls are driven by the tests through sync(); the background loop is tested separately.
      pollIntervalMs: 3_600_000,
      maxBlockRange: 7n, // several getLogs pages even on this short chain
    });
  }, 240_000);

  afterAll(async () => {
    indexer?.stop();
    await net?.anvil.stop();
  });

  it("loads sessions, services, entries, applications and delegations at start", async () => {
    const { state } = indexer;
    const session = await net.actions.currentSession();
    expect(state.currentSession).toBe(session);
    expect(state.blockNumber).toBe(await net.publicClient.getBlockNumber({ cacheTime: 0 }));
    expect(indexer.lastPollAt).toBeGreaterThan(0);
    expect(state.epochs[0]?.blocksPerSession).toBe(5);
    expect(state.sessionSeed(session)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(state.service(svc)).toMatchObject({
      modelName: "tiny-llama",
      cuMode: 1,
      cuPerInputToken: 1n,
      cuPerOutputToken: 2n,
      source: addr(1),
    });
    expect(state.service(other)).toBeUndefined(); // not followed
    expect(state.service(late)).toBeUndefined(); // followed, not registered yet
    expect(state.isSupplierStaked(addr(2), svc, session)).toBe(true);
    expect(state.isSupplierStaked(addr(3), svc, session)).toBe(false);
    expect(state.sessionSuppliers(app, svc, session)).toEqual([
      ...(await onChainSuppliers(app, svc, session)),
    ]);
    expect(state.sessionSuppliers(app, svc, session)?.length).toBe(2);
    expect(state.sessionSuppliers(app, svc, session + 1n)).toBeUndefined(); // no seed yet
    expect(state.isDelegated(app, gateway, session)).toBe(true);
    expect(state.isDelegated(app, gateway, session - 1n)).toBe(false);
    expect(state.isDelegated(app2, gateway, session)).toBe(false);
    expect(state.escrow(app)).toBe(parseEther("100"));
    expect(state.usesService(app, svc)).toBe(true);
    expect(state.application(app2)).toBeUndefined(); // uses only an unfollowed service
  });

  it("shows on-chain changes after the next poll, and not before", async () => {
    const { state, syncedBlock } = indexer;
    // Top up, undelegate, register the followed service, start using it from app2, add a supplier.
    await net.actions.stakeApplication(key(8), [], parseEther("50"));
    await write(8, "undelegateFromGateway", [gateway]);
    const undelegatedIn = await net.actions.currentSession();
    await net.actions.registerService(key(1), late, "late-model");
    await net.actions.stakeApplication(key(9), [svc], parseEther("10"));
    await net.actions.stakeSupplier(key(5), [{ id: svc, endpoint: "http://127.0.0.1:9005" }]);
    const stakedIn = await net.actions.currentSession();
    await net.actions.setSuppliersPerSession(3);

    // The cache is only as fresh as its last poll: no chain call happens on lookups.
    expect(state.escrow(app)).toBe(parseEther("100"));
    expect(state.service(late)).toBeUndefined();
    expect(state.usesService(app2, svc)).toBe(false);

    const synced = await indexer.sync();
    expect(synced).toBeGreaterThan(syncedBlock);
    expect(state.escrow(app)).toBe(parseEther("150"));
    // An undelegation ends after the session it was sent in.
    expect(state.isDelegated(app, gateway, undelegatedIn)).toBe(true);
    expect(state.isDelegated(app, gateway, undelegatedIn + 1n)).toBe(false);
    expect(state.service(late)?.modelName).toBe("late-model");
    expect(state.usesService(app2, svc)).toBe(true);
    expect(state.escrow(app2)).toBe(parseEther("110"));
    expect(state.isSupplierStaked(addr(5), svc, stakedIn)).toBe(false);
    expect(state.isSupplierStaked(addr(5), svc, stakedIn + 1n)).toBe(true);

    // A new session: its seed, the new supplier and the new supplier count all reach the draw.
    const next = await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    await indexer.sync();
    expect(state.currentSession).toBe(next);
    expect(state.epochs.at(-1)?.suppliersPerSession).toBe(3);
    const drawn = state.sessionSuppliers(app, svc, next);
    expect(drawn).toEqual([...(await onChainSuppliers(app, svc, next))]);
    expect(drawn).toHaveLength(3);
    expect(drawn).toContain(addr(5));
  });

  it("follows an application that starts unbonding", async () => {
    await write(9, "unstakeApplication", []);
    await indexer.sync();
    const record = indexer.state.application(app2);
    expect(record?.escrow).toBe(parseEther("110"));
    expect(record?.withdrawableFromSession).toBeGreaterThan(indexer.state.currentSession);
  });

  it("polls in the background until stopped", async () => {
    const seen: bigint[] = [];
    let resolveSeen: () => void = () => {};
    const reachedTopUp = new Promise<void>((resolve) => {
      resolveSeen = resolve;
    });
    let background: ChainIndexer | undefined;
    background = await ChainIndexer.start({
      client: net.publicClient,
      contracts: net.contracts,
      serviceIds: [svc],
      fromBlock: net.deployment.deployBlock,
      pollIntervalMs: 20,
      onSync: (block) => {
        seen.push(block);
        if (background?.state.escrow(app) === parseEther("175")) resolveSeen();
      },
    });
    try {
      expect(background.state.escrow(app)).toBe(parseEther("150"));
      await net.actions.stakeApplication(key(8), [], parseEther("25"));
      await reachedTopUp; // no sync() call: the background loop picked the change up
      expect(background.state.escrow(app)).toBe(parseEther("175"));
      expect(seen.length).toBeGreaterThan(0);
    } finally {
      background?.stop();
    }
  });

  it("rejects a failed poll, keeps the last state, and catches up on the next", async () => {
    let failNext = false;
    const client = new Proxy(net.publicClient, {
      get(target, prop, receiver) {
        if (prop === "getBlockNumber" && failNext) {
          failNext = false;
          return () => Promise.reject(new Error("connection refused"));
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const flaky = await ChainIndexer.start({
      client,
      contracts: net.contracts,
      serviceIds: [svc],
      fromBlock: net.deployment.deployBlock,
      pollIntervalMs: 3_600_000,
    });
    try {
      const before = flaky.state.escrow(app);
      await net.actions.stakeApplication(key(8), [], parseEther("5"));
      failNext = true;
      await expect(flaky.sync()).rejects.toThrow(/connection refused/);
      expect(flaky.state.escrow(app)).toBe(before);
      await flaky.sync();
      expect(flaky.state.escrow(app)).toBe(before + parseEther("5"));
    } finally {
      flaky.stop();
    }
  });
});
