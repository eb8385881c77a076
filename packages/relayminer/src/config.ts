import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadDeployment } from "@decai/chain";
import { toServiceId } from "@decai/core";
import type { FsyncPolicy } from "@decai/smst";
import { type Address, type Hex, isAddress, maxUint256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { LogLevel } from "./log.js";
import { parseScheduleConfig, type ScheduleConfig } from "./schedule/config.js";

/** A RelayMiner's whole configuration, resolved from defaults, a config file, the environment and flags. */
export type RelayMinerConfig = {
  host: string;
  port: number;
  rpcUrl: string;
  contracts: { sessionClock: Address; serviceRegistry: Address; staking: Address };
  /** First block the indexer reads events from (the deployment block). */
  fromBlock: bigint;
  /** The contract relays are signed for (RelayMining): the EIP-712 verifyingContract. */
  verifyingContract: Address;
  /** The supplier's private key, read from a file or the environment; never logged. */
  supplierKey: Hex;
  /**
   * `weightsDigest`: sha256 of the model file the backend loaded (file config only); reported on every response
   * and declared on-chain at start (artifact commitment).
   */
  services: {
    name: string;
    id: Hex;
    backend: string;
    headers?: Record<string, string>;
    weightsDigest?: Hex;
  }[];
  dataDir: string;
  /** Blocks after a session's end during which its relays are still served; default: the chain's claim offset. */
  graceBlocks?: number;
  pollIntervalMs: number;
  maxBodyBytes: number;
  backendTimeoutMs: number;
  /** Override of `RelayMining.pendingSessions` (read from the chain when absent). */
  pendingSessions?: bigint;
  /** Override of `RelayMining.paymentPerComputeUnit` (read from the chain when absent). */
  paymentPerComputeUnit?: bigint;
  /** Fixed difficulty target, for tests; by default each session's `RelayMining.targetAt` is used. */
  target?: bigint;
  fsync: FsyncPolicy;
  logLevel: LogLevel;
  /** Serve only at some hours or while the machine is otherwise idle (file config only); none: always. */
  schedule?: ScheduleConfig;
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

/** Command-line flags; `--service name=url` repeats. Keys are never taken as flags (they would show in `ps`). */
const flags = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "rpc-url": { type: "string" },
  deployment: { type: "string" },
  "verifying-contract": { type: "string" },
  "key-file": { type: "string" },
  service: { type: "string", multiple: true },
  "data-dir": { type: "string" },
  "grace-blocks": { type: "string" },
  "poll-interval-ms": { type: "string" },
  "max-body-bytes": { type: "string" },
  "backend-timeout-ms": { type: "string" },
  "pending-sessions": { type: "string" },
  "payment-per-compute-unit": { type: "string" },
  target: { type: "string" },
  fsync: { type: "string" },
  "log-level": { type: "string" },
} as const;

/** Environment variables, by config key. */
const envNames: Record<string, string> = {
  config: "DECAI_RELAYMINER_CONFIG",
  host: "DECAI_RELAYMINER_HOST",
  port: "DECAI_RELAYMINER_PORT",
  "rpc-url": "DECAI_RPC_URL",
  deployment: "DECAI_DEPLOYMENT",
  "verifying-contract": "DECAI_VERIFYING_CONTRACT",
  "key-file": "DECAI_SUPPLIER_KEY_FILE",
  "data-dir": "DECAI_RELAYMINER_DATA_DIR",
  "log-level": "DECAI_LOG_LEVEL",
};

type FileConfig = Record<string, unknown>;

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Resolves the configuration: defaults < config file (`--config` / `DECAI_RELAYMINER_CONFIG`, JSON; relative
 * paths in it are relative to the file) < environment < flags. The key comes from `DECAI_SUPPLIER_KEY`, or a file
 * named by `--key-file` / `DECAI_SUPPLIER_KEY_FILE` / `supplierKeyFile`. Throws `ConfigError` with a hint.
 *
 * A config file:
 * ```json
 * {
 *   "host": "0.0.0.0", "port": 8546, "rpcUrl": "http://127.0.0.1:8545",
 *   "deployment": ".decai/deployment.json", "supplierKeyFile": "supplier.key", "dataDir": ".decai/relayminer",
 *   "services": [{ "name": "tiny-llama", "backend": "http://127.0.0.1:8080", "headers": { "authorization": "Bearer …" },
 *                  "weightsDigest": "0x<sha256 of the model file>" }],
 *   "graceBlocks": 2, "pollIntervalMs": 1000, "maxBodyBytes": 1048576, "backendTimeoutMs": 120000,
 *   "pendingSessions": 3, "paymentPerComputeUnit": "1000000000000", "target": "max", "fsync": "always", "logLevel": "info",
 *   "schedule": { "hours": ["22:00-07:00"], "maxCpuLoad": 0.5, "maxGpuLoad": 0.2, "ownProcesses": ["llama-server"] }
 * }
 * ```
 * Flags: --config --host --port --rpc-url --deployment --verifying-contract --key-file --service name=url (repeat)
 * --data-dir --grace-blocks --poll-interval-ms --max-body-bytes --backend-timeout-ms --pending-sessions
 * --payment-per-compute-unit --target --fsync --log-level. `contracts` and `verifyingContract` may replace
 * `deployment`.
 *
 * @example
 * const config = loadConfig({ argv: ["--config", "relayminer.json", "--port", "8546"], env: process.env });
 */
export function loadConfig(
  options: { argv?: string[]; env?: Record<string, string | undefined>; cwd?: string } = {},
): RelayMinerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let parsed: ReturnType<typeof parseArgs<{ options: typeof flags }>>["values"];
  try {
    parsed = parseArgs({ args: options.argv ?? process.argv.slice(2), options: flags, strict: true }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message, "run with --config <file> and the flags in the README");
  }
  const configPath = parsed.config ?? env[envNames.config as string];
  const file: FileConfig = configPath ? readJson(resolve(cwd, configPath)) : {};
  const fileDir = configPath ? dirname(resolve(cwd, configPath)) : cwd;

  /** flag > env > file, as a string; paths from the file resolve against the file's directory. */
  const get = (flag: keyof typeof flags, kind: "value" | "path" = "value"): string | undefined => {
    const fromFlag = parsed[flag as keyof typeof parsed];
    if (typeof fromFlag === "string") return kind === "path" ? resolve(cwd, fromFlag) : fromFlag;
    const envName = envNames[flag];
    const fromEnv = envName ? env[envName] : undefined;
    if (fromEnv) return kind === "path" ? resolve(cwd, fromEnv) : fromEnv;
    const fromFile = file[camel(flag)];
    if (fromFile === undefined || fromFile === null) return undefined;
    return kind === "path" ? resolve(fileDir, String(fromFile)) : String(fromFile);
  };

  const rpcUrl = get("rpc-url") ?? "http://127.0.0.1:8545";
  const deploymentPath = get("deployment", "path");
  const deployment = deploymentPath ? loadDeployment(deploymentPath) : undefined;
  const fileContracts = (file.contracts ?? {}) as Record<string, string>;
  const contracts = {
    sessionClock: address(
      fileContracts.sessionClock ?? deployment?.contracts.sessionClock,
      "contracts.sessionClock",
    ),
    serviceRegistry: address(
      fileContracts.serviceRegistry ?? deployment?.contracts.serviceRegistry,
      "contracts.serviceRegistry",
    ),
    staking: address(fileContracts.staking ?? deployment?.contracts.staking, "contracts.staking"),
  };
  const verifyingContract = address(
    get("verifying-contract") ?? file.verifyingContract ?? deployment?.contracts.relayMining,
    "verifyingContract",
  );

  return {
    host: get("host") ?? "127.0.0.1",
    port: integer(get("port") ?? "8546", "port", 0, 65535),
    rpcUrl,
    contracts,
    fromBlock: bigintOf(String(file.fromBlock ?? deployment?.deployBlock ?? 0n), "fromBlock"),
    verifyingContract,
    supplierKey: supplierKey(env, get("key-file", "path") ?? pathFrom(file.supplierKeyFile, fileDir)),
    services: services(parsed.service, file.services),
    dataDir: get("data-dir", "path") ?? resolve(cwd, ".decai/relayminer"),
    ...optional("graceBlocks", get("grace-blocks"), (v) => integer(v, "graceBlocks", 0, 1_000_000)),
    pollIntervalMs: integer(get("poll-interval-ms") ?? "1000", "pollIntervalMs", 10, 3_600_000),
    maxBodyBytes: integer(get("max-body-bytes") ?? String(1 << 20), "maxBodyBytes", 1, 1 << 30),
    backendTimeoutMs: integer(get("backend-timeout-ms") ?? "120000", "backendTimeoutMs", 1, 3_600_000),
    ...optional("pendingSessions", get("pending-sessions"), (v) => bigintOf(v, "pendingSessions", 1n)),
    ...optional("paymentPerComputeUnit", get("payment-per-compute-unit"), (v) =>
      bigintOf(v, "paymentPerComputeUnit", 1n),
    ),
    ...optional("target", get("target"), (v) => (v === "max" ? maxUint256 : bigintOf(v, "target", 0n))),
    fsync: oneOf(get("fsync") ?? "always", "fsync", ["always", "batch"] as const),
    ...optional("schedule", file.schedule === undefined ? undefined : "set", () =>
      parseScheduleConfig(file.schedule, (message, hint) => {
        throw new ConfigError(message, hint);
      }),
    ),
    logLevel: oneOf(get("log-level") ?? "info", "logLevel", ["debug", "info", "warn", "error"] as const),
  };
}

