import {
  type Abi,
  type Address,
  BaseError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  type Hex,
  hexToString,
  http,
  InsufficientFundsError,
  isAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainError } from "../errors.js";
import {
  relayMiningAbi,
  relayMiningBytecode,
  serviceRegistryAbi,
  serviceRegistryBytecode,
  sessionClockAbi,
  sessionClockBytecode,
  sessionsAbi,
  sessionsBytecode,
  stakingAbi,
  stakingBytecode,
  testTokenAbi,
  testTokenBytecode,
} from "../generated/contracts.js";
import type { DecaiDeployment } from "./deployment.js";
import { DEFAULT_PARAMS, type DecaiParams, miningParameters } from "./params.js";

/** Options for {@link deployDecai}. */
export type DeployDecaiOptions = {
  rpcUrl: string;
  /** Key of the deployer; it pays gas, wires the contracts together and is their governance unless `governance` is set. */
  privateKey: Hex;
  params?: Partial<DecaiParams>;
  /** Existing ERC-20 for stakes; default: deploy a TestToken ("Decai Stake", DST). */
  stakeToken?: Address;
  /** Existing ERC-20 for payments; default: deploy a TestToken ("Decai Pay", DPT). May equal stakeToken. */
  paymentToken?: Address;
  /** Governance to hand over to: proposed on every contract once deployed; it must call `acceptGovernance()`. */
  governance?: Address;
  /** Receives the DAO share of settlements; default: governance. */
  dao?: Address;
  /** Called with one line per step, for progress output. */
  onProgress?: (line: string) => void;
};

/**
 * Deploys the Decai contracts (and test tokens when none are given) and returns their addresses. Checks
 * the key, the chain and the deployer's balance before sending anything; on failure throws a
 * {@link ChainError} with a hint, and the caller writes no deployment file.
 *
 * @example
 * const deployment = await deployDecai({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[0].privateKey });
 * console.log(deployment.contracts.staking);
 */
export async function deployDecai(options: DeployDecaiOptions): Promise<DecaiDeployment> {
  const progress = options.onProgress ?? (() => {});
  const params: DecaiParams = { ...DEFAULT_PARAMS, ...options.params };
  const account = accountFromKey(options.privateKey);
  for (const [name, value] of Object.entries({
    stakeToken: options.stakeToken,
    paymentToken: options.paymentToken,
    governance: options.governance,
    dao: options.dao,
  })) {
    if (value !== undefined && !isAddress(value)) {
      throw new ChainError(`${name} "${value}" is not an address`, "pass a 0x-prefixed 20-byte hex address");
    }
  }

  const transport = http(options.rpcUrl, { retryCount: 0, timeout: 10_000 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId().catch((cause) => {
    throw new ChainError(
      `cannot reach a chain at ${options.rpcUrl}`,
      "start one with `npx decai devnet`, or pass the right --rpc-url",
      { cause },
    );
  });
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  // Poll receipts often: on a devnet a block comes every second or less, and deployment waits on seven of them.
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 200 });
  const wallet = createWalletClient({ account, chain, transport });

  const balance = await publicClient.getBalance({ address: account.address });
  if (balance === 0n) {
    throw new ChainError(
      `deployer ${account.address} has no ETH on chain ${chainId} to pay for gas`,
      "fund that account first, or use a pre-funded key",
    );
  }
  for (const token of [options.stakeToken, options.paymentToken]) {
    if (token && (await publicClient.getCode({ address: token })) === undefined) {
      throw new ChainError(
        `no contract at token address ${token} on chain ${chainId}`,
        "pass the address of a deployed ERC-20",
      );
    }
  }

  const governance = options.governance ?? account.address;
  const dao = options.dao ?? governance;
  const deployBlock = await publicClient.getBlockNumber();

  async function send(
    what: string,
    request: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] },
  ) {
    progress(`${what}...`);
    try {
      const hash = await wallet.writeContract(request as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success")
        throw new ChainError(`${what} reverted (tx ${hash})`, "check the deployment parameters");
    } catch (error) {
      throw toChainError(error, `${what} failed`, account.address, request.abi);
    }
  }

  async function deploy(name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
    progress(`deploying ${name}...`);
    try {
      const hash = await wallet.deployContract({ abi, bytecode, args } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success" || !receipt.contractAddress) {
        throw new ChainError(`deploying ${name} reverted (tx ${hash})`, "check the deployment parameters");
      }
      progress(`deployed ${name} at ${receipt.contractAddress}`);
      return receipt.contractAddress;
    } catch (error) {
      throw toChainError(error, `deploying ${name} failed`, account.address, abi);
    }
  }

  const stakeToken =
    options.stakeToken ??
    (await deploy("stake token", testTokenAbi, testTokenBytecode, ["Decai Stake", "DST", 18]));
  const paymentToken =
    options.paymentToken ??
    (await deploy("payment token", testTokenAbi, testTokenBytecode, ["Decai Pay", "DPT", 18]));
  const serviceRegistry = await deploy("ServiceRegistry", serviceRegistryAbi, serviceRegistryBytecode, []);
  const sessionClock = await deploy("SessionClock", sessionClockAbi, sessionClockBytecode, [
    account.address,
    params.blocksPerSession,
    params.suppliersPerSession,
  ]);
  const staking = await deploy("Staking", stakingAbi, stakingBytecode, [
    account.address,
    stakeToken,
    paymentToken,
    serviceRegistry,
    sessionClock,
    params.minSupplierStake,
    params.minGatewayStake,
    params.minApplicationStake,
    params.unbondingSessions,
    dao,
    params.daoShareBps,
  ]);
  const sessions = await deploy("Sessions", sessionsAbi, sessionsBytecode, [staking, sessionClock]);
  const relayMining = await deploy("RelayMining", relayMiningAbi, relayMiningBytecode, [
    account.address,
    staking,
    sessions,
    miningParameters(params),
  ]);
  await send("authorising RelayMining to settle from Staking", {
    address: staking,
    abi: stakingAbi,
    functionName: "setSettlement",
    args: [relayMining],
  });
  if (governance !== account.address) {
    // Two-step hand-over: the new governance must call acceptGovernance() on each contract.
    for (const [name, address] of [
      ["SessionClock", sessionClock],
      ["Staking", staking],
      ["RelayMining", relayMining],
    ] as const) {
      await send(`proposing ${governance} as governance of ${name}`, {
        address,
        abi: stakingAbi,
        functionName: "proposeGovernance",
        args: [governance],
      });
    }
  }

  return {
    chainId,
    deployBlock,
    deployer: account.address,
    governance,
    dao,
    params,
    contracts: { stakeToken, paymentToken, serviceRegistry, sessionClock, staking, sessions, relayMining },
  };
}

