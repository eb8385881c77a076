import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { relayMiningAbi, serviceRegistryAbi } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { createWalletClient, type Hex, http, maxUint256, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";
import { claimSession } from "../src/mining/claimSteps.js";
import { SessionLifecycle, type SessionLifecycleOptions } from "../src/mining/lifecycle.js";
import { SessionTrees } from "../src/mining/trees.js";
import { makeRelay } from "./relays.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

// The lifecycle under faults: a crash between a claim landing and its record being saved, relays that would
// reach a tree after its claim, and a chain RPC that goes away.
describe("SessionLifecycle under faults", () => {
  let net: Network;
  const serviceId = toServiceId("tiny-llama");
  const key = (i: number) => net.keys[i] as Hex;

  beforeAll(async () => {
    net = await startNetwork({
      blocksPerSession: 10,
      suppliersPerSession: 1,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 10,
      proofWindowBlocks: 6,
      proofRequirementThreshold: 1n,
    });
    await net.actions.registerService(key(1), serviceId);
    await net.actions.stakeSupplier(key(2), [{ id: serviceId, endpoint: "http://127.0.0.1:9002" }]);
    await net.actions.stakeApplication(key(6), [serviceId]);
  }, 120_000);
  afterAll(async () => {
    await net?.anvil.stop();
  });

  /** A lifecycle for supplier 2 on a fresh data directory, and a tree of 10 relays for the current session. */
  async function setup(options: Partial<SessionLifecycleOptions> = {}) {
    const { contracts, publicClient } = net;
    const session = await net.actions.nextSession();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l)) });
    const dir = mkdtempSync(join(tmpdir(), "decai-lifecycle-faults-"));
    const domain = { chainId: 31337, verifyingContract: contracts.relayMining };
    // The chain as the lifecycle sees it: every call fails while `rpc.down`.
    const rpc = { down: false };
    const reachable = new Proxy(publicClient as PublicClient, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) =>
          rpc.down
            ? Promise.reject(new Error("fetch failed"))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const chain = {
      publicClient: reachable,
      walletClient: createWalletClient({
        account: privateKeyToAccount(key(2)),
        chain: foundry,
        transport: http(net.anvil.rpcUrl),
      }),
      relayMining: contracts.relayMining,
    };
    const trees = new SessionTrees({ domain, target: () => maxUint256, dir });
    const lifecycle = new SessionLifecycle({ chain, contracts, trees, dir, log, retryMs: 1, ...options });
    await lifecycle.tick(); // records the session's seed
    const service = await publicClient.readContract({
      address: contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "getService",
      args: [serviceId],
    });
    const application = privateKeyToAccount(key(6)).address;
    const header = { application, serviceId, session };
    const { tree } = await trees.get(header, service);
    const signers = { domain, requesterKey: key(6), application, supplierKey: key(2), serviceId, session };
    for (let i = 0; i < 10; i++) await tree.add(makeRelay(signers, i));
    const claimOf = async (k: Hex) =>
      publicClient.readContract({
        address: contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "getClaim",
        args: [k],
      });
    return {
      chain,
      rpc,
      lifecycle,
      tree,
      header,
      lines,
      claimOf,
      relay: (i: number) => makeRelay(signers, i),
    };
  }

  const claimOpen = async (session: bigint) =>
    (
      await net.publicClient.readContract({
        address: net.contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "claimWindow",
        args: [session],
      })
    )[0];

  /** Mines a block and ticks until `done`, at most `steps` times. */
  async function drive(lifecycle: SessionLifecycle, done: () => boolean | Promise<boolean>, steps = 60) {
    for (let i = 0; i < steps && !(await done()); i++) {
      await net.testClient.mine({ blocks: 1 });
      await lifecycle.tick();
    }
  }

  it("adopts a claim that landed before a crash instead of sending it again, then proves and settles it", async () => {
    const { chain, lifecycle, tree, header, lines, claimOf } = await setup();
    // The claim window opens; the claim lands, and the process dies before it saves the claim's record.
    const open = await claimOpen(header.session);
    await net.testClient.mine({ blocks: Number(open - (await net.publicClient.getBlockNumber())) });
    const { key: claimKey } = await claimSession(chain, header, tree);
    // The next life finds the tree without a record: it must not claim twice (that would revert until the
    // window closed, and the claim would go unproven and void).
    await drive(lifecycle, async () => (await claimOf(claimKey)).status >= 3);
    expect((await claimOf(claimKey)).status).toBe(3); // settled, not voided (4)
    expect(lines.some((l) => l.msg === "claim found on-chain; resuming after it")).toBe(true);
    expect(lines.some((l) => l.msg === "proof submitted")).toBe(true);
    expect(lines.filter((l) => l.msg === "claim step failed; will retry")).toEqual([]);
  }, 120_000);

  it("waits for the session's last relays before claiming, then seals the tree", async () => {
    const serving = { now: true };
    const { lifecycle, tree, lines, relay } = await setup({ stillServing: () => serving.now });
    const claimed = () => lines.some((l) => l.msg === "claimed");
    await drive(lifecycle, () => lines.some((l) => l.for === "the session's last relays to finish"));
    await tree.add(relay(10)); // a relay that was still running
    await lifecycle.tick();
    expect(claimed()).toBe(false);
    serving.now = false;
    await drive(lifecycle, claimed, 5);
    expect(lines.find((l) => l.msg === "claimed")?.relays).toBe("11");
    // Anything later would not be in the claim: the tree refuses it.
    await expect(tree.add(relay(11))).rejects.toThrow(/claim is taken/);
  }, 120_000);

  it("says once that the chain is unreachable and what waits for it, then once that it is back", async () => {
    const { rpc, lifecycle, header, lines } = await setup();
    await lifecycle.tick(); // the tree waits for its claim window
    rpc.down = true;
    for (let i = 0; i < 3; i++) await expect(lifecycle.tick()).rejects.toThrow("fetch failed");
    const down = lines.filter((l) => String(l.msg).startsWith("chain RPC unreachable"));
    expect(down).toHaveLength(1);
    expect(down[0]?.msg).toBe("chain RPC unreachable: claims, proofs and settlements wait until it answers");
    expect(down[0]?.waitingFor).toEqual([
      `claim of session ${header.session} (application ${header.application.toLowerCase()}): claim window opens at block ${await claimOpen(header.session)}`,
    ]);
    rpc.down = false;
    await lifecycle.tick();
    await lifecycle.tick();
    expect(lines.filter((l) => l.msg === "chain RPC reachable again")).toHaveLength(1);
  }, 120_000);
});