/**
 * The configuration as it may be logged: the key replaced by the supplier address, header values hidden.
 *
 * @example
 * log.info("config", describeConfig(config));
 */
export function describeConfig(config: RelayMinerConfig): Record<string, unknown> {
  const { supplierKey, services, ...rest } = config;
  return {
    ...rest,
    supplier: privateKeyToAddress(supplierKey),
    services: services.map((s) => ({
      name: s.name,
      backend: s.backend,
      headers: Object.keys(s.headers ?? {}),
      ...(s.weightsDigest ? { weightsDigest: s.weightsDigest } : {}),
    })),
  };
}

function readJson(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read the config file ${path}`, "check the --config path");
  }
  try {
    const json = JSON.parse(text);
    if (json && typeof json === "object" && !Array.isArray(json)) return json as FileConfig;
  } catch {}
  throw new ConfigError(`the config file ${path} is not a JSON object`, "fix its syntax (it is plain JSON)");
}

function pathFrom(value: unknown, dir: string): string | undefined {
  return typeof value === "string" ? resolve(dir, value) : undefined;
}

function supplierKey(env: Record<string, string | undefined>, keyFile: string | undefined): Hex {
  let key = env.DECAI_SUPPLIER_KEY?.trim();
  let source = "DECAI_SUPPLIER_KEY";
  if (!key && keyFile) {
    try {
      key = readFileSync(keyFile, "utf8").trim();
    } catch {
      throw new ConfigError(
        `cannot read the supplier key file ${keyFile}`,
        "check --key-file / supplierKeyFile",
      );
    }
    source = keyFile;
  }
  if (!key) {
    throw new ConfigError(
      "no supplier key",
      "set DECAI_SUPPLIER_KEY, or point --key-file (or supplierKeyFile, DECAI_SUPPLIER_KEY_FILE) at a file holding it",
    );
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    // Never echo the value: it may be a real key with a typo.
    throw new ConfigError(
      `the supplier key in ${source} is malformed`,
      "expected 0x followed by 64 hex digits",
    );
  }
  return key as Hex;
}

function services(fromFlags: string[] | undefined, fromFile: unknown): RelayMinerConfig["services"] {
  const list: { name: string; backend: string; headers?: Record<string, string>; weightsDigest?: Hex }[] = [];
  if (fromFlags?.length) {
    for (const spec of fromFlags) {
      const at = spec.indexOf("=");
      if (at <= 0)
        throw new ConfigError(
          `--service "${spec}" is not name=url`,
          "e.g. --service tiny-llama=http://127.0.0.1:8080",
        );
      list.push({ name: spec.slice(0, at), backend: spec.slice(at + 1) });
    }
  } else if (Array.isArray(fromFile)) {
    for (const s of fromFile as Record<string, unknown>[]) {
      const headers = s?.headers as Record<string, string> | undefined;
      const digest = s?.weightsDigest;
      if (digest !== undefined && !(typeof digest === "string" && /^0x[0-9a-fA-F]{64}$/.test(digest))) {
        throw new ConfigError(
          `the weightsDigest of service ${String(s?.name)} is not a sha256`,
          "give 0x followed by 64 hex digits: the sha256 of the model file (e.g. `sha256sum model.gguf`)",
        );
      }
      list.push({
        name: String(s?.name),
        backend: String(s?.backend),
        ...(headers ? { headers } : {}),
        ...(digest ? { weightsDigest: digest.toLowerCase() as Hex } : {}),
      });
    }
  }
  if (list.length === 0) {
    throw new ConfigError(
      "no services configured",
      'add "services": [{ "name": "tiny-llama", "backend": "http://…" }] or --service name=url',
    );
  }
  return list.map((s) => {
    let id: Hex;
    try {
      id = toServiceId(s.name);
    } catch (error) {
      throw new ConfigError((error as Error).message, "use the service's registered name");
    }
    if (!/^https?:\/\/[^/]/.test(s.backend)) {
      throw new ConfigError(
        `the backend of service ${s.name} is not an http(s) URL: ${s.backend}`,
        "e.g. http://127.0.0.1:8080",
      );
    }
    return { ...s, id };
  });
}

function address(value: unknown, name: string): Address {
  if (typeof value === "string" && isAddress(value)) return value;
  throw new ConfigError(
    value === undefined ? `${name} is not set` : `${name} "${String(value)}" is not an address`,
    name.startsWith("contracts.")
      ? "pass --deployment <deployment.json> (written by `decai deploy`) or set contracts in the config file"
      : "set verifyingContract (the RelayMining contract relays are signed for) or --verifying-contract",
  );
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} "${value}" is not an integer in [${min}, ${max}]`, `fix ${name}`);
  }
  return n;
}

function bigintOf(value: string, name: string, min = 0n): bigint {
  let n: bigint;
  try {
    n = BigInt(value);
  } catch {
    throw new ConfigError(`${name} "${value}" is not an integer`, `give ${name} in decimal or 0x-hex`);
  }
  if (n < min) throw new ConfigError(`${name} must be at least ${min}`, `fix ${name}`);
  return n;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${name} "${value}" is not one of ${allowed.join(", ")}`, `fix ${name}`);
}

/** `{ [key]: parse(raw) }` when the setting is given, `{}` when not (the chain's value is used then). */
function optional<K extends string, T>(
  key: K,
  raw: string | undefined,
  parse: (raw: string) => T,
): { [P in K]?: T } {
  return raw === undefined ? {} : ({ [key]: parse(raw) } as { [P in K]?: T });
}
