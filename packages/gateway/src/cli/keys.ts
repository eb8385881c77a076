// `keys` commands (create, list, show, update, revoke, usage) over a running gateway's admin API. The `decai`
// CLI mounts them as `decai gateway keys …`; `src/main.ts` runs them standalone.
import { parseArgs } from "node:util";
import { type AdminApiError, AdminClient, type AdminKey } from "../admin/client.js";

/** Where the commands write, and the environment they read (`DECAI_GATEWAY_URL`, `DECAI_GATEWAY_ADMIN_TOKEN`). */
export type CliIo = {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
};

/** Help of the `keys` commands. */
export const keysHelp = `Usage: keys <command> [options]

Manage a gateway's API keys through its admin API.

Commands:
  create [--name N] [limits]        create a key; prints it once (it is stored hashed)
  list                              list keys with their spend in the current period
  show <id>                         one key with its limits and spend
  update <id> [--name N] [limits]   change the name or some limits ("none" removes a limit)
  revoke <id>                       revoke a key for good
  usage [--key ID] [--since T] [--until T] [--limit N]
                                    the usage log, newest first (T: ISO date or Unix ms)

Limits:
  --cost-budget N     payment-token base units per period
  --token-budget N    tokens (input + output) per period
  --period P          day | month | none (default none: lifetime budgets)
  --rpm N             requests per minute
  --tpm N             tokens per minute
  --models a,b        models or aliases the key may use ("all" for every model)

Options:
  --url URL           gateway base URL (DECAI_GATEWAY_URL, default http://127.0.0.1:8080)
  --json              print JSON
  The admin token is read from DECAI_GATEWAY_ADMIN_TOKEN (never from a flag: it would show in ps).

Examples:
  keys create --name acme --cost-budget 1000000000000000000 --period month --rpm 60 --models tiny-llama
  keys update key_3f9a0c1d2e4b5a69 --rpm none
  keys usage --key key_3f9a0c1d2e4b5a69 --limit 20`;

/** Flags of the `keys` commands (the `decai gateway keys` verbs reuse them). */
export const keysOptions = {
  url: { type: "string" },
  json: { type: "boolean" },
  name: { type: "string" },
  "cost-budget": { type: "string" },
  "token-budget": { type: "string" },
  period: { type: "string" },
  rpm: { type: "string" },
  tpm: { type: "string" },
  models: { type: "string" },
  key: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  limit: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const options = keysOptions;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

class UsageError extends Error {}

function limitsOf(v: Values): Record<string, unknown> {
  const limits: Record<string, unknown> = {};
  const num = (flag: string, raw: string | undefined, field: string) => {
    if (raw === undefined) return;
    if (raw === "none") limits[field] = null;
    else if (/^\d+$/.test(raw)) limits[field] = field === "costBudget" ? raw : Number(raw);
    else throw new UsageError(`--${flag} must be a non-negative integer or "none", got "${raw}"`);
  };
  num("cost-budget", v["cost-budget"], "costBudget");
  num("token-budget", v["token-budget"], "tokenBudget");
  num("rpm", v.rpm, "rpm");
  num("tpm", v.tpm, "tpm");
  if (v.period !== undefined) limits.period = v.period;
  if (v.models !== undefined) {
    limits.models =
      v.models === "all"
        ? null
        : v.models
            .split(",")
            .map((m) => m.trim())
            .filter(Boolean);
  }
  return limits;
}

const limitText = (value: string | number | null, unit = "") => (value === null ? "∞" : `${value}${unit}`);

function describe(k: AdminKey): string {
  const l = k.limits;
  const period = l.period === "none" ? "" : `/${l.period}`;
  const lines = [
    `${k.id}  ${k.name || "(no name)"}  ${k.prefix}…  ${k.revokedAt ? `REVOKED ${k.revokedAt}` : "active"}`,
    `  budget: ${limitText(l.costBudget)} units${period}, ${limitText(l.tokenBudget)} tokens${period}; rpm ${limitText(l.rpm)}, tpm ${limitText(l.tpm)}; models: ${l.models?.join(", ") ?? "all"}`,
  ];
  if (k.spend) {
    lines.push(
      `  spent since ${k.spend.periodStart}: ${k.spend.costSpent} units, ${k.spend.tokensSpent} tokens (in flight: ${k.spend.costReserved} units, ${k.spend.tokensReserved} tokens)`,
    );
  }
  return lines.join("\n");
}

/**
 * Runs one `keys` command; returns the exit code (0 ok, 1 failed, 2 usage error).
 *
 * @example
 * const code = await runKeysCommand(["create", "--name", "acme", "--rpm", "60"], {
 *   out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`), env: process.env,
 * });
 */
export async function runKeysCommand(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${(error as Error).message.split("\n")[0]} (see keys --help)`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, id] = positionals;
  if (v.help || !command) {
    io.out(keysHelp);
    return v.help ? 0 : 2;
  }
  const token = io.env.DECAI_GATEWAY_ADMIN_TOKEN;
  if (!token) {
    io.err("set DECAI_GATEWAY_ADMIN_TOKEN to the gateway's admin token");
    return 2;
  }
  const admin = new AdminClient({ url: v.url ?? io.env.DECAI_GATEWAY_URL ?? "http://127.0.0.1:8080", token });
  const print = (value: unknown, text: string) => io.out(v.json ? JSON.stringify(value, null, 2) : text);
  const needId = () => {
    if (!id) throw new UsageError(`keys ${command} needs a key id (keys list shows them)`);
    return id;
  };
  try {
    switch (command) {
      case "create": {
        const created = await admin.createKey({
          ...(v.name !== undefined ? { name: v.name } : {}),
          limits: limitsOf(v),
        });
        print(created, `${describe(created)}\n\nAPI key (shown once, store it now): ${created.key}`);
        return 0;
      }
      case "list": {
        const keys = await admin.listKeys();
        print(keys, keys.length ? keys.map(describe).join("\n") : "no keys yet: keys create --name <name>");
        return 0;
      }
      case "show": {
        const k = await admin.getKey(needId());
        print(k, describe(k));
        return 0;
      }
      case "update": {
        const limits = limitsOf(v);
        const k = await admin.updateKey(needId(), {
          ...(v.name !== undefined ? { name: v.name } : {}),
          ...(Object.keys(limits).length ? { limits } : {}),
        });
        print(k, describe(k));
        return 0;
      }
      case "revoke": {
        const k = await admin.revokeKey(needId());
        print(k, `revoked ${k.id} (${k.name || "no name"}) at ${k.revokedAt}`);
        return 0;
      }
      case "usage": {
        const rows = await admin.usage({
          ...(v.key ? { key: v.key } : {}),
          ...(v.since ? { since: v.since } : {}),
          ...(v.until ? { until: v.until } : {}),
          ...(v.limit ? { limit: Number(v.limit) } : {}),
        });
        const text = rows
          .map(
            (u) =>
              `${u.createdAt} ${u.keyId} ${u.model ?? u.requestedModel} ${u.outcome} in=${u.inputTokens} out=${u.outputTokens} cost=${u.cost} ${u.latencyMs}ms`,
          )
          .join("\n");
        print(rows, text || "no usage yet");
        return 0;
      }
      default:
        io.err(`unknown command "keys ${command}" (see keys --help)`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    const e = error as AdminApiError;
    io.err(
      `keys ${command} failed: ${e.message}${e.status === 401 ? " (check DECAI_GATEWAY_ADMIN_TOKEN)" : ""}`,
    );
    return 1;
  }
}
