import { stakingAbi } from "@decai/chain";
import { type AdminAnswer, adminSignatureHeader, signAdminCommand } from "@decai/relayminer";
import type { Address, Hex } from "viem";
import type { Connection } from "../../chain/connect.js";
import type { SupplierView } from "../../chain/network.js";
import type { Output } from "../../output.js";

/**
 * Flags shared by `supplier pause` and `supplier resume`.
 *
 * @example
 * const options = { ...chainOptions, ...relayminerOptions } as const;
 */
export const relayminerOptions = {
  relayminer: { type: "string", multiple: true },
  "no-relayminer": { type: "boolean" },
} as const;

export const RELAYMINER_OPTIONS_HELP = `  --relayminer <url>   your RelayMiner's URL (default: the endpoints you staked with); repeatable
  --no-relayminer      change only the on-chain state, do not contact the RelayMiner`;

/** What one RelayMiner answered (or why it could not be reached). */
export type MinerAnswer = { url: string } & ({ ok: true; state: AdminAnswer } | { ok: false; error: string });

/**
 * The RelayMiner URLs to drive: the `--relayminer` flags, else the distinct origins of the supplier's endpoints.
 *
 * @example
 * const urls = relayminerUrls(values, supplier); // ["http://my-host:8546"]
 */
export function relayminerUrls(
  values: { relayminer?: string[]; "no-relayminer"?: boolean },
  supplier: SupplierView,
): string[] {
  if (values["no-relayminer"]) return [];
  const given = values.relayminer ?? supplier.services.map((s) => s.endpoint);
  return [...new Set(given.filter(Boolean).map((u) => new URL(u).origin))];
}

/**
 * Sends a pause or resume signed with the supplier key to each RelayMiner (`POST /admin/pause|resume`). A pause
 * answers once the relays in flight have finished. Unreachable miners are reported, not fatal: the on-chain
 * change still keeps the supplier out of the next sessions.
 *
 * @example
 * const answers = await driveRelayMiners(urls, privateKey, "pause", output);
 */
export async function driveRelayMiners(
  urls: readonly string[],
  privateKey: Hex,
  action: "pause" | "resume",
  output: Output,
): Promise<MinerAnswer[]> {
  const answers: MinerAnswer[] = [];
  for (const url of urls) {
    output.err(`${action === "pause" ? "draining" : "resuming"} the RelayMiner at ${url}...`);
    try {
      const cmd = await signAdminCommand(privateKey, action);
      const res = await fetch(`${url}/admin/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json", [adminSignatureHeader]: cmd.signature },
        body: cmd.body,
        signal: AbortSignal.timeout(120_000),
      });
      const body = (await res.json().catch(() => ({}))) as AdminAnswer & { error?: { message?: string } };
      answers.push(
        res.ok
          ? { url, ok: true, state: body }
          : { url, ok: false, error: body.error?.message ?? `HTTP ${res.status}` },
      );
    } catch (error) {
      answers.push({ url, ok: false, error: (error as Error).message });
    }
  }
  return answers;
}

/**
 * The first session `supplier` is left out of, or 0n while it is not paused.
 *
 * @example
 * if ((await pausedFrom(conn, me)) !== 0n) output.err("already paused");
 */
export function pausedFrom(conn: Connection, supplier: Address): Promise<bigint> {
  return conn.client.readContract({
    address: conn.deployment.contracts.staking,
    abi: stakingAbi,
    functionName: "supplierPausedFrom",
    args: [supplier],
  });
}