function accountFromKey(privateKey: Hex) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey ?? "")) {
    throw new ChainError(
      "the private key is missing or malformed (expected 0x followed by 64 hex characters)",
      "pass --private-key or set DECAI_PRIVATE_KEY",
    );
  }
  return privateKeyToAccount(privateKey);
}

function toChainError(error: unknown, what: string, deployer: Address, abi: Abi): ChainError {
  if (error instanceof ChainError) return error;
  if (error instanceof BaseError && error.walk((e) => e instanceof InsufficientFundsError)) {
    return new ChainError(`${what}: ${deployer} cannot pay for gas`, "fund the deployer account and retry", {
      cause: error,
    });
  }
  const reverted = error instanceof BaseError ? describeRevert(error, abi) : undefined;
  if (reverted) {
    return new ChainError(`${what}: reverted with ${reverted}`, "fix that parameter and deploy again", {
      cause: error,
    });
  }
  const detail = error instanceof BaseError ? error.shortMessage : String(error);
  return new ChainError(
    `${what}: ${detail}`,
    "check that the chain is reachable and the parameters are valid",
    {
      cause: error,
    },
  );
}

/** Decodes a custom-error revert (viem leaves constructor reverts undecoded) into `Name(arg, ...)`. */
function describeRevert(error: BaseError, abi: Abi): string | undefined {
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string") as {
    data?: Hex;
  } | null;
  if (!withData?.data || withData.data.length < 10) return undefined;
  try {
    const decoded = decodeErrorResult({ abi, data: withData.data });
    const args = (decoded.args ?? []).map((a) =>
      typeof a === "string" && /^0x[0-9a-f]{64}$/i.test(a) ? readableBytes32(a as Hex) : String(a),
    );
    return `${decoded.errorName}(${args.join(", ")})`;
  } catch {
    return undefined;
  }
}

/** Parameter names travel as bytes32 strings; show them as text when they are. */
function readableBytes32(value: Hex): string {
  try {
    const text = hexToString(value, { size: 32 });
    return /^[\x20-\x7e]+$/.test(text) ? text : value;
  } catch {
    return value;
  }
}
