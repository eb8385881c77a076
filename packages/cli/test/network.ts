import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Anvil, type DecaiDeployment, loadDeployment, sessionClockAbi, startAnvil } from "@decai/chain";
import { createPublicClient, createTestClient, type Hex, http, type PublicClient } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { decai, testRuntime } from "./helpers.js";

/**
 * A plain anvil with Decai deployed by `decai chain deploy` into a fresh working directory, and helpers to run the
 * CLI in that directory as anvil's account `i` (through DECAI_PRIVATE_KEY).
 */
export async function startCliNetwork(params: string[] = []) {
  const anvil: Anvil = await startAnvil({ accounts: 12 });
  const cwd = mkdtempSync(join(tmpdir(), "decai-net-"));
  const key = (i: number) => anvil.accounts[i]?.privateKey as Hex;
  const address = (i: number) => privateKeyToAddress(key(i));
  const deployed = await decai(testRuntime({ cwd, env: { DECAI_PRIVATE_KEY: key(0) } }), [
    "chain",
    "deploy",
    "--rpc-url",
    anvil.rpcUrl,
    ...params.flatMap((p) => ["--param", p]),
  ]);
  if (deployed.code !== 0) throw new Error(`deploy failed: ${deployed.text}`);
  const deployment: DecaiDeployment = loadDeployment(join(cwd, ".decai/deployment.json"));
  const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) }) as PublicClient;
  const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });

  /** Runs `decai <args>` in the network's directory, signing as account `i`. */
  const as = (i: number, args: string[], env: Record<string, string> = {}) =>
    decai(testRuntime({ cwd, env: { DECAI_PRIVATE_KEY: key(i), ...env } }), args);

  const currentSession = async () =>
    BigInt(
      await client.readContract({
        address: deployment.contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "currentSession",
      }),
    );

  /** Mines empty blocks until session `target` (default: the next one) has started. */
  const untilSession = async (target?: bigint) => {
    const session = target ?? (await currentSession()) + 1n;
    const start = await client.readContract({
      address: deployment.contracts.sessionClock,
      abi: sessionClockAbi,
      functionName: "sessionStartBlock",
      args: [session],
    });
    const now = await client.getBlockNumber({ cacheTime: 0 });
    if (BigInt(start) > now) await testClient.mine({ blocks: Number(BigInt(start) - now) });
    return session;
  };

  return { anvil, cwd, key, address, deployment, client, testClient, as, currentSession, untilSession };
}

export type CliNetwork = Awaited<ReturnType<typeof startCliNetwork>>;
