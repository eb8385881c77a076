import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { BatchOptions } from "./batch/service.js";
import type { LogLevel } from "./log.js";
import type { ModelPrice } from "./pricing.js";
import {
  resolveVerificationConfig,
  type VerificationConfig,
  type VerificationConfigInput,
} from "./verification/config.js";

/**
 * The `verification` section: every knob of `VerificationConfig`, plus the reference model of each service
 * (`{ "<service>": { "model": "<GGUF path | hf:… | tiny>" } }`) that usage audits, prefill re-checks and watchers
 * compare against, and where models are kept.
 */
export type VerificationSettings = VerificationConfig & {
  references: Record<string, { model: string }>;
  modelsDir?: string;
};

/** A gateway's whole configuration, from defaults, a JSON file, the environment and flags. */
export type GatewayConfig = {
  host: string;
  port: number;
  /** `{ kind: "sqlite", path }` (default `.decai/gateway.sqlite`) or `{ kind: "postgres", url }`. */
  database: { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };
  /** Where completions come from: an OpenAI-compatible server (`http`), or the Decai network (`network`). */
  upstream:
    | { kind?: "http"; baseUrl: string; apiKey?: string; models?: { id: string }[] }
    | {
        kind: "network";
        rpcUrl: string;
        /** The deployment file `decai chain deploy` / `decai devnet` wrote. */
        deployment: string;
        /** The application the gateway acts for (it delegated to the gateway). */
        application: `0x${string}`;
        /** The gateway's staked key, from DECAI_GATEWAY_KEY or `network.keyFile`. Never logged. */
        gatewayKey: `0x${string}`;
        /** Services to sell; default every registered one. */
        services?: string[];
      };
  /** Static network prices per model (payment-token base units); `undefined` = every model is free. */
  prices: Record<string, ModelPrice> | undefined;
  marginBps: number;
  aliases: Record<string, string[]>;
  /** Never logged. */
  adminToken: string | undefined;
  /** Never logged. */
  keySecret: string | undefined;
  maxBodyBytes: number;
  defaultMaxTokens: number;
  modelsCacheMs: number;
  logLevel: LogLevel;
  /** The `batch` section (`{ "perSupplier": 2, "idlePerSupplier": 1, … }`), or `false` to turn the Batch API off. */
  batch: BatchOptions | false;
  verification: VerificationSettings;
};

/**
 * A configuration a user must fix: `message` says what is wrong, `hint` what to do.
 *
 * @example
 * try { loadConfig() } catch (e) { if (e instanceof ConfigError) console.error(`${e.message} (${e.hint})`) }
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Flags of `serve`; `--alias name=a,b` repeats. Secrets are never flags (they would show in `ps`). */
export const serveFlags = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  database: { type: "string" },
  "upstream-url": { type: "string" },
  model: { type: "string", multiple: true },
  alias: { type: "string", multiple: true },
  "margin-bps": { type: "string" },
  "max-body-bytes": { type: "string" },
  "default-max-tokens": { type: "string" },
  "log-level": { type: "string" },
} as const;

