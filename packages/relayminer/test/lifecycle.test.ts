import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { relayMiningAbi, serviceRegistryAbi, testTokenAbi } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { createWalletClient, type Hex, http, maxUint256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";
import { MetricsRegistry } from "../src/metrics.js";
import type { ClaimRecord } from "../src/mining/claimState.js";
import { SessionLifecycle } from "../src/mining/lifecycle.js";
import { SessionTrees } from "../src/mining/trees.js";
import { makeRelay } from "./relays.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

describe("SessionLifecycle", () => {
  let net: Network;
  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("claims, proves and settles by itself, and resumes after a restart between steps", async () => {
    net = await startNetwork({
      blocksPerSession: 10,
      suppliersPerSession: 1,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 6,
      proofWindowBlocks: 6,
      proofRequirementThreshold: 1n,
    });
    const { actions, contracts, publicClient, testClient } = net;
    const key = (i: number) => net.keys[i] as Hex;
    const supplier = privateKeyToAccount(key(2)).address;
    const app = privateKeyToAccount(key(6)).address;
    const serviceId = toServiceId("tiny-llama");
    await actions.registerService(key(1), serviceId);
    await actions.stakeSupplier(key(2), [{ id: serviceId, endpoint: "http://127.0.0.1:9002" }]);
    await actions.stakeApplication(key(6), [serviceId]);
    const session = await actions.nextSession();

    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (l) => lines.push(l) });
    const dir = mkdtempSync(join(tmpdir(), "decai-lifecycle-"));
    const domain = { chainId: 31337, verifyingContract: contracts.relayMining };
    const chain = {
      publicClient,
      walletClient: createWalletClient({
        account: privateKeyToAccount(key(2)),
        chain: foundry,
        transport: http(net.anvil.rpcUrl),
      }),
      relayMining: contracts.relayMining,
    };
    const registries: MetricsRegistry[] = [];
    const start = () => {
      const trees = new SessionTrees({ domain, target: () => maxUint256, dir });
      const metrics = new MetricsRegistry();
      registries.push(metrics);
      return {
        trees,
        lifecycle: new SessionLifecycle({ chain, contracts, trees, dir, log, retryMs: 1, metrics }),
      };
    };

    // The lifecycle records the session's seed itself.
    let run = start();
    await run.lifecycle.tick();
    const service = await publicClient.readContract({
      address: contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "getService",
      args: [serviceId],
    });
    const { tree } = await run.trees.get({ application: app, serviceId, session }, service);
    for (let i = 0; i < 40; i++) {
      await tree.add(
        makeRelay(
          { domain, requesterKey: key(6), application: app, supplierKey: key(2), serviceId, session },
          i,
        ),
      );
    }
    const mined = tree.claimRoot();

    const balance = () =>
      publicClient.readContract({
        address: contracts.paymentToken,
        abi: testTokenAbi,
        functionName: "balanceOf",
        args: [supplier],
      });
    const before = await balance();
    const stages: string[] = [];
    let last: ClaimRecord | undefined;
    for (let step = 0; step < 60 && last?.stage !== "settled"; step++) {
      await testClient.mine({ blocks: 1 });
      [last] = await run.lifecycle.tick();
      if (last && stages.at(-1) !== last.stage) stages.push(last.stage);
      if (last?.stage === "claimed" && !stages.includes("restarted")) {
        // Simulate a crash right after the claim: a new process finds the tree and its record on disk.
        stages.push("restarted");
        run = start();
      }
    }
    // After the restart the new process reads "claimed" back from disk and carries on from there.
    expect(stages).toEqual(["mining", "claimed", "restarted", "claimed", "proved", "settled"]);
    expect(last?.outcome?.rootSum).toBe(mined.rootSum);
    expect(last?.outcome?.proven).toBe(true);
    const claim = await publicClient.readContract({
      address: contracts.relayMining,
      abi: relayMiningAbi,
      functionName: "getClaim",
      args: [last?.outcome?.key as Hex],
    });
    expect(claim.status).toBe(3); // Settled
    expect((await balance()) - before).toBeGreaterThan(0n);
    expect(last?.outcome?.settledAmount).toBeGreaterThan(0n);
    // Settled trees are pruned from disk.
    expect(readdirSync(join(dir, String(session)))).toEqual([]);
    expect(existsSync(join(dir, String(session)))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"waiting"'))).toBe(true);
    // The first process claimed; the restarted one proved and settled.
    expect(registries[0]?.render()).toMatch(
      new RegExp(`^decai_claims_total\\{service="${serviceId}"\\} 1$`, "m"),
    );
    const text = registries.at(-1)?.render() ?? "";
    expect(text).toMatch(new RegExp(`^decai_proofs_total\\{service="${serviceId}"\\} 1$`, "m"));
    expect(text).toMatch(new RegExp(`^decai_claims_settled_total\\{service="${serviceId}"\\} 1$`, "m"));
    expect(text).toMatch(
      new RegExp(
        `^decai_settled_amount_total\\{service="${serviceId}"\\} ${last?.outcome?.settledAmount}$`,
        "m",
      ),
    );
    expect(lines.some((l) => l.includes('"msg":"recorded session seed"'))).toBe(true);
  }, 120_000);
});
