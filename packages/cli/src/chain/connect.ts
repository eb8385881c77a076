import { readFileSync } from "node:fs";
import { ChainError, type DecaiDeployment, loadDeployment } from "@decai/chain";
import { type Chain, createPublicClient, defineChain, http, type PublicClient, type Transport } from "viem";
import type { Settings } from "../config/settings.js";

/** The default RPC URL when neither the user nor the deployment file names one. */
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** A deployment and a client for the chain it lives on, checked to match. */
export type Connection = {
  deployment: DecaiDeployment;
  deploymentFile: string;
  rpcUrl: string;
  chain: Chain;
  transport: Transport;
  client: PublicClient;
};

/**
 * Loads the deployment file and connects to its chain: the RPC URL is the user's, else the one `decai chain
 * deploy` wrote into the file. Fails with a hint when the chain is unreachable, is another chain, or has no
 * contracts at the deployment's addresses (a devnet that was restarted).
 *
 * @example
 * const { client, deployment } = await connect(resolveSettings(values, runtime));
 */
export async function connect(settings: Settings): Promise<Connection> {
  const deploymentFile = settings.deploymentFile;
  const deployment = loadDeploymentFile(deploymentFile);
  const rpcUrl = settings.rpcUrl ?? rpcUrlOf(deploymentFile) ?? DEFAULT_RPC_URL;
  const transport = http(rpcUrl, { retryCount: 1, timeout: 15_000 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId().catch((cause) => {
    throw new ChainError(
      `cannot reach a chain at ${rpcUrl}`,
      "start one with `npx decai devnet`, or pass the right --rpc-url (or DECAI_RPC_URL)",
      { cause },
    );
  });
  if (chainId !== deployment.chainId) {
    throw new ChainError(
      `${deploymentFile} is a deployment on chain ${deployment.chainId}, but ${rpcUrl} is chain ${chainId}`,
      "pass the --rpc-url of that chain, or the --deployment file of this one",
    );
  }
  const chain = chainFor(chainId, rpcUrl);
  // Poll receipts often: devnet blocks come every second or less.
  const client = createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient;
  const code = await client.getCode({ address: deployment.contracts.staking });
  if (!code || code === "0x") {
    throw new ChainError(
      `no Decai contracts at the addresses in ${deploymentFile} on chain ${chainId} (the chain was reset?)`,
      "deploy again with `decai chain deploy`, or pass the right --deployment",
    );
  }
  return { deployment, deploymentFile, rpcUrl, chain, transport, client };
}

/**
 * A viem chain for any EVM chain id (an L2 testnet, anvil), named after its id.
 *
 * @example
 * const chain = chainFor(31337, "http://127.0.0.1:8545");
 */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

function loadDeploymentFile(path: string): DecaiDeployment {
  try {
    return loadDeployment(path);
  } catch (error) {
    if (error instanceof ChainError) {
      throw new ChainError(
        `no deployment file at ${path}`,
        "deploy with `decai chain deploy` (or start `decai devnet`), or pass --deployment <file>",
      );
    }
    throw new ChainError(
      `${path} is not a deployment file (${(error as Error).message})`,
      "pass the file `decai chain deploy` wrote",
    );
  }
}

/** The RPC URL `decai chain deploy` records beside the addresses, if any. */
function rpcUrlOf(deploymentFile: string): string | undefined {
  try {
    const url = (JSON.parse(readFileSync(deploymentFile, "utf8")) as { rpcUrl?: unknown }).rpcUrl;
    return typeof url === "string" && url ? url : undefined;
  } catch {
    return undefined;
  }
}
