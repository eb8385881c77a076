// `evidence`: exports a running gateway's verification evidence (failed checks with the signed relays that prove
// them) as JSON lines. The `decai` CLI mounts it as `decai gateway evidence`.
import { parseArgs } from "node:util";
import type { EvidenceRecord } from "../verification/types.js";
import type { CliIo } from "./keys.js";

/** Help of the `evidence` command. */
export const evidenceHelp = `Usage: evidence [--supplier ADDRESS] [--service NAME] [--limit N] [--json]

Exports the verification evidence a running gateway stored: every failed check (usage audit, prefill re-check,
watcher, re-execution, replay, invalid receipt) with the signed relay request and response that prove it,
newest first.

Options:
  --supplier ADDRESS  only this supplier's evidence
  --service NAME      only this service's evidence
  --limit N           at most N records (default 1000)
  --json              JSON lines: one complete record per line (for export); default: one summary per line
  --url URL           gateway base URL (DECAI_GATEWAY_URL, default http://127.0.0.1:8080)
  The admin token is read from DECAI_GATEWAY_ADMIN_TOKEN (never from a flag: it would show in ps).

Examples:
  evidence --json > evidence.jsonl
  evidence --supplier 0x70997970c51812dc3a010c7d01b50e0d17dc79c8`;

/** Flags of the `evidence` command (the `decai gateway evidence` verb reuses them). */
export const evidenceOptions = {
  url: { type: "string" },
  supplier: { type: "string" },
  service: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const page = 1000;

/** One human line for a record. */
function summary(e: EvidenceRecord): string {
  return `${new Date(e.at).toISOString()} ${e.supplier} ${e.service} ${e.check}/${e.code}${e.signed ? " signed" : ""}: ${e.reason}`;
}

/**
 * Runs the `evidence` command; returns the exit code (0 ok, 1 failed, 2 usage error).
 *
 * @example
 * const code = await runEvidenceCommand(["--json", "--supplier", "0x…"], {
 *   out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`), env: process.env,
 * });
 */
export async function runEvidenceCommand(argv: string[], io: CliIo): Promise<number> {
  let v: ReturnType<typeof parseArgs<{ options: typeof evidenceOptions }>>["values"];
  try {
    v = parseArgs({ args: argv, options: evidenceOptions, strict: true }).values;
  } catch (error) {
    io.err(`${(error as Error).message.split("\n")[0]} (see evidence --help)`);
    return 2;
  }
  if (v.help) {
    io.out(evidenceHelp);
    return 0;
  }
  const token = io.env.DECAI_GATEWAY_ADMIN_TOKEN;
  if (!token) {
    io.err("set DECAI_GATEWAY_ADMIN_TOKEN to the gateway's admin token");
    return 2;
  }
  const limit = v.limit === undefined ? 1000 : Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    io.err(`--limit must be a positive integer, got "${v.limit}"`);
    return 2;
  }
  const base = (v.url ?? io.env.DECAI_GATEWAY_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
  const seen = new Set<string>();
  let before: number | undefined;
  let printed = 0;
  try {
    while (printed < limit) {
      const params = new URLSearchParams({ limit: String(page) });
      if (v.supplier) params.set("supplier", v.supplier);
      if (v.service) params.set("service", v.service);
      // `before` is exclusive: ask from the last time seen inclusive, and skip records already printed.
      if (before !== undefined) params.set("before", String(before + 1));
      const records = await fetchPage(`${base}/v1/decai/evidence?${params}`, token);
      const fresh = records.filter((r) => !seen.has(r.id));
      for (const r of fresh.slice(0, limit - printed)) {
        seen.add(r.id);
        io.out(v.json ? JSON.stringify(r) : summary(r));
        printed++;
      }
      if (records.length < page || fresh.length === 0) break;
      before = (records[records.length - 1] as EvidenceRecord).at;
    }
  } catch (error) {
    io.err(`evidence failed: ${(error as Error).message}`);
    return 1;
  }
  if (printed === 0 && !v.json) io.out("no evidence: no check has failed");
  return 0;
}

async function fetchPage(url: string, token: string): Promise<EvidenceRecord[]> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(`cannot reach the gateway at ${new URL(url).origin} (${cause}): is it running?`);
  }
  const json = (await res.json().catch(() => ({}))) as {
    data?: EvidenceRecord[];
    error?: { message?: string };
  };
  if (!res.ok) {
    const hint = res.status === 401 ? " (check DECAI_GATEWAY_ADMIN_TOKEN)" : "";
    throw new Error(`${json.error?.message ?? `HTTP ${res.status}`}${hint}`);
  }
  return json.data ?? [];
}
