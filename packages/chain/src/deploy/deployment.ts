import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Address } from "viem";
import { ChainError } from "../errors.js";
import { BIGINT_PARAMS, type DecaiParams } from "./params.js";

/** Where a Decai deployment lives: every contract address plus what it was deployed with. */
export type DecaiDeployment = {
  chainId: number;
  /** Block of the first deployment transaction; indexers start here. */
  deployBlock: bigint;
  deployer: Address;
  governance: Address;
  dao: Address;
  params: DecaiParams;
  contracts: {
    stakeToken: Address;
    paymentToken: Address;
    serviceRegistry: Address;
    sessionClock: Address;
    staking: Address;
    sessions: Address;
    relayMining: Address;
  };
};

/**
 * Writes a deployment as JSON, atomically (temp file + rename), so a crash never leaves a half-written
 * file that looks like a deployment.
 *
 * @example
 * saveDeployment(".decai/deployment.json", deployment);
 */
export function saveDeployment(path: string, deployment: DecaiDeployment): void {
  mkdirSync(dirname(path), { recursive: true });
  const json = JSON.stringify(deployment, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  writeFileSync(`${path}.tmp`, `${json}\n`);
  renameSync(`${path}.tmp`, path);
}

/**
 * Reads a deployment written by {@link saveDeployment}.
 *
 * @example
 * const { contracts } = loadDeployment(".decai/deployment.json");
 */
export function loadDeployment(path: string): DecaiDeployment {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch {
    throw new ChainError(
      `no deployment file at ${path}`,
      "deploy first with `npx decai deploy` or `npx decai devnet`",
    );
  }
  const data = JSON.parse(raw);
  const params = { ...data.params };
  for (const name of BIGINT_PARAMS) params[name] = BigInt(params[name]);
  return { ...data, deployBlock: BigInt(data.deployBlock), params };
}
