import { toServiceId } from "@decai/core";
import type { Hex } from "viem";
import { resolveSettings, type Settings } from "../config/settings.js";
import { type Output, UsageError } from "../output.js";
import type { Runtime } from "../runtime.js";
import { type Connection, connect } from "./connect.js";
import { loadSigner, requireKey } from "./signer.js";
import { createTransactor, type Transactor } from "./transact.js";

type Values = Parameters<typeof resolveSettings>[0];

/**
 * Resolves the shared options and connects to the deployment's chain, for read-only verbs.
 *
 * @example
 * const { settings, conn } = await openChain(values, runtime);
 */
export async function openChain(
  values: Values,
  runtime: Runtime,
): Promise<{ settings: Settings; conn: Connection }> {
  const settings = resolveSettings(values, runtime);
  return { settings, conn: await connect(settings) };
}

/**
 * Like {@link openChain}, and loads the signing key (asking for the passphrase only once the chain answered).
 *
 * @example
 * const { tx } = await openSigned(values, runtime, output);
 * await tx.send("unstaking", { address, abi, functionName: "unstakeSupplier" });
 */
export async function openSigned(
  values: Values,
  runtime: Runtime,
  output: Output,
): Promise<{ settings: Settings; conn: Connection; tx: Transactor }> {
  const settings = resolveSettings(values, runtime);
  requireKey(settings); // a missing key fails before any network call
  const conn = await connect(settings);
  const signer = await loadSigner(settings, runtime);
  return { settings, conn, tx: await createTransactor(conn, signer, output) };
}

/**
 * A service name as its bytes32 id, with a usage error for names the protocol cannot encode.
 *
 * @example
 * serviceIdOf("tiny-llama"); // 0x74696e792d6c6c616d61…
 */
export function serviceIdOf(name: string): Hex {
  try {
    return toServiceId(name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
