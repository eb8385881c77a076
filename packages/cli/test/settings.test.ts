import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAmountSyntax, formatAmount, parseAmount } from "../src/config/amount.js";
import { resolveSettings } from "../src/config/settings.js";
import { testRuntime } from "./helpers.js";

const DST = { symbol: "DST", decimals: 18 };

describe("shared options", () => {
  it("take flags over environment over the config file over defaults", () => {
    const runtime = testRuntime();
    const { cwd } = runtime;
    mkdirSync(join(cwd, ".decai"));
    writeFileSync(
      join(cwd, ".decai/config.json"),
      JSON.stringify({
        rpcUrl: "http://file:1",
        deployment: "file.json",
        key: "from-file",
        keystore: "file-keys",
      }),
    );
    const fromFile = resolveSettings({}, runtime);
    expect(fromFile).toEqual({
      configFile: join(cwd, ".decai/config.json"),
      deploymentFile: join(cwd, ".decai/file.json"), // relative to the config file
      rpcUrl: "http://file:1",
      key: { kind: "keystore", name: "from-file", from: join(cwd, ".decai/config.json") },
      keystoreDir: join(cwd, ".decai/file-keys"),
      json: false,
    });

    const env = {
      DECAI_RPC_URL: "http://env:2",
      DECAI_DEPLOYMENT: "env.json",
      DECAI_KEY: "from-env",
      DECAI_KEYSTORE_DIR: "env-keys",
    };
    const fromEnv = resolveSettings({}, testRuntime({ cwd, env }));
    expect(fromEnv.rpcUrl).toBe("http://env:2");
    expect(fromEnv.deploymentFile).toBe(join(cwd, "env.json"));
    expect(fromEnv.key).toEqual({ kind: "keystore", name: "from-env", from: "DECAI_KEY" });
    expect(fromEnv.keystoreDir).toBe(join(cwd, "env-keys"));
    // A raw key in the environment beats a key name from the environment or the file.
    const raw = resolveSettings({}, testRuntime({ cwd, env: { ...env, DECAI_PRIVATE_KEY: "0x01" } }));
    expect(raw.key).toEqual({ kind: "env", variable: "DECAI_PRIVATE_KEY" });

    const fromFlags = resolveSettings(
      {
        "rpc-url": "http://flag:3",
        deployment: "flag.json",
        key: "from-flag",
        keystore: "flag-keys",
        json: true,
      },
      testRuntime({ cwd, env: { ...env, DECAI_PRIVATE_KEY: "0x01" } }),
    );
    expect(fromFlags).toMatchObject({
      rpcUrl: "http://flag:3",
      deploymentFile: join(cwd, "flag.json"),
      key: { kind: "keystore", name: "from-flag", from: "--key" },
      keystoreDir: join(cwd, "flag-keys"),
      json: true,
    });
  });

  it("default to .decai files, falling back to the devnet's deployment file", () => {
    const runtime = testRuntime();
    const defaults = resolveSettings({}, runtime);
    expect(defaults).toEqual({
      configFile: undefined,
      deploymentFile: join(runtime.cwd, ".decai/deployment.json"),
      rpcUrl: undefined,
      key: undefined,
      keystoreDir: join(runtime.cwd, ".decai/keys"),
      json: false,
    });
    mkdirSync(join(runtime.cwd, ".decai/devnet"), { recursive: true });
    writeFileSync(join(runtime.cwd, ".decai/devnet/deployment.json"), "{}");
    expect(resolveSettings({}, runtime).deploymentFile).toBe(
      join(runtime.cwd, ".decai/devnet/deployment.json"),
    );
    writeFileSync(join(runtime.cwd, ".decai/deployment.json"), "{}");
    expect(resolveSettings({}, runtime).deploymentFile).toBe(join(runtime.cwd, ".decai/deployment.json"));
  });

  it("reject config files that are missing, malformed, or hold keys", () => {
    const runtime = testRuntime();
    const write = (content: string) => writeFileSync(join(runtime.cwd, "c.json"), content);
    expect(() => resolveSettings({ config: "missing.json" }, runtime)).toThrow(
      /cannot read the config file .*missing\.json/,
    );
    write("{ nope");
    expect(() => resolveSettings({ config: "c.json" }, runtime)).toThrow(/is not valid JSON; fix its syntax/);
    write(JSON.stringify({ privateKey: "0x00" }));
    expect(() => resolveSettings({ config: "c.json" }, runtime)).toThrow(
      /keys never go in the config file: import them with `decai keys import <name>`/,
    );
    write(JSON.stringify({ rpcurl: "x" }));
    expect(() => resolveSettings({ config: "c.json" }, runtime)).toThrow(
      /unknown setting "rpcurl" .*known settings are rpcUrl, deployment, key, keystore/,
    );
    write(JSON.stringify({ rpcUrl: 5 }));
    expect(() =>
      resolveSettings({}, testRuntime({ cwd: runtime.cwd, env: { DECAI_CONFIG: "c.json" } })),
    ).toThrow(/setting "rpcUrl" .* must be a non-empty string/);
  });
});

describe("amounts", () => {
  it("parse whole and fractional tokens by the token's decimals, and base units with wei", () => {
    expect(parseAmount("100", DST, "amount")).toBe(100n * 10n ** 18n);
    expect(parseAmount("2.5", DST, "amount")).toBe(25n * 10n ** 17n);
    expect(parseAmount("1_000", DST, "amount")).toBe(1000n * 10n ** 18n);
    expect(parseAmount("100wei", DST, "amount")).toBe(100n);
    expect(parseAmount("7", { symbol: "USDC", decimals: 6 }, "amount")).toBe(7_000_000n);
    expect(() => parseAmount("0.0000001", { symbol: "USDC", decimals: 6 }, "amount")).toThrow(
      /has more than 6 decimals \(the USDC token's\)/,
    );
    for (const bad of ["-1", "1e18", "abc", "", "1.2.3", "0x10"]) {
      expect(() => checkAmountSyntax(bad, "amount"), bad).toThrow(
        /is not an amount: write tokens \(100, 2\.5\) or base units \(100wei\)/,
      );
    }
  });

  it("format with thousands separators and the symbol", () => {
    expect(formatAmount(1234500000000000000000n, DST)).toBe("1,234.5 DST");
    expect(formatAmount(0n, DST)).toBe("0 DST");
    expect(formatAmount(1n, DST)).toBe("0.000000000000000001 DST");
  });
});
