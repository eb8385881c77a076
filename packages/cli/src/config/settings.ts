import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "../output.js";
import type { Runtime } from "../runtime.js";

/**
 * Flags every chain verb takes; spread them into a command's options.
 *
 * @example
 * const options = { ...chainOptions, service: { type: "string", multiple: true } } as const;
 */
export const chainOptions = {
  config: { type: "string" },
  deployment: { type: "string" },
  "rpc-url": { type: "string" },
  key: { type: "string" },
  keystore: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The help lines of {@link chainOptions}. */
export const CHAIN_OPTIONS_HELP = `Common options (flags > environment > config file > defaults):
  --deployment <file>  deployment file from \`decai chain deploy\` (env DECAI_DEPLOYMENT;
                       default .decai/deployment.json, else the devnet's)
  --rpc-url <url>      JSON-RPC endpoint (env DECAI_RPC_URL; default: the deployment file's,
                       else http://127.0.0.1:8545)
  --key <name>         key from the keystore (env DECAI_KEY), or set DECAI_PRIVATE_KEY=0x...
                       in the environment; the keystore passphrase comes from
                       DECAI_KEYSTORE_PASSPHRASE or a prompt
  --keystore <dir>     keystore directory (env DECAI_KEYSTORE_DIR; default .decai/keys)
  --config <file>      JSON defaults for the options above: {"rpcUrl", "deployment", "key",
                       "keystore"} (env DECAI_CONFIG; default .decai/config.json)
  --json               print the result as one JSON line on stdout
  -h, --help           show this help`;

/** Where the signing key comes from, before it is loaded. */
export type KeySource =
  | { kind: "keystore"; name: string; from: string }
  | { kind: "env"; variable: "DECAI_PRIVATE_KEY" };

/** The shared options, resolved. */
export type Settings = {
  /** The config file that was read, if any. */
  configFile: string | undefined;
  deploymentFile: string;
  /** Undefined when nobody set one: the deployment file's RPC URL, else the local default, is used. */
  rpcUrl: string | undefined;
  key: KeySource | undefined;
  keystoreDir: string;
  json: boolean;
};

type ChainOptionValues = {
  config?: string;
  deployment?: string;
  "rpc-url"?: string;
  key?: string;
  keystore?: string;
  json?: boolean;
};

const FILE_KEYS = ["rpcUrl", "deployment", "key", "keystore"] as const;
type FileConfig = Partial<Record<(typeof FILE_KEYS)[number], string>>;

/**
 * Resolves the shared options: flags > environment > config file > defaults. Paths in the config file are
 * relative to the file; all other relative paths to `runtime.cwd`.
 *
 * @example
 * const settings = resolveSettings(values, runtime);
 * settings.deploymentFile; // "/home/me/project/.decai/deployment.json"
 */
export function resolveSettings(values: ChainOptionValues, runtime: Runtime): Settings {
  const { env, cwd } = runtime;
  const explicitConfig = values.config ?? nonEmpty(env.DECAI_CONFIG);
  const configFile = resolve(cwd, explicitConfig ?? ".decai/config.json");
  const file = explicitConfig || existsSync(configFile) ? readConfig(configFile) : undefined;
  const fileDir = dirname(configFile);

  const fromFile = (name: keyof FileConfig, path = false) => {
    const value = file?.[name];
    if (value === undefined) return undefined;
    return path ? resolve(fileDir, value) : value;
  };
  const path = (raw: string | undefined) => (raw === undefined ? undefined : resolve(cwd, raw));

  const deploymentFile =
    path(values.deployment) ??
    path(nonEmpty(env.DECAI_DEPLOYMENT)) ??
    fromFile("deployment", true) ??
    defaultDeployment(cwd);

  let key: KeySource | undefined;
  if (values.key !== undefined) key = { kind: "keystore", name: values.key, from: "--key" };
  else if (nonEmpty(env.DECAI_PRIVATE_KEY)) key = { kind: "env", variable: "DECAI_PRIVATE_KEY" };
  else if (nonEmpty(env.DECAI_KEY))
    key = { kind: "keystore", name: env.DECAI_KEY as string, from: "DECAI_KEY" };
  else if (fromFile("key")) key = { kind: "keystore", name: fromFile("key") as string, from: configFile };

  return {
    configFile: file ? configFile : undefined,
    deploymentFile,
    rpcUrl: values["rpc-url"] ?? nonEmpty(env.DECAI_RPC_URL) ?? fromFile("rpcUrl"),
    key,
    keystoreDir:
      path(values.keystore) ??
      path(nonEmpty(env.DECAI_KEYSTORE_DIR)) ??
      fromFile("keystore", true) ??
      resolve(cwd, ".decai/keys"),
    json: values.json ?? false,
  };
}

/** `.decai/deployment.json`, or the devnet's deployment file when only `decai devnet` has run here. */
function defaultDeployment(cwd: string): string {
  const deployment = resolve(cwd, ".decai/deployment.json");
  if (existsSync(deployment)) return deployment;
  const devnet = [".decai/devnet/deployment.json", ".decai/devnet.json"].map((p) => resolve(cwd, p));
  return devnet.find((p) => existsSync(p)) ?? deployment;
}

function readConfig(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`cannot read the config file ${path}; check --config or DECAI_CONFIG`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`the config file ${path} is not valid JSON; fix its syntax`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new UsageError(`the config file ${path} must hold a JSON object`);
  }
  for (const [name, value] of Object.entries(data)) {
    if (!(FILE_KEYS as readonly string[]).includes(name)) {
      const hint =
        name.toLowerCase().includes("private") || name.toLowerCase().includes("secret")
          ? 'keys never go in the config file: import them with `decai keys import <name>` and set "key"'
          : `the known settings are ${FILE_KEYS.join(", ")}`;
      throw new UsageError(`unknown setting "${name}" in ${path}: ${hint}`);
    }
    if (typeof value !== "string" || value === "") {
      throw new UsageError(`setting "${name}" in ${path} must be a non-empty string`);
    }
  }
  return data as FileConfig;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