const envNames: Partial<Record<keyof typeof serveFlags, string>> = {
  config: "DECAI_GATEWAY_CONFIG",
  host: "DECAI_GATEWAY_HOST",
  port: "DECAI_GATEWAY_PORT",
  database: "DECAI_GATEWAY_DATABASE",
  "upstream-url": "DECAI_GATEWAY_UPSTREAM_URL",
  "log-level": "DECAI_LOG_LEVEL",
};

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function integer(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`, `fix ${name}`);
  }
  return n;
}

function amount(value: unknown, name: string): bigint {
  if (value === undefined || value === null) return 0n;
  const s = String(value);
  if (!/^\d+$/.test(s))
    throw new ConfigError(`${name} must be a non-negative integer, got "${s}"`, "use base units");
  return BigInt(s);
}

function secret(
  env: Record<string, string | undefined>,
  name: string,
  file: string | undefined,
): string | undefined {
  const value = env[name]?.trim();
  if (value) return value;
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    throw new ConfigError(`cannot read the secret file ${file}`, `check the path given for ${name}`);
  }
}

/**
 * Resolves the configuration: defaults < config file (`--config` / `DECAI_GATEWAY_CONFIG`) < environment < flags.
 * Secrets come from the environment (`DECAI_GATEWAY_ADMIN_TOKEN`, `DECAI_GATEWAY_KEY_SECRET`,
 * `DECAI_GATEWAY_UPSTREAM_KEY`) or files named in the config (`adminTokenFile`, `keySecretFile`). Throws
 * `ConfigError` with a hint.
 *
 * @example
 * const config = loadConfig({ argv: ["--upstream-url", "http://127.0.0.1:8081/v1", "--port", "8080"] });
 */
export function loadConfig(
  options: { argv?: string[]; env?: Record<string, string | undefined>; cwd?: string } = {},
): GatewayConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let flags: ReturnType<typeof parseArgs<{ options: typeof serveFlags }>>["values"];
  try {
    flags = parseArgs({ args: options.argv ?? [], options: serveFlags, strict: true }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message.split("\n")[0] as string, "see serve --help");
  }
  const configPath = flags.config ?? env.DECAI_GATEWAY_CONFIG;
  let file: Record<string, unknown> = {};
  if (configPath) {
    const path = resolve(cwd, configPath);
    try {
      file = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new ConfigError(
        `cannot read the config file ${path}: ${(error as Error).message}`,
        "it is plain JSON",
      );
    }
    if (!file || typeof file !== "object" || Array.isArray(file)) {
      throw new ConfigError(`the config file ${path} is not a JSON object`, "it is plain JSON");
    }
  }
  const fileDir = configPath ? dirname(resolve(cwd, configPath)) : cwd;
  const get = (flag: keyof typeof serveFlags): string | undefined => {
    const fromFlag = flags[flag as keyof typeof flags];
    if (typeof fromFlag === "string") return fromFlag;
    const envName = envNames[flag];
    if (envName && env[envName]) return env[envName];
    const fromFile = file[camel(flag)];
    return fromFile === undefined || fromFile === null ? undefined : String(fromFile);
  };
  const fileUpstream = (file.upstream ?? {}) as { baseUrl?: string; models?: { id: string }[] };
  const baseUrl = get("upstream-url") ?? fileUpstream.baseUrl;
  const network = file.network as Record<string, unknown> | undefined;
  let upstream: GatewayConfig["upstream"];
  if (!baseUrl && network) {
    const need = (name: string) => {
      const value = network[name];
      if (typeof value !== "string" || !value) {
        throw new ConfigError(
          `network.${name} is missing`,
          `set "network": { "${name}": … } in the config file`,
        );
      }
      return value;
    };
    const keyFile = typeof network.keyFile === "string" ? resolve(fileDir, network.keyFile) : undefined;
    const gatewayKey = (env.DECAI_GATEWAY_KEY ?? (keyFile ? readFileSync(keyFile, "utf8") : "")).trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(gatewayKey)) {
      throw new ConfigError(
        "the gateway key is missing or malformed",
        'set DECAI_GATEWAY_KEY, or "network": { "keyFile": … } to a file holding the 0x-prefixed key',
      );
    }
    upstream = {
      kind: "network",
      rpcUrl: need("rpcUrl"),
      deployment: resolve(fileDir, need("deployment")),
      application: need("application") as `0x${string}`,
      gatewayKey: gatewayKey as `0x${string}`,
      ...(Array.isArray(network.services) ? { services: network.services as string[] } : {}),
    };
  } else {
    if (!baseUrl) {
      throw new ConfigError(
        "no upstream configured",
        'set --upstream-url (or "upstream": { "baseUrl": … }) to an OpenAI-compatible base URL such as http://127.0.0.1:8081/v1, or "network": { … } to sell the Decai network',
      );
    }
    const modelIds = flags.model ?? fileUpstream.models?.map((m) => m.id);
    const upstreamKey = env.DECAI_GATEWAY_UPSTREAM_KEY;
    upstream = {
      baseUrl,
      ...(upstreamKey ? { apiKey: upstreamKey } : {}),
      ...(modelIds ? { models: modelIds.map((id) => ({ id })) } : {}),
    };
  }

  const database = get("database") ?? ".decai/gateway.sqlite";
  const aliases: Record<string, string[]> = { ...((file.aliases ?? {}) as Record<string, string[]>) };
  for (const spec of flags.alias ?? []) {
    const at = spec.indexOf("=");
    if (at <= 0)
      throw new ConfigError(
        `--alias "${spec}" is not name=model,model`,
        "e.g. --alias fast=tiny-llama,llama-8b",
      );
    aliases[spec.slice(0, at)] = spec
      .slice(at + 1)
      .split(",")
      .filter(Boolean);
  }
  let prices: GatewayConfig["prices"];
  if (file.prices && typeof file.prices === "object") {
    prices = {};
    for (const [model, p] of Object.entries(file.prices as Record<string, Record<string, unknown>>)) {
      prices[model] = {
        perRequest: amount(p?.perRequest, `prices.${model}.perRequest`),
        perInputToken: amount(p?.perInputToken, `prices.${model}.perInputToken`),
        perOutputToken: amount(p?.perOutputToken, `prices.${model}.perOutputToken`),
      };
    }
  }
  const fileSecret = (name: string) =>
    typeof file[name] === "string" ? resolve(fileDir, file[name] as string) : undefined;
  const logLevel = get("log-level") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError(`logLevel must be debug, info, warn or error, got "${logLevel}"`, "fix logLevel");
  }
  return {
    host: get("host") ?? "127.0.0.1",
    port: integer(get("port") ?? "8080", "port", 0, 65535),
    database: /^postgres(ql)?:\/\//.test(database)
      ? { kind: "postgres", url: database }
      : { kind: "sqlite", path: resolve(cwd, database.replace(/^sqlite:/, "")) },
    upstream,
    prices,
    marginBps: integer(get("margin-bps") ?? "0", "marginBps", 0, 1_000_000),
    aliases,
    adminToken: secret(env, "DECAI_GATEWAY_ADMIN_TOKEN", fileSecret("adminTokenFile")),
    keySecret: secret(env, "DECAI_GATEWAY_KEY_SECRET", fileSecret("keySecretFile")),
    maxBodyBytes: integer(get("max-body-bytes") ?? String(1 << 20), "maxBodyBytes", 1, 1 << 30),
    defaultMaxTokens: integer(get("default-max-tokens") ?? "1024", "defaultMaxTokens", 1, 1_000_000),
    modelsCacheMs: integer(String(file.modelsCacheMs ?? 5000), "modelsCacheMs", 0, 3_600_000),
    logLevel: logLevel as LogLevel,
    batch: batchOf(file.batch),
    verification: verificationOf(file.verification, fileDir),
  };
}

/** Reads and checks the config file's `verification` section. */
function verificationOf(raw: unknown, fileDir: string): VerificationSettings {
  if (raw === undefined || raw === null) return { ...resolveVerificationConfig(), references: {} };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError("verification must be an object", "see docs/verification.md");
  }
  const { references, modelsDir, ...knobs } = raw as Record<string, unknown>;
  let config: VerificationConfig;
  try {
    config = resolveVerificationConfig(knobs as VerificationConfigInput);
  } catch (error) {
    throw new ConfigError(
      (error as Error).message,
      "see docs/verification.md for every setting and its range",
    );
  }
  const refs: Record<string, { model: string }> = {};
  for (const [service, value] of Object.entries((references ?? {}) as Record<string, unknown>)) {
    const model = typeof value === "string" ? value : (value as { model?: unknown } | null)?.model;
    if (typeof model !== "string" || !model) {
      throw new ConfigError(
        `verification.references.${service} needs a model`,
        'e.g. "references": { "tiny-llama": { "model": "tiny" } } (a GGUF path, an hf: reference or "tiny")',
      );
    }
    const local = model !== "tiny" && !model.startsWith("hf:") && !/^https?:\/\//.test(model);
    refs[service] = { model: local ? resolve(fileDir, model) : model };
  }
  return {
    ...config,
    references: refs,
    ...(typeof modelsDir === "string" ? { modelsDir: resolve(fileDir, modelsDir) } : {}),
  };
}

/**
 * The configuration as it may be logged: secrets replaced by whether they are set, database passwords hidden.
 *
 * @example
 * log.info("starting gateway", describeConfig(config));
 */
export function describeConfig(config: GatewayConfig): Record<string, unknown> {
  const { adminToken, keySecret, upstream, database, prices, verification, ...rest } = config;
  return {
    ...rest,
    verification: verification.enabled
      ? {
          references: Object.keys(verification.references),
          maxCostFraction: verification.maxCostFraction,
          rates: {
            prefill: verification.prefill.rate,
            reexecution: verification.reexecution.rate,
            watchers: verification.watchers.rate,
          },
        }
      : "off",
    database:
      database.kind === "postgres"
        ? { kind: "postgres", url: database.url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@") }
        : database,
    upstream:
      upstream.kind === "network"
        ? { ...upstream, gatewayKey: "set" }
        : { baseUrl: upstream.baseUrl, apiKey: upstream.apiKey ? "set" : "unset", models: upstream.models },
    prices: prices ? Object.keys(prices) : "free",
    adminApi: adminToken ? "on" : "off",
    keySecret: keySecret ? "set" : "unset (plain SHA-256)",
  };
}

/** Reads the config file's `batch` section: `false`, or integer knobs of `BatchOptions`. */
function batchOf(raw: unknown): BatchOptions | false {
  if (raw === false) return false;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(
      "batch must be an object or false",
      'e.g. "batch": { "perSupplier": 2, "idlePerSupplier": 1 }',
    );
  }
  const known = [
    "perSupplier",
    "idlePerSupplier",
    "maxFileBytes",
    "completionWindowMs",
    "pollMs",
    "leaseMs",
    "maxAttempts",
  ];
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!known.includes(name))
      throw new ConfigError(`batch.${name} is not a setting`, `use one of ${known.join(", ")}`);
    out[name] = integer(String(value), `batch.${name}`, 0, Number.MAX_SAFE_INTEGER);
  }
  return out as BatchOptions;
}
