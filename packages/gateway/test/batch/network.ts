// A small real network for the batch tier: anvil with the contracts, a service and its batch tier, interactive and
// batch-tier suppliers (RelayMiners in front of the fast mock backend), an application delegating to a gateway.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment, serviceRegistryAbi } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { type BackendServer, createBackendServer, createMockBackend } from "@decai/llm";
import { createLogger, loadConfig, type RunningRelayMiner, runRelayMiner } from "@decai/relayminer";
import { createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export const SERVICE = "decai-tiny";
export const BATCH_SERVICE = "decai-tiny.batch";

/**
 * Starts the network: `interactive` suppliers for "decai-tiny" (1 CU per input token, 2 per output token) and
 * `batch` suppliers for its batch tier "decai-tiny.batch" (1 and 1), each with its own mock backend
 * (`latencyMs` per answer). The application (key 6 of anvil's accounts) delegates to the gateway (key 5).
 */
export async function startBatchNetwork(options: { interactive: number; batch: number; latencyMs: number }) {
  const dir = mkdtempSync(join(tmpdir(), "decai-batch-net-"));
  const net = await startNetwork(
    {
      blocksPerSession: 1000, // no rollover during the test
      suppliersPerSession: 3,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 20,
      proofWindowBlocks: 20,
    },
    20,
  );
  const key = (i: number) => net.keys[i] as Hex;
  const service = toServiceId(SERVICE);
  const batchService = toServiceId(BATCH_SERVICE);
  await net.actions.registerService(key(1), service, SERVICE);
  const source = createWalletClient({
    account: privateKeyToAccount(key(1)),
    chain: foundry,
    transport: http(net.anvil.rpcUrl),
  });
  const hash = await source.writeContract({
    address: net.contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "registerBatchService",
    args: [batchService, service, 1000, 1, 0n, 1n, 1n],
  });
  await net.publicClient.waitForTransactionReceipt({ hash });

  const backends: BackendServer[] = [];
  const miners: RunningRelayMiner[] = [];
  const suppliers: { key: Hex; service: string }[] = [];
  for (let i = 0; i < options.interactive + options.batch; i++) {
    suppliers.push({ key: key(7 + i), service: i < options.interactive ? SERVICE : BATCH_SERVICE });
  }
  const ports = await Promise.all(suppliers.map(() => freePort()));
  for (const [i, s] of suppliers.entries()) {
    await net.actions.stakeSupplier(s.key, [
      { id: toServiceId(s.service), endpoint: `http://127.0.0.1:${ports[i]}` },
    ]);
  }
  await net.actions.stakeGateway(key(5));
  await net.actions.stakeApplication(key(6), [service, batchService], 10n ** 24n);
  await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
  await net.actions.nextSession();
  await net.actions.recordSeed(key(0));
  saveDeployment(join(dir, "deployment.json"), net.deployment);

  for (const [i, s] of suppliers.entries()) {
    // Both tiers serve the same model: the backend answers to the interactive name.
    const backend = createMockBackend({
      modelId: SERVICE,
      latencyMs: options.latencyMs,
      completionTokens: 8,
    });
    const server = await createBackendServer(backend);
    backends.push(server);
    writeFileSync(join(dir, `s${i}.key`), s.key);
    writeFileSync(
      join(dir, `s${i}.json`),
      JSON.stringify({
        port: ports[i],
        host: "127.0.0.1",
        rpcUrl: net.anvil.rpcUrl,
        deployment: "deployment.json",
        supplierKeyFile: `s${i}.key`,
        dataDir: join(dir, `s${i}`),
        pollIntervalMs: 100,
        fsync: "batch",
        services: [{ name: s.service, backend: new URL(server.url).origin }],
      }),
    );
    const config = loadConfig({ argv: ["--config", join(dir, `s${i}.json`)], env: {} });
    miners.push(await runRelayMiner(config, { logger: createLogger({ level: "error", write: () => {} }) }));
  }
  return {
    net,
    dir,
    gatewayKey: key(5),
    application: privateKeyToAddress(key(6)),
    suppliers: suppliers.map((s) => ({ ...s, address: privateKeyToAddress(s.key) })),
    async stop() {
      for (const m of miners) await m.stop().catch(() => {});
      for (const b of backends) await b.close().catch(() => {});
      await net.anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
