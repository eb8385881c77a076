// The operator's control of a running RelayMiner: `POST /admin/pause` and `POST /admin/resume`, signed with the
// supplier's own key (EIP-191), so no extra secret is needed and only the supplier can pause its miner.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname } from "node:path";
import { type Address, type Hex, verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readBody } from "./body.js";
import type { DrainGate, DrainState } from "./drain.js";

/** The header carrying the signature of the request body. */
export const adminSignatureHeader = "decai-supplier-signature";

/** Commands older or newer than this (ms) are refused, so a captured one cannot be replayed later. */
const maxSkewMs = 5 * 60_000;

/** A signed admin command, ready to POST to `${url}/admin/${action}`. */
export type AdminCommand = { action: "pause" | "resume"; body: string; signature: Hex };

/**
 * Signs a pause or resume command for the RelayMiner of `privateKey`'s supplier.
 *
 * @example
 * const cmd = await signAdminCommand(supplierKey, "pause");
 * await fetch(`${minerUrl}/admin/${cmd.action}`, { method: "POST", body: cmd.body,
 *   headers: { "content-type": "application/json", [adminSignatureHeader]: cmd.signature } });
 */
export async function signAdminCommand(
  privateKey: Hex,
  action: "pause" | "resume",
  now = Date.now(),
): Promise<AdminCommand> {
  const body = JSON.stringify({ action, timestamp: now });
  const signature = await privateKeyToAccount(privateKey).signMessage({ message: body });
  return { action, body, signature };
}

/** The answer of `POST /admin/pause|resume`. */
export type AdminAnswer = DrainState & { drained: boolean };

/**
 * Serves `/admin/pause` and `/admin/resume` for `supplier`: checks the signature and the timestamp (within five
 * minutes, newer than the last command), then pauses (answering once the relays in flight have finished, or after
 * `drainTimeoutMs`) or resumes. An operator pause is remembered in `pauseFile`, so it survives a restart.
 *
 * @example
 * const admin = new AdminApi({ supplier, gate, pauseFile: join(dataDir, "paused.json") });
 * if (path.startsWith("/admin/")) return admin.handle(req, res, path);
 */
export class AdminApi {
  #lastTimestamp = 0;

  constructor(
    private readonly options: {
      supplier: Address;
      gate: DrainGate;
      /** Where an operator pause is remembered; none: forgotten on restart. */
      pauseFile?: string;
      /** Longest wait for in-flight relays before `/admin/pause` answers. Default 60 s. */
      drainTimeoutMs?: number;
      now?: () => number;
      /** Called after a pause or resume took effect (logs). */
      onChange?: (action: "pause" | "resume", state: DrainState) => void;
    },
  ) {
    if (options.pauseFile && existsSync(options.pauseFile)) void options.gate.pause("operator");
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const action = path === "/admin/pause" ? "pause" : path === "/admin/resume" ? "resume" : undefined;
    if (!action || req.method !== "POST") {
      return send(res, 404, {
        error: { message: "Use POST /admin/pause or /admin/resume.", code: "unknown_url" },
      });
    }
    const body = (await readBody(req, 4096)).toString("utf8");
    const signature = req.headers[adminSignatureHeader];
    let command: { action?: unknown; timestamp?: unknown } = {};
    try {
      command = JSON.parse(body);
    } catch {}
    const now = (this.options.now ?? Date.now)();
    const timestamp = Number(command.timestamp);
    const valid =
      typeof signature === "string" &&
      /^0x[0-9a-fA-F]+$/.test(signature) &&
      (await verifyMessage({
        address: this.options.supplier,
        message: body,
        signature: signature as Hex,
      }).catch(() => false));
    if (!valid || command.action !== action) {
      return send(res, 401, {
        error: {
          message: `Sign the body with the supplier key (${this.options.supplier}): use \`decai supplier ${action}\`.`,
          code: "invalid_admin_signature",
        },
      });
    }
    if (
      !Number.isSafeInteger(timestamp) ||
      Math.abs(now - timestamp) > maxSkewMs ||
      timestamp <= this.#lastTimestamp
    ) {
      return send(res, 401, {
        error: {
          message: "The command is stale or replayed: sign a fresh one (and check this machine's clock).",
          code: "stale_admin_command",
        },
      });
    }
    this.#lastTimestamp = timestamp;
    const { gate, pauseFile } = this.options;
    let drained = true;
    if (action === "pause") {
      if (pauseFile) {
        mkdirSync(dirname(pauseFile), { recursive: true });
        writeFileSync(pauseFile, JSON.stringify({ pausedAt: now }));
      }
      const timeout = new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), this.options.drainTimeoutMs ?? 60_000).unref(),
      );
      drained = await Promise.race([gate.pause("operator").then(() => true), timeout]);
    } else {
      if (pauseFile) rmSync(pauseFile, { force: true });
      gate.resume("operator");
    }
    this.options.onChange?.(action, gate.state);
    send(res, 200, { ...gate.state, drained } satisfies AdminAnswer);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  // Errors in OpenAI's shape, like every other refusal of the RelayMiner: a `type` and a `param` too.
  const error = (body as { error?: Record<string, unknown> }).error;
  const type =
    status === 401 ? "authentication_error" : status === 404 ? "not_found_error" : "invalid_request_error";
  const text = JSON.stringify(error ? { ...(body as object), error: { type, param: null, ...error } } : body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
