import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARAMS, saveDeployment } from "@decai/chain";
import { toServiceId } from "@decai/core";
import { maxUint256 } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "decai-config-"));
const key = generatePrivateKey();
const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;
const contracts = { sessionClock: addr(1), serviceRegistry: addr(2), staking: addr(3) };
const verifyingContract = addr(9);

function writeConfig(name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("RelayMiner configuration", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  mkdirSync(join(dir, "conf"), { recursive: true });
  writeFileSync(join(dir, "conf", "supplier.key"), `${key}\n`);
  const file = writeConfig("conf/relayminer.json", {
    port: 9000,
    host: "0.0.0.0",
    rpcUrl: "http://chain:8545",
    contracts,
    fromBlock: "17",
    verifyingContract,
    supplierKeyFile: "supplier.key",
    dataDir: "data",
    services: [
      { name: "tiny-llama", backend: "http://llm:8080", headers: { authorization: "Bearer secret" } },
    ],
    graceBlocks: 4,
    paymentPerComputeUnit: "1000",
    target: "0x10",
  });

  it("reads the file, resolving its relative paths against it", () => {
    const config = loadConfig({ argv: ["--config", file], env: {}, cwd: "/" });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9000,
      rpcUrl: "http://chain:8545",
      contracts,
      fromBlock: 17n,
      verifyingContract,
      supplierKey: key,
      dataDir: join(dir, "conf", "data"),
      graceBlocks: 4,
      paymentPerComputeUnit: 1000n,
      target: 16n,
      fsync: "always",
      logLevel: "info",
    });
    // Not set anywhere: read from RelayMining at start rather than guessed.
    expect(config.pendingSessions).toBeUndefined();
    expect(config.services).toEqual([
      {
        name: "tiny-llama",
        id: toServiceId("tiny-llama"),
        backend: "http://llm:8080",
        headers: { authorization: "Bearer secret" },
      },
    ]);
  });

  it("lets the environment override the file, and flags override both", () => {
    const env = { DECAI_RELAYMINER_CONFIG: file, DECAI_RELAYMINER_PORT: "9001", DECAI_LOG_LEVEL: "debug" };
    expect(loadConfig({ argv: [], env })).toMatchObject({ port: 9001, logLevel: "debug", target: 16n });
    const config = loadConfig({
      argv: ["--port", "9002", "--service", "other-model=http://other:1", "--target", "max"],
      env,
    });
    expect(config.port).toBe(9002);
    expect(config.target).toBe(maxUint256);
    expect(config.services.map((s) => s.name)).toEqual(["other-model"]);
  });

  it("takes the key from DECAI_SUPPLIER_KEY before any file", () => {
    const other = generatePrivateKey();
    expect(loadConfig({ argv: ["--config", file], env: { DECAI_SUPPLIER_KEY: other } }).supplierKey).toBe(
      other,
    );
  });

  it("reads contracts and the start block from a deployment file", () => {
    const deploymentPath = join(dir, "deployment.json");
    saveDeployment(deploymentPath, {
      chainId: 31337,
      deployBlock: 5n,
      deployer: addr(7),
      governance: addr(7),
      dao: addr(7),
      params: DEFAULT_PARAMS,
      contracts: {
        ...contracts,
        stakeToken: addr(4),
        paymentToken: addr(5),
        sessions: addr(6),
        relayMining: addr(8),
      },
    });
    const config = loadConfig({
      argv: ["--deployment", deploymentPath, "--service", "tiny-llama=http://x"],
      env: { DECAI_SUPPLIER_KEY: key },
    });
    expect(config.contracts).toEqual(contracts);
    expect(config.fromBlock).toBe(5n);
    expect(config.verifyingContract).toBe(addr(8)); // relays are signed for the deployed RelayMining
  });

  it("explains what is missing or wrong, without echoing the key", () => {
    const base = ["--config", file];
    expect(
      configError(() => loadConfig({ argv: ["--config", join(dir, "nope.json")], env: {} })).message,
    ).toMatch(/cannot read the config file/);
    const noKey = writeConfig("nokey.json", {
      contracts,
      verifyingContract,
      services: [{ name: "a", backend: "http://a" }],
    });
    expect(configError(() => loadConfig({ argv: ["--config", noKey], env: {} })).hint).toMatch(
      /DECAI_SUPPLIER_KEY/,
    );
    const badKey = `${key.slice(0, -1)}z`;
    const bad = configError(() => loadConfig({ argv: base, env: { DECAI_SUPPLIER_KEY: badKey } }));
    expect(bad.message).toMatch(/malformed/);
    expect(bad.message).not.toContain(badKey.slice(2, 20));
    expect(
      configError(() => loadConfig({ argv: [...base, "--service", "Bad Name=http://x"], env: {} })).message,
    ).toMatch(/invalid service name/);
    expect(
      configError(() => loadConfig({ argv: [...base, "--service", "a=ftp://x"], env: {} })).message,
    ).toMatch(/not an http/);
    expect(configError(() => loadConfig({ argv: [...base, "--port", "70000"], env: {} })).message).toMatch(
      /port/,
    );
    expect(configError(() => loadConfig({ argv: [...base, "--bogus"], env: {} })).message).toMatch(/bogus/);
    const noVerifier = writeConfig("noverifier.json", {
      contracts,
      services: [{ name: "a", backend: "http://a" }],
    });
    expect(
      configError(() => loadConfig({ argv: ["--config", noVerifier], env: { DECAI_SUPPLIER_KEY: key } }))
        .hint,
    ).toMatch(/RelayMining/);
  });

  it("describes itself for logs without the key or header values", () => {
    const config = loadConfig({ argv: ["--config", file], env: {} });
    const text = JSON.stringify(describeConfig(config), (_, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(key.slice(2));
    expect(text).not.toContain("Bearer secret");
    expect(text).toContain(privateKeyToAddress(key));
  });

  it("makes the process exit with status 2 and a hint on a bad configuration", () => {
    const main = join(import.meta.dirname, "..", "src", "main.ts");
    const tsx = join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "tsx");
    const run = spawnSync(tsx, [main, "--config", join(dir, "nope.json")], { encoding: "utf8", env: {} });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^relayminer: cannot read the config file .* \(check the --config path\)\n$/);
  });
});
