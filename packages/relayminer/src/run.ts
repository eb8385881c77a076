import { join } from "node:path";
import { ChainIndexer, relayMiningAbi, sessionClockAbi } from "@decai/chain";
import type { RequestTimeouts } from "@decai/http";
import { createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainOutage } from "./chainOutage.js";
import { describeConfig, type RelayMinerConfig } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { escrowCap } from "./meter.js";
import { MetricsRegistry } from "./metrics.js";
import { SessionLifecycle } from "./mining/lifecycle.js";
import type { OpenStore } from "./mining/sessionTree.js";
import { startServingSchedule } from "./schedule/onChain.js";
import { RelayMiner } from "./server.js";
import { WeightsDigestDeclarer } from "./weightsDigest.js";

/** A running RelayMiner with the indexer that feeds it and the lifecycle that claims its work. */
export type RunningRelayMiner = {
  miner: RelayMiner;
  indexer: ChainIndexer;
  lifecycle: SessionLifecycle;
  /** Declares the configured weights digests on-chain; absent when no service has `weightsDigest`. */
  declarer?: WeightsDigestDeclarer;
  stop: () => Promise<void>;
};

/**
 * Wires a RelayMiner from its configuration: a viem client, a `ChainIndexer` loaded before the first relay is
 * accepted, the protocol parameters read from RelayMining (payment per compute unit, pending sessions, the grace
 * before claims open, each session's difficulty), the escrow-based meter cap, the claim/proof/settle lifecycle,
 * metrics (with the indexer's sync state) and JSON logs.
 *
 * @example
 * const { miner, stop } = await runRelayMiner(loadConfig());
 * process.on("SIGTERM", stop);
 */
