import type { Address, Hex } from "viem";
import { createPublicClient, createTestClient, createWalletClient, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  type Anvil,
  type DecaiDeployment,
  type DecaiParams,
  deployDecai,
  type StartAnvilOptions,
  serviceRegistryAbi,
  sessionClockAbi,
  stakingAbi,
  startAnvil,
  testTokenAbi,
} from "../index.js";

/**
 * A fresh anvil with Decai deployed, plus typed helpers to act as each actor (mint test tokens, stake, register,
 * delegate, record seeds, move to the next session). For tests, benchmarks and `decai devnet`; it uses the
 * TestToken faucet, so never point it at a real network.
 *
 * @example
 * const net = await startNetwork({ blocksPerSession: 10 });
 * await net.actions.registerService(net.keys[1], toServiceId("tiny-llama"));
 */
export async function startNetwork(
  params: Partial<DecaiParams> = {},
  accounts = 20,
  anvilOptions: Omit<StartAnvilOptions, "accounts"> = {},
) {
  const anvil: Anvil = await startAnvil({ ...anvilOptions, accounts });
  const transport = http(anvil.rpcUrl);
  // Poll receipts often: with interval mining (devnet) a block comes every second or less.
  const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 100 });
  const testClient = createTestClient({ chain: foundry, mode: "anvil", transport });
  const [deployerAccount] = anvil.accounts;
  if (!deployerAccount) throw new Error("no accounts");
  const deployment: DecaiDeployment = await deployDecai({
    rpcUrl: anvil.rpcUrl,
    privateKey: deployerAccount.privateKey,
    params,
  });
  const { contracts } = deployment;

  const wallet = (privateKey: Hex) =>
    createWalletClient({ account: privateKeyToAccount(privateKey), chain: foundry, transport });

  /** Sends a transaction and waits for its receipt; throws if it reverted. */
  async function send(privateKey: Hex, request: Parameters<ReturnType<typeof wallet>["writeContract"]>[0]) {
    const hash = await wallet(privateKey).writeContract(request as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction reverted: ${hash}`);
    return receipt;
  }

  async function fund(privateKey: Hex, token: Address, amount: bigint) {
    const address = privateKeyToAccount(privateKey).address;
    await send(privateKey, {
      address: token,
      abi: testTokenAbi,
      functionName: "mint",
      args: [address, amount],
    } as never);
    await send(privateKey, {
      address: token,
      abi: testTokenAbi,
      functionName: "approve",
      args: [contracts.staking, amount],
    } as never);
  }

  const actions = {
    /** Registers a service priced per token (1 compute unit per input token, 2 per output token), 10% to the source. */
    async registerService(
      key: Hex,
      id: Hex,
      modelName = "tiny-llama",
      weightsDigest: Hex = `0x${"11".repeat(32)}`,
    ) {
      await send(key, {
        address: contracts.serviceRegistry,
        abi: serviceRegistryAbi,
        functionName: "registerService",
        args: [id, modelName, weightsDigest, 1000, 1, 0n, 1n, 2n],
      } as never);
    },
    async stakeSupplier(key: Hex, services: { id: Hex; endpoint: string }[], amount = parseEther("1000")) {
      await fund(key, contracts.stakeToken, amount);
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "stakeSupplier",
        args: [amount],
      } as never);
      for (const s of services) await actions.addSupplierService(key, s.id, s.endpoint);
    },
    async addSupplierService(key: Hex, id: Hex, endpoint: string) {
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "addSupplierService",
        args: [id, endpoint],
      } as never);
    },
    /** Declares the weights digest (sha256 of the model file) the supplier serves `id` with. */
    async declareWeightsDigest(key: Hex, id: Hex, digest: Hex) {
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "declareWeightsDigest",
        args: [id, digest],
      } as never);
    },
    async removeSupplierService(key: Hex, id: Hex) {
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "removeSupplierService",
        args: [id],
      } as never);
    },
    async unstakeSupplier(key: Hex) {
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "unstakeSupplier",
        args: [],
      } as never);
    },
    async stakeGateway(key: Hex, amount = parseEther("1000")) {
      await fund(key, contracts.stakeToken, amount);
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "stakeGateway",
        args: [amount],
      } as never);
    },
    async stakeApplication(key: Hex, services: Hex[], amount = parseEther("100")) {
      await fund(key, contracts.paymentToken, amount);
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "stakeApplication",
        args: [amount, services],
      } as never);
    },
    async delegate(key: Hex, gateway: Address) {
      await send(key, {
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "delegateToGateway",
        args: [gateway],
      } as never);
    },
    async recordSeed(key: Hex) {
      await send(key, {
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "recordSessionSeed",
        args: [],
      } as never);
    },
    async setSuppliersPerSession(value: number) {
      await send(deployerAccount.privateKey, {
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "setSuppliersPerSession",
        args: [value],
      } as never);
    },
    async setBlocksPerSession(value: number) {
      await send(deployerAccount.privateKey, {
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "setBlocksPerSession",
        args: [value],
      } as never);
    },
    async currentSession(): Promise<bigint> {
      return BigInt(
        await publicClient.readContract({
          address: contracts.sessionClock,
          abi: sessionClockAbi,
          functionName: "currentSession",
        }),
      );
    },
    /** Mines empty blocks until the next session has started. */
    async nextSession() {
      const current = await actions.currentSession();
      const start = await publicClient.readContract({
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "sessionStartBlock",
        args: [current + 1n],
      });
      const now = await publicClient.getBlockNumber({ cacheTime: 0 });
      if (BigInt(start) > now) await testClient.mine({ blocks: Number(BigInt(start) - now) });
      return current + 1n;
    },
  };

  return {
    anvil,
    publicClient,
    testClient,
    deployment,
    contracts,
    actions,
    keys: anvil.accounts.map((a) => a.privateKey),
  };
}
