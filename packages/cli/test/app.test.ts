import { stakingAbi, testTokenAbi } from "@decai/chain";
import { createWalletClient, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliNetwork, startCliNetwork } from "./network.js";

const DIGEST = `0x${"ab".repeat(32)}`;

describe("decai app", () => {
  let net: CliNetwork;
  const APP = 3;
  const GATEWAY = 5;

  beforeAll(async () => {
    net = await startCliNetwork(["unbondingSessions=1"]);
    for (const args of [
      ["source", "register", "tiny-llama", "--weights-digest", DIGEST],
      ["source", "register", "embedder", "--weights-digest", DIGEST],
    ]) {
      const r = await net.as(1, args);
      if (r.code !== 0) throw new Error(r.text);
    }
    // A gateway someone else runs (the gateway verbs are not this group's): staked directly.
    const wallet = createWalletClient({
      account: privateKeyToAccount(net.key(GATEWAY)),
      chain: foundry,
      transport: http(net.anvil.rpcUrl),
    });
    const { stakeToken, staking } = net.deployment.contracts;
    for (const [address, abi, functionName, args] of [
      [stakeToken, testTokenAbi, "mint", [net.address(GATEWAY), parseEther("100")]],
      [stakeToken, testTokenAbi, "approve", [staking, parseEther("100")]],
      [staking, stakingAbi, "stakeGateway", [parseEther("100")]],
    ] as const) {
      const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
      await net.client.waitForTransactionReceipt({ hash });
    }
  });
  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("escrows payment tokens (approving first) for the services it picks", async () => {
    const poor = await net.as(APP, ["app", "stake", "20", "--service", "tiny-llama"]);
    expect(poor.stderr).toEqual([
      `decai: ${net.address(APP)} holds 0 DPT, needs 20 DPT. Get DPT first (on a devnet: \`decai faucet 20\`).`,
    ]);
    expect((await net.as(APP, ["faucet", "100", "--token", "payment"])).code).toBe(0);
    const low = await net.as(APP, ["app", "stake", "5", "--service", "tiny-llama"]);
    expect(low.stderr.join("\n")).toMatch(/an application escrow must be at least 10 DPT/);

    const r = await net.as(APP, ["app", "stake", "20", "--service", "tiny-llama", "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.stderr).toEqual([
      "approving 20 DPT for the Staking contract...",
      `escrowing 20 DPT as application ${net.address(APP)}...`,
    ]);
    expect(r.json()).toMatchObject({
      escrow: parseEther("20").toString(),
      services: [{ name: "tiny-llama" }],
      gateways: [],
    });

    const more = await net.as(APP, ["app", "stake", "--service", "embedder"]);
    expect(more.code, more.text).toBe(0);
    expect(more.stdout).toEqual([
      `Application ${net.address(APP)} escrows 20 DPT`,
      "  services tiny-llama, embedder",
    ]);
  });

  it("delegates to a staked gateway from the next session, and undelegates", async () => {
    const session = await net.currentSession();
    const notGateway = await net.as(APP, ["app", "delegate", net.address(6)]);
    expect(notGateway.code).toBe(1);
    expect(notGateway.stderr.join("\n")).toMatch(
      `${net.address(6)} is not a staked gateway. Check the address`,
    );

    const r = await net.as(APP, ["app", "delegate", net.address(GATEWAY), "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({ gateway: net.address(GATEWAY), fromSession: String(session + 1n) });
    const delegated = await net.client.readContract({
      address: net.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "isDelegated",
      args: [net.address(APP), net.address(GATEWAY), session + 1n],
    });
    expect(delegated).toBe(true);
    const twice = await net.as(APP, ["app", "delegate", net.address(GATEWAY)]);
    expect(twice.stderr.join("\n")).toMatch(/already delegates to/);

    const status = await net.as(9, ["app", "status", net.address(APP)]);
    expect(status.stdout.join("\n")).toMatch(`gateways   ${net.address(GATEWAY)}`);

    const undo = await net.as(APP, ["app", "undelegate", net.address(GATEWAY)]);
    expect(undo.code, undo.text).toBe(0);
    const undoTwice = await net.as(APP, ["app", "undelegate", net.address(GATEWAY)]);
    expect(undoTwice.stderr.join("\n")).toMatch(/does not delegate to .*It delegates to no gateway/);
  });

  it("says what to do on bad input", async () => {
    const cases: [number, string[], number, RegExp][] = [
      [APP, ["app", "stake"], 2, /nothing to do: give an amount to escrow and\/or --service <name>/],
      [APP, ["app", "stake", "--service", "ghost"], 1, /service "ghost" is not registered/],
      [APP, ["app", "delegate", "0x12"], 2, /"0x12" is not an address/],
      [APP, ["app", "delegate"], 2, /missing <gateway-address>/],
      [
        7,
        ["app", "delegate", net.address(GATEWAY)],
        1,
        /is not staked as an application\. Stake first with `decai app stake/,
      ],
      [7, ["app", "unstake"], 1, /is not staked as an application/],
      [APP, ["app", "withdraw"], 1, /is not unbonding\. Start with `decai app unstake`/],
      [
        APP,
        ["app", "status", "--rpc-url", "http://127.0.0.1:1"],
        1,
        /cannot reach a chain at http:\/\/127\.0\.0\.1:1/,
      ],
    ];
    for (const [who, args, code, message] of cases) {
      const r = await net.as(who, args);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr.join("\n"), args.join(" ")).toMatch(message);
    }
  });

  it("unstakes and withdraws the escrow once unbonding is over", async () => {
    const r = await net.as(APP, ["app", "unstake", "--json"]);
    expect(r.code, r.text).toBe(0);
    const withdrawable = BigInt(r.json().withdrawableFromSession);
    const early = await net.as(APP, ["app", "withdraw"]);
    expect(early.stderr.join("\n")).toMatch(`still unbonding: withdrawable from session ${withdrawable}`);
    await net.untilSession(withdrawable);
    const done = await net.as(APP, ["app", "withdraw"]);
    expect(done.code, done.text).toBe(0);
    expect(done.stdout).toEqual([`Withdrew 20 DPT to ${net.address(APP)}`]);
    const status = await net.as(APP, ["app", "status", "--json"]);
    expect(status.json()).toMatchObject({ escrow: "0", services: [], gateways: [], spent: "0" });
  });
});
