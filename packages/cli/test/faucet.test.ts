import { testTokenAbi } from "@decai/chain";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decai, testRuntime } from "./helpers.js";
import { type CliNetwork, startCliNetwork } from "./network.js";

describe("decai faucet", () => {
  let net: CliNetwork;
  beforeAll(async () => {
    net = await startCliNetwork();
  });
  afterAll(async () => {
    await net?.anvil.stop();
  });

  const balance = (token: "stakeToken" | "paymentToken", owner: `0x${string}`) =>
    net.client.readContract({
      address: net.deployment.contracts[token],
      abi: testTokenAbi,
      functionName: "balanceOf",
      args: [owner],
    });

  it("makes a brand-new keystore key usable on a devnet: gas money and both test tokens", async () => {
    const runtime = testRuntime({ cwd: net.cwd, env: { DECAI_KEYSTORE_PASSPHRASE: "twelve chars" } });
    const created = await decai(runtime, ["keys", "create", "alice", "--json"]);
    const alice = created.json().address;
    expect(await net.client.getBalance({ address: alice })).toBe(0n);
    const r = await decai(runtime, ["faucet", "250", "--key", "alice"]);
    expect(r.code, r.text).toBe(0);
    expect(r.stdout).toEqual([
      `Minted 250 DST and 250 DPT to ${alice}`,
      `  topped up ${alice} to 10 ETH for gas`,
    ]);
    expect(await balance("stakeToken", alice)).toBe(parseEther("250"));
    expect(await balance("paymentToken", alice)).toBe(parseEther("250"));
    expect(await net.client.getBalance({ address: alice })).toBeGreaterThan(parseEther("9"));
  });

  it("mints one token to another address, in base units", async () => {
    const to = privateKeyToAddress(generatePrivateKey());
    const r = await net.as(1, ["faucet", "5wei", "--token", "payment", "--to", to, "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({ to, minted: [{ symbol: "DPT", amount: "5" }], ethToppedUp: [to] });
    expect(await balance("paymentToken", to)).toBe(5n);
    expect(await balance("stakeToken", to)).toBe(0n);
  });

  it("refuses tokens that are not the devnet's test tokens, and bad input", async () => {
    // A deployment whose "stake token" is a contract without a public mint (the first deployment's Staking).
    const other = testRuntime({ env: { DECAI_PRIVATE_KEY: net.key(0) } });
    const deployed = await decai(other, [
      "chain",
      "deploy",
      "--rpc-url",
      net.anvil.rpcUrl,
      "--stake-token",
      net.deployment.contracts.staking,
    ]);
    expect(deployed.code, deployed.text).toBe(0);
    const r = await decai(testRuntime({ cwd: other.cwd, env: { DECAI_PRIVATE_KEY: net.key(1) } }), [
      "faucet",
      "1",
      "--token",
      "stake",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.join("\n")).toMatch(
      /cannot be minted .*`decai faucet` only works with the test tokens a devnet deploys/,
    );

    const cases: [string[], RegExp][] = [
      [["faucet"], /missing <amount>/],
      [["faucet", "lots"], /amount "lots" is not an amount/],
      [["faucet", "1", "--token", "eth"], /--token must be stake, payment or both, got "eth"/],
      [["faucet", "1", "--to", "me"], /--to "me" is not an address/],
    ];
    for (const [args, message] of cases) {
      const bad = await net.as(1, args);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr.join("\n")).toMatch(message);
    }
  });
});
