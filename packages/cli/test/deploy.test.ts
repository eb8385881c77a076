import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Anvil, sessionClockAbi, startAnvil } from "@decai/chain";
import { createPublicClient, http } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decai, testRuntime } from "./helpers.js";

describe("decai chain deploy", () => {
  let anvil: Anvil;
  let key: string;

  beforeAll(async () => {
    anvil = await startAnvil();
    key = anvil.accounts[0]?.privateKey as string;
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("deploys every contract and writes the deployment file with the RPC URL", async () => {
    const runtime = testRuntime({ env: { DECAI_PRIVATE_KEY: key, DECAI_RPC_URL: anvil.rpcUrl } });
    const result = await decai(runtime, ["chain", "deploy", "--json", "--param", "blocksPerSession=20"]);
    expect(result.code, result.text).toBe(0);
    const printed = result.json();
    const file = join(runtime.cwd, ".decai/deployment.json");
    const saved = JSON.parse(readFileSync(file, "utf8"));
    expect(printed.deploymentFile).toBe(file);
    expect(saved.contracts).toEqual(printed.contracts);
    expect(saved.rpcUrl).toBe(anvil.rpcUrl);
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    for (const address of Object.values(saved.contracts) as `0x${string}`[]) {
      expect(await client.getCode({ address }), address).toMatch(/^0x[0-9a-f]{10,}/);
    }
    const blocksPerSession = await client.readContract({
      address: saved.contracts.sessionClock,
      abi: sessionClockAbi,
      functionName: "blocksPerSessionAt",
      args: [0n],
    });
    expect(blocksPerSession).toBe(20);
    expect(result.stderr.some((l) => l.startsWith("deploying Staking"))).toBe(true);
  });

  it("signs with a keystore key, and keeps `decai deploy --private-key --out` working", async () => {
    const env = { DECAI_KEYSTORE_PASSPHRASE: "a long passphrase", DECAI_PRIVATE_KEY: key };
    const runtime = testRuntime({ env });
    expect((await decai(runtime, ["keys", "import", "deployer"])).code).toBe(0);
    const withKey = await decai(
      testRuntime({ cwd: runtime.cwd, env: { DECAI_KEYSTORE_PASSPHRASE: env.DECAI_KEYSTORE_PASSPHRASE } }),
      ["chain", "deploy", "--key", "deployer", "--rpc-url", anvil.rpcUrl],
    );
    expect(withKey.code, withKey.text).toBe(0);
    expect(withKey.stdout[0]).toMatch(
      /^Deployed Decai on chain 31337; addresses written to .*\.decai\/deployment\.json$/,
    );
    expect(withKey.stdout.join("\n")).toMatch(/staking\s+0x[0-9a-fA-F]{40}/);

    const out = join(runtime.cwd, "alias.json");
    const alias = await decai(testRuntime(), [
      "deploy",
      "--rpc-url",
      anvil.rpcUrl,
      "--private-key",
      key,
      "--out",
      out,
    ]);
    expect(alias.code, alias.text).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).chainId).toBe(31337);
  });

  it("says what to do when the key is missing or malformed", async () => {
    const runtime = testRuntime();
    const missing = await decai(runtime, ["chain", "deploy", "--rpc-url", anvil.rpcUrl]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toEqual([
      expect.stringMatching(/no deployer key: pass --key <name> .*DECAI_PRIVATE_KEY/),
    ]);
    const malformed = await decai(runtime, ["deploy", "--rpc-url", anvil.rpcUrl, "--private-key", "0x1234"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.join("\n")).toMatch(/the private key in --private-key is malformed/);
    expect(existsSync(join(runtime.cwd, ".decai/deployment.json"))).toBe(false);
  });

  it("rejects unknown parameters and bad token addresses", async () => {
    const runtime = testRuntime({ env: { DECAI_PRIVATE_KEY: key, DECAI_RPC_URL: anvil.rpcUrl } });
    const param = await decai(runtime, ["chain", "deploy", "--param", "blocksPerSesion=20"]);
    expect(param.code).toBe(2);
    expect(param.stderr.join("\n")).toMatch(
      /--param "blocksPerSesion=20" is not name=value with a known name; the names are: blocksPerSession/,
    );
    const value = await decai(runtime, ["chain", "deploy", "--param", "blocksPerSession=ten"]);
    expect(value.stderr.join("\n")).toMatch(
      /--param blocksPerSession must be a non-negative integer, got "ten"/,
    );
    const token = await decai(runtime, ["chain", "deploy", "--stake-token", "0xnothex"]);
    expect(token.code).toBe(1);
    expect(token.stderr.join("\n")).toMatch(/stakeToken "0xnothex" is not an address/);
    expect(existsSync(join(runtime.cwd, ".decai/deployment.json"))).toBe(false);
  });

  it("explains an unreachable chain and a deployer without gas money", async () => {
    const unreachable = await decai(testRuntime({ env: { DECAI_PRIVATE_KEY: key } }), [
      "chain",
      "deploy",
      "--rpc-url",
      "http://127.0.0.1:1",
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toEqual([
      expect.stringMatching(/cannot reach a chain at http:\/\/127.0.0.1:1\. Start one with/),
    ]);
    const poor = await decai(testRuntime({ env: { DECAI_PRIVATE_KEY: generatePrivateKey() } }), [
      "chain",
      "deploy",
      "--rpc-url",
      anvil.rpcUrl,
    ]);
    expect(poor.code).toBe(1);
    expect(poor.stderr.join("\n")).toMatch(/has no ETH on chain 31337 to pay for gas\. Fund that account/);
  });

  it("rejects unknown flags, verbs and commands with a pointer to --help", async () => {
    const flag = await decai(testRuntime(), ["chain", "deploy", "--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.join("\n")).toMatch(/--bogus.*decai chain deploy --help/);
    const verb = await decai(testRuntime(), ["chain", "launch"]);
    expect(verb.stderr.join("\n")).toMatch(/unknown verb "launch" for `decai chain`: use one of deploy/);
    const command = await decai(testRuntime(), ["nope"]);
    expect(command.code).toBe(2);
    expect(command.stderr.join("\n")).toMatch(/unknown command "nope".*decai --help/);
  });

  it("prints help for every command and verb", async () => {
    const top = await decai(testRuntime(), ["--help"]);
    const groups = [...top.stdout.join("\n").matchAll(/^ {2}(\w+) .*\(([\w, ]+)\)$/gm)];
    expect(groups.map((g) => g[1])).toEqual(
      expect.arrayContaining(["keys", "chain", "source", "supplier", "relayminer", "app"]),
    );
    const invocations = [["deploy"], ["devnet"], ["status"], ["faucet"]];
    for (const [, group, verbs] of groups) {
      for (const verb of (verbs as string).split(", ")) invocations.push([group as string, verb]);
    }
    expect(invocations.length).toBeGreaterThan(20);
    for (const args of invocations) {
      const r = await decai(testRuntime(), [...args, "--help"]);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout.join("\n"), args.join(" ")).toMatch(/^Usage: decai /);
    }
  });
});
