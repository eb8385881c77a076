import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { createPublicClient, custom, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { connectDecaiNetwork } from "../src/index.js";

// The chain RPC behind `connectDecaiNetwork` goes away: the catalog and prices it read stay on sale (RelayMiners
// keep serving from their cached state meanwhile), instead of the model vanishing with the RPC.
describe("connectDecaiNetwork while the chain RPC is unreachable", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("keeps the last catalog and prices, and reads the chain again once it answers", async () => {
    net = await startNetwork({ suppliersPerSession: 1 });
    const key = (i: number) => net.keys[i] as Hex;
    const service = toServiceId("tiny-llama");
    await net.actions.registerService(key(1), service);
    await net.actions.stakeSupplier(key(2), [{ id: service, endpoint: "http://127.0.0.1:1" }]);
    await net.actions.stakeGateway(key(5));
    await net.actions.stakeApplication(key(6), [service]);
    await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
    await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    const rpc = { down: false, calls: 0 };
    const client = createPublicClient({
      transport: custom({
        request: (args) => {
          rpc.calls++;
          return rpc.down
            ? Promise.reject(new Error("fetch failed"))
            : net.publicClient.request(args as never);
        },
      }),
    });
    const { upstream, pricing } = connectDecaiNetwork({
      client,
      deployment: net.deployment,
      gatewayKey: key(5),
      application: privateKeyToAddress(key(6)),
      catalogTtlMs: 0, // re-read on every call
    });
    const before = await upstream.models();
    const price = pricing("tiny-llama");
    expect(before.map((m) => [m.id, m.suppliers])).toEqual([["tiny-llama", 1]]);
    expect(price?.perOutputToken).toBeGreaterThan(0n);

    rpc.down = true;
    expect((await upstream.models()).map((m) => [m.id, m.suppliers])).toEqual([["tiny-llama", 1]]);
    const failed = rpc.calls;
    await upstream.models(); // the failed read is not retried on every call
    expect(rpc.calls).toBe(failed);
    expect(pricing("tiny-llama")).toEqual(price);

    rpc.down = false;
    await new Promise((r) => setTimeout(r, 1_100)); // past the SDK's pause after a failed read
    await net.actions.registerService(key(1), toServiceId("other-model"), "other-model");
    // The catalog is read again 5 s after the failure: a new service shows up then.
    let ids: string[] = [];
    for (let i = 0; i < 70 && !ids.includes("other-model"); i++) {
      ids = (await upstream.models()).map((m) => m.id);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toContain("other-model");
  }, 60_000);
});
