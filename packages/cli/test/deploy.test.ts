import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Anvil, startAnvil } from "@decai/chain";
import { createPublicClient, http } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { captureOutput } from "./helpers.js";

describe("decai deploy", () => {
  let anvil: Anvil;
  const dir = mkdtempSync(join(tmpdir(), "decai-deploy-"));

  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  const deploy = async (args: string[]) => {
    const output = captureOutput();
    const code = await main(["deploy", ...args], output);
    return { code, ...output };
  };

  it("deploys every contract and writes the deployment file", async () => {
    const out = join(dir, "ok.json");
    const key = anvil.accounts[0]?.privateKey as string;
    const result = await deploy(["--rpc-url", anvil.rpcUrl, "--private-key", key, "--out", out, "--json"]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout.join(""));
    const saved = JSON.parse(readFileSync(out, "utf8"));
    expect(saved.contracts).toEqual(printed.contracts);
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    for (const address of Object.values(saved.contracts) as `0x${string}`[]) {
      expect(await client.getCode({ address }), address).toMatch(/^0x[0-9a-f]{10,}/);
    }
    expect(result.stderr.some((l) => l.startsWith("deploying Staking"))).toBe(true);
  });

  it("says what to do when the key is missing", async () => {
    const result = await deploy(["--rpc-url", anvil.rpcUrl, "--out", join(dir, "nokey.json")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([
      expect.stringMatching(/no deployer key: pass --private-key .* DECAI_PRIVATE_KEY/),
    ]);
    expect(existsSync(join(dir, "nokey.json"))).toBe(false);
  });

  it("rejects a malformed key", async () => {
    const result = await deploy([
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key",
      "0x1234",
      "--out",
      join(dir, "bad.json"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.join("\n")).toMatch(/private key is missing or malformed/);
    expect(existsSync(join(dir, "bad.json"))).toBe(false);
  });

  it("rejects a bad token address", async () => {
    const key = anvil.accounts[0]?.privateKey as string;
    const args = [
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key",
      key,
      "--stake-token",
      "0xnothex",
      "--out",
      join(dir, "t.json"),
    ];
    const result = await deploy(args);
    expect(result.code).toBe(1);
    expect(result.stderr.join("\n")).toMatch(/stakeToken "0xnothex" is not an address/);
  });

  it("explains an unreachable chain", async () => {
    const key = anvil.accounts[0]?.privateKey as string;
    const result = await deploy([
      "--rpc-url",
      "http://127.0.0.1:1",
      "--private-key",
      key,
      "--out",
      join(dir, "u.json"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      expect.stringMatching(/cannot reach a chain at http:\/\/127.0.0.1:1\. Start one with/),
    ]);
    expect(existsSync(join(dir, "u.json"))).toBe(false);
  });

  it("explains a deployer without gas money", async () => {
    const result = await deploy([
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key",
      generatePrivateKey(),
      "--out",
      join(dir, "p.json"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.join("\n")).toMatch(/has no ETH on chain 31337 to pay for gas\. Fund that account/);
    expect(existsSync(join(dir, "p.json"))).toBe(false);
  });

  it("rejects unknown flags and commands with a pointer to --help", async () => {
    const flag = await deploy(["--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.join("\n")).toMatch(/--bogus.*decai deploy --help/);
    const output = captureOutput();
    expect(await main(["nope"], output)).toBe(2);
    expect(output.stderr.join("\n")).toMatch(/unknown command "nope".*decai --help/);
  });

  it("prints help for every command", async () => {
    for (const args of [["--help"], ["deploy", "--help"], ["devnet", "--help"]]) {
      const output = captureOutput();
      expect(await main(args, output)).toBe(0);
      expect(output.stdout.join("\n")).toMatch(/^Usage: decai/);
    }
  });
});
