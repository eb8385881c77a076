import { toServiceId } from "@decai/core";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceRegistryAbi } from "../generated/contracts.js";
import { startNetwork } from "../testing/network.js";
import { readNetworkStatus } from "./readNetworkStatus.js";
import { readService, readTiers } from "./reads.js";

// A real registry on anvil: an interactive service, its batch tier, and a service without one.
describe("service tiers in the status", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  const interactive = toServiceId("tiny-llama");
  const batch = toServiceId("tiny-llama.batch");
  const lone = toServiceId("other-llm");

  beforeAll(async () => {
    net = await startNetwork({}, 4);
    const sourceKey = net.keys[1] as `0x${string}`;
    await net.actions.registerService(sourceKey, interactive); // 1 CU per input token, 2 per output token
    await net.actions.registerService(sourceKey, lone, "other");
    const wallet = createWalletClient({
      account: privateKeyToAccount(sourceKey),
      chain: foundry,
      transport: http(net.anvil.rpcUrl),
    });
    const hash = await wallet.writeContract({
      address: net.contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "registerBatchService",
      args: [batch, interactive, 1000, 1, 0n, 1n, 1n],
    });
    expect((await net.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  }, 60_000);

  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("links a batch tier and its interactive service both ways, with each tier's price", async () => {
    const status = await readNetworkStatus({ client: net.publicClient, deployment: net.deployment });
    const byName = Object.fromEntries(status.services.map((s) => [s.name, s]));
    expect(status.services.map((s) => s.name)).toEqual(["tiny-llama", "other-llm", "tiny-llama.batch"]);
    expect(byName["tiny-llama"]).toMatchObject({
      tier: "interactive",
      batchTier: batch,
      cuPerInputToken: 1n,
      cuPerOutputToken: 2n,
    });
    expect(byName["tiny-llama"]).not.toHaveProperty("batchOf");
    expect(byName["tiny-llama.batch"]).toMatchObject({
      tier: "batch",
      batchOf: interactive,
      modelName: "tiny-llama", // the interactive service's model and weights
      cuPerInputToken: 1n,
      cuPerOutputToken: 1n,
    });
    expect(byName["tiny-llama.batch"]).not.toHaveProperty("batchTier");
    expect(byName["other-llm"]?.tier).toBe("interactive");
    expect(byName["other-llm"]).not.toHaveProperty("batchOf");
    expect(byName["other-llm"]).not.toHaveProperty("batchTier");
  });

  it("reads one service's tier on its own", async () => {
    const source = { client: net.publicClient, deployment: net.deployment };
    expect(await readTiers(source, batch)).toEqual({ tier: "batch", batchOf: interactive });
    expect((await readService(source, interactive))?.batchTier).toBe(batch);
  });

  it("calls every service interactive on a registry from before batch tiers", async () => {
    // A contract without the tier views stands in for a registry deployed before batch tiers.
    const old = {
      client: net.publicClient,
      deployment: {
        ...net.deployment,
        contracts: { ...net.deployment.contracts, serviceRegistry: net.deployment.contracts.sessionClock },
      },
    };
    expect(await readTiers(old, interactive)).toEqual({ tier: "interactive" });
  });
});