export async function runRelayMiner(
  config: RelayMinerConfig,
  options: {
    logger?: Logger;
    /** How session-tree logs are opened (default `LogStore.open`); fault tests inject a failing disk here. */
    openStore?: OpenStore;
    /** Longest time to receive a request's headers, and a whole request, ms. Default 10 s and 30 s. */
    timeouts?: Partial<RequestTimeouts>;
  } = {},
): Promise<RunningRelayMiner> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  log.info("starting relayminer", describeConfig(config));
  const transport = http(config.rpcUrl, { retryCount: 2, timeout: 10_000 });
  // Receipts are awaited inside claim windows a few blocks long: poll at the configured pace, not viem's 4 s default.
  const client = createPublicClient({ transport, pollingInterval: Math.min(config.pollIntervalMs, 1000) });
  const chainId = await client.getChainId();
  const mining = (functionName: string, args: readonly unknown[] = []) =>
    client.readContract({
      address: config.verifyingContract,
      abi: relayMiningAbi,
      functionName,
      args,
    } as never);
  const currentSession = await client.readContract({
    address: config.contracts.sessionClock,
    abi: sessionClockAbi,
    functionName: "currentSession",
  });
  const paymentPerComputeUnit =
    config.paymentPerComputeUnit ?? ((await mining("paymentPerComputeUnit")) as bigint);
  const pendingSessions =
    config.pendingSessions ?? ((await mining("pendingSessions", [currentSession])) as bigint);
  // Relays of a session are served until its claim window opens, never after: later ones could not be claimed.
  const graceBlocks = config.graceBlocks ?? Number((await mining("claimWindowOpenOffsetBlocks")) as bigint);
  const targets = new Map<string, Promise<bigint>>();
  const target = (serviceId: Hex, session: bigint) => {
    if (config.target !== undefined) return config.target;
    const id = `${serviceId}/${session}`;
    let known = targets.get(id);
    if (!known) {
      known = mining("targetAt", [serviceId, session]) as Promise<bigint>;
      known.catch(() => targets.delete(id));
      targets.set(id, known);
    }
    return known;
  };
  const metrics = new MetricsRegistry();
  const syncErrors = metrics.counter("decai_chain_sync_errors_total", "Failed chain polls.");
  const outage = new ChainOutage({
    log,
    rpcUrl: config.rpcUrl,
    effect: "serving relays from the cached chain state until it answers",
  });
  // Each session's difficulty is read as soon as the session is seen, not by its first relay: no chain call on
  // the relay path, even at a rollover or while the RPC is away.
  let state: ChainIndexer["state"] | undefined; // the indexer's, once it has started
  let prefetched = -1n;
  const prefetchTargets = () => {
    const session = state?.currentSession ?? -1n;
    if (session < 0n || session === prefetched) return;
    prefetched = session;
    for (const s of config.services) void Promise.resolve(target(s.id, session)).catch(() => {});
  };
  let declarer: WeightsDigestDeclarer | undefined;
  const indexer = await ChainIndexer.start({
    client,
    contracts: config.contracts,
    serviceIds: config.services.map((s) => s.id),
    fromBlock: config.fromBlock,
    pollIntervalMs: config.pollIntervalMs,
    onError: (error) => {
      syncErrors.inc();
      // Relays keep being validated against the last synced state (the cached session); said once per outage.
      outage.failed(error, { syncedBlock: state?.blockNumber, session: state?.currentSession });
    },
    onSync: (block) => {
      outage.recovered({ syncedBlock: block });
      prefetchTargets();
      // A stake made after the start is declared as soon as the cache sees it.
      void declarer?.check();
    },
  });
  state = indexer.state;
  prefetchTargets();
  metrics.gauge("decai_chain_synced_block", "Last block the chain cache reflects.", [], () =>
    Number(indexer.syncedBlock),
  );
  const miner = await RelayMiner.start({
    supplierKey: config.supplierKey,
    chain: indexer.state,
    refreshChain: () => indexer.sync(),
    domain: { chainId, verifyingContract: config.verifyingContract },
    services: config.services.map((s) => ({
      id: s.id,
      backend: { url: s.backend, ...(s.headers ? { headers: s.headers } : {}) },
      ...(s.weightsDigest ? { weightsDigest: s.weightsDigest } : {}),
    })),
    cap: escrowCap(indexer.state, { pendingSessions, paymentPerComputeUnit }),
    target,
    dataDir: config.dataDir,
    fsync: config.fsync,
    ...(options.openStore ? { openStore: options.openStore } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    graceBlocks,
    maxBodyBytes: config.maxBodyBytes,
    backendTimeoutMs: config.backendTimeoutMs,
    host: config.host,
    port: config.port,
    logger: log,
    metrics,
    health: () => {
      const lastSyncMsAgo = Date.now() - indexer.lastPollAt;
      // Polls that keep failing leave the cache behind the chain: sessions and stakes may be stale.
      const stale = lastSyncMsAgo > 10 * config.pollIntervalMs + 10_000;
      return {
        chainId,
        syncedBlock: indexer.syncedBlock,
        lastSyncMsAgo,
        ...(stale ? { status: "stale" } : {}),
      };
    },
  });
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const lifecycle = new SessionLifecycle({
    chain: {
      publicClient: client,
      walletClient: createWalletClient({
        account: privateKeyToAccount(config.supplierKey),
        chain,
        transport,
      }),
      relayMining: config.verifyingContract,
    },
    contracts: config.contracts,
    trees: miner.trees,
    dir: join(config.dataDir, "trees"),
    log: log.child({ component: "lifecycle" }),
    pollMs: config.pollIntervalMs,
    metrics,
    rpcUrl: config.rpcUrl,
    // The relay path admits a session's relays until the cache passes its last relay block; the chain may be
    // a little ahead of the cache, and a relay admitted just before may still be running.
    stillServing: ({ application, serviceId, session }) =>
      indexer.state.blockNumber <= indexer.state.sessionEndBlock(session) + BigInt(graceBlocks) ||
      miner.meter.usage(application, serviceId, session).reserved > 0n,
  });
  lifecycle.start();
  // Idle-hardware suppliers: serve only at the configured hours / while the machine is otherwise idle.
  const schedule = config.schedule
    ? startServingSchedule(config.schedule, {
        gate: miner.drain,
        chain: {
          publicClient: client,
          walletClient: createWalletClient({
            account: privateKeyToAccount(config.supplierKey),
            chain,
            transport,
          }),
          staking: config.contracts.staking,
        },
        log: log.child({ component: "schedule" }),
      })
    : undefined;
  if (config.services.some((s) => s.weightsDigest)) {
    declarer = new WeightsDigestDeclarer({
      publicClient: client,
      walletClient: createWalletClient({
        account: privateKeyToAccount(config.supplierKey),
        chain,
        transport,
      }),
      staking: config.contracts.staking,
      chain: indexer.state,
      services: config.services,
      log: log.child({ component: "weights-digest" }),
    });
    await declarer.check(); // before gateways load the session, when the stake is already there
  }
  return {
    miner,
    indexer,
    lifecycle,
    ...(declarer ? { declarer } : {}),
    stop: async () => {
      await schedule?.stop();
      indexer.stop();
      await lifecycle.stop();
      await miner.stop();
      log.info("relayminer stopped");
    },
  };
}
