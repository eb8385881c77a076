// Gas of one claim, one proof and one settlement as the mined tree grows (10, 10^3, 10^6 relays by default).
// Relay Mining's promise: claim and settle cost the same whatever the traffic, and a proof grows only with the
// tree's depth (log2 of its size). Runs on a fresh anvil with the real contracts and real signed relays.
//
//   npx tsx bench/relay-mining-gas.ts [--sizes 10,1000,1000000]
//
// Writes bench/results/relay-mining-gas.json and .md.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { relayMiningAbi, serviceRegistryAbi } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import { SessionTree } from "@decai/relayminer";
import {
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  claimSession,
  type MiningChain,
  proveSession,
  settleSession,
} from "../packages/relayminer/src/mining/claimSteps.js";
import { makeRelay } from "../packages/relayminer/test/relays.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10,1000,1000000" } } });
// A first tree of 1 relay pays the one-off storage writes of the session (first claim, first proof seed,
// first settlement) so that the measured rows compare like with like; it is left out of the table.
const sizes = [1, ...(values.sizes as string).split(",").map(Number)];

const net = await startNetwork(
  {
    blocksPerSession: 20,
    suppliersPerSession: 1,
    claimWindowOpenOffsetBlocks: 1,
    claimWindowBlocks: 20,
    proofWindowBlocks: 40,
    proofRequirementThreshold: 1n,
    initialTarget: maxUint256,
  },
  8 + sizes.length,
);
try {
  const key = (i: number) => net.keys[i] as Hex;
  const serviceId = toServiceId("gas-bench");
  const { actions, contracts, publicClient, testClient } = net;
  await actions.registerService(key(1), serviceId);
  await actions.stakeSupplier(key(2), [{ id: serviceId, endpoint: "http://127.0.0.1:9000" }]);
  const apps = sizes.map((_, i) => 8 + i);
  for (const a of apps) await actions.stakeApplication(key(a), [serviceId], 10n ** 24n);
  const session = await actions.nextSession();
  await actions.recordSeed(key(0));

  const domain = { chainId: 31337, verifyingContract: contracts.relayMining };
  const service = await publicClient.readContract({
    address: contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "getService",
    args: [serviceId],
  });
  const trees: SessionTree[] = [];
  for (const [i, size] of sizes.entries()) {
    const tree = await SessionTree.open({ domain, service, target: maxUint256 });
    const app = privateKeyToAccount(key(apps[i] as number)).address;
    const signers = {
      domain,
      requesterKey: key(apps[i] as number),
      application: app,
      supplierKey: key(2),
      serviceId,
      session,
    };
    const started = Date.now();
    for (let n = 0; n < size; n++) {
      await tree.add(makeRelay(signers, n));
      if (n > 0 && n % 100_000 === 0)
        console.error(
          `  tree ${size}: ${n} relays signed and mined (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
    }
    console.error(`tree of ${size} relays ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    trees.push(tree);
  }

  // Record the gas of every transaction the steps send, by wrapping the receipt wait.
  const gas: Record<string, bigint>[] = sizes.map(() => ({}));
  let current: Record<string, bigint> = {};
  const waitForReceipt = publicClient.waitForTransactionReceipt.bind(publicClient);
  publicClient.waitForTransactionReceipt = (async (args: Parameters<typeof waitForReceipt>[0]) => {
    const receipt: TransactionReceipt = await waitForReceipt(args);
    const [event] = parseEventLogs({ abi: relayMiningAbi, logs: receipt.logs });
    current[event?.eventName ?? "tx"] = receipt.gasUsed;
    return receipt;
  }) as typeof publicClient.waitForTransactionReceipt;
  const chain: MiningChain = {
    publicClient,
    walletClient: createWalletClient({
      account: privateKeyToAccount(key(2)),
      chain: foundry,
      transport: http(net.anvil.rpcUrl),
    }),
    relayMining: contracts.relayMining,
  };
  const window = (fn: string) =>
    publicClient.readContract({
      address: contracts.relayMining,
      abi: relayMiningAbi,
      functionName: fn,
      args: [session],
    } as never) as Promise<readonly [bigint, bigint]>;
  const mineTo = async (block: bigint) => {
    const now = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (block > now) await testClient.mine({ blocks: Number(block - now) });
  };

  const [claimOpen] = await window("claimWindow");
  await mineTo(claimOpen - 1n);
  const header = (i: number) => ({
    application: privateKeyToAccount(key(apps[i] as number)).address,
    serviceId,
    session,
  });
  const outcomes = [];
  for (const [i, tree] of trees.entries()) {
    current = gas[i] as Record<string, bigint>;
    outcomes.push(await claimSession(chain, header(i), tree));
  }
  const [proofOpen, proofClose] = await window("proofWindow");
  await mineTo(proofOpen);
  for (const [i, tree] of trees.entries()) {
    current = gas[i] as Record<string, bigint>;
    outcomes[i] = await proveSession(chain, outcomes[i] as (typeof outcomes)[0], tree);
  }
  await mineTo(proofClose - 1n);
  for (const [i] of trees.entries()) {
    current = gas[i] as Record<string, bigint>;
    outcomes[i] = await settleSession(chain, outcomes[i] as (typeof outcomes)[0]);
  }

  const rows = sizes.slice(1).map((size, j) => {
    const i = j + 1;
    const g = gas[i] as Record<string, bigint>;
    return {
      leaves: size,
      depth: Math.ceil(Math.log2(Math.max(size, 2))),
      claimGas: Number(g.ClaimSubmitted),
      proofGas: Number(g.ProofSubmitted),
      proofSeedGas: Number(g.ProofSeedRecorded ?? 0),
      settleGas: Number(g.ClaimSettled),
    };
  });
  const base = rows[0] as (typeof rows)[0];
  const lines = [
    "# Relay mining gas by tree size",
    "",
    `Measured ${new Date().toISOString()} on anvil (real contracts, real signed relays, every claim proven).`,
    "Ratios are against the smallest tree. Claim and settle must stay flat; proof gas grows with the tree depth, about log2(leaves).",
    "",
    "| leaves | ⌈log2 leaves⌉ | claim gas | proof gas | settle gas | claim × | proof × | settle × |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.leaves} | ${r.depth} | ${r.claimGas} | ${r.proofGas} | ${r.settleGas} | ${(r.claimGas / base.claimGas).toFixed(2)} | ${(r.proofGas / base.proofGas).toFixed(2)} | ${(r.settleGas / base.settleGas).toFixed(2)} |`,
    ),
  ];
  console.log(lines.join("\n"));
  const dir = join(import.meta.dirname, "results");
  writeFileSync(
    join(dir, "relay-mining-gas.json"),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  writeFileSync(join(dir, "relay-mining-gas.md"), `${lines.join("\n")}\n`);
} finally {
  await net.anvil.stop();
}
