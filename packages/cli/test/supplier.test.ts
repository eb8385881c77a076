import { stakingAbi, testTokenAbi } from "@decai/chain";
import { toServiceId } from "@decai/core";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliNetwork, startCliNetwork } from "./network.js";

const DIGEST = `0x${"ab".repeat(32)}`;

describe("decai supplier", () => {
  let net: CliNetwork;
  beforeAll(async () => {
    // Short unbonding, so withdrawal is reachable in a test.
    net = await startCliNetwork(["unbondingSessions=1"]);
    const r = await net.as(1, ["source", "register", "tiny-llama", "--weights-digest", DIGEST]);
    if (r.code !== 0) throw new Error(r.text);
  });
  afterAll(async () => {
    await net?.anvil.stop();
  });

  const stakeTokenBalance = (i: number) =>
    net.client.readContract({
      address: net.deployment.contracts.stakeToken,
      abi: testTokenAbi,
      functionName: "balanceOf",
      args: [net.address(i)],
    });

  it("refuses to stake tokens it does not hold, pointing at the faucet", async () => {
    const r = await net.as(2, ["supplier", "stake", "100", "--service", "tiny-llama=http://127.0.0.1:9000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual([
      `decai: ${net.address(2)} holds 0 DST, needs 100 DST. Get DST first (on a devnet: \`decai faucet 100\`).`,
    ]);
  });

  it("rejects a stake below the minimum before sending anything", async () => {
    expect((await net.as(2, ["faucet", "1000", "--token", "stake"])).code).toBe(0);
    const r = await net.as(2, ["supplier", "stake", "50"]);
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(
      /a supplier stake must total at least 100 DST; stake at least 100 DST/,
    );
    expect(await stakeTokenBalance(2)).toBe(parseEther("1000"));
  });

  it("approves, stakes and declares a service with its endpoint", async () => {
    const session = await net.currentSession();
    const r = await net.as(2, [
      "supplier",
      "stake",
      "150",
      "--service",
      "tiny-llama=http://127.0.0.1:9000",
      "--json",
    ]);
    expect(r.code, r.text).toBe(0);
    expect(r.stderr).toEqual([
      "approving 150 DST for the Staking contract...",
      `staking 150 DST as supplier ${net.address(2)}...`,
      'declaring service "tiny-llama" at http://127.0.0.1:9000...',
    ]);
    expect(r.json()).toMatchObject({
      supplier: net.address(2),
      stake: parseEther("150").toString(),
      services: [
        { name: "tiny-llama", endpoint: "http://127.0.0.1:9000", fromSession: String(session + 1n) },
      ],
    });
    expect(await stakeTokenBalance(2)).toBe(parseEther("850"));
    const endpoint = await net.client.readContract({
      address: net.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "supplierEndpoint",
      args: [net.address(2), toServiceId("tiny-llama")],
    });
    expect(endpoint).toBe("http://127.0.0.1:9000");
  });

  it("tops up without services, and moves an endpoint without re-adding the service", async () => {
    const topUp = await net.as(2, ["supplier", "stake", "50"]);
    expect(topUp.code, topUp.text).toBe(0);
    expect(topUp.stdout[0]).toBe(`Supplier ${net.address(2)} stakes 200 DST`);
    const move = await net.as(2, ["supplier", "stake", "--service", "tiny-llama=https://miner.example:8546"]);
    expect(move.code, move.text).toBe(0);
    expect(move.stderr).toEqual(['moving service "tiny-llama" to https://miner.example:8546...']);
    const same = await net.as(2, ["supplier", "stake", "--service", "tiny-llama=https://miner.example:8546"]);
    expect(same.stderr).toEqual(['service "tiny-llama" is already served at https://miner.example:8546']);
  });

  it("shows its status to anyone, by address or key", async () => {
    const r = await net.as(9, ["supplier", "status", net.address(2), "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({
      address: net.address(2),
      stake: parseEther("200").toString(),
      services: [{ name: "tiny-llama", endpoint: "https://miner.example:8546" }],
      claims: [],
      earned: "0",
    });
    const human = await net.as(2, ["supplier", "status"]);
    expect(human.stdout.join("\n")).toMatch(
      /stake +200 DST\n +service +tiny-llama at https:\/\/miner\.example:8546 \(from session \d+\)/,
    );
  });

  it("says what to do on bad input", async () => {
    const cases: [number, string[], number, RegExp][] = [
      [2, ["supplier", "stake"], 2, /nothing to do: give an amount to stake and\/or --service/],
      [2, ["supplier", "stake", "ten"], 2, /amount "ten" is not an amount/],
      [
        2,
        ["supplier", "stake", "--service", "tiny-llama"],
        2,
        /--service "tiny-llama" is not <name>=<endpoint>/,
      ],
      [
        2,
        ["supplier", "stake", "--service", "tiny-llama=localhost:80"],
        2,
        /must be an http\(s\) URL where your RelayMiner listens/,
      ],
      [
        2,
        ["supplier", "stake", "--service", "ghost=http://x:1"],
        1,
        /service "ghost" is not registered on chain 31337\. Check the name with `decai status`/,
      ],
      [
        3,
        ["supplier", "stake", "--service", "tiny-llama=http://x:1"],
        2,
        /has no supplier stake yet: give an amount/,
      ],
      [3, ["supplier", "unstake"], 1, /is not staked as a supplier/],
      [
        2,
        ["supplier", "unstake", "--service", "embedder"],
        1,
        /does not serve "embedder"\. See what it serves with `decai supplier status`/,
      ],
      [2, ["supplier", "withdraw"], 1, /is not unbonding\. Start with `decai supplier unstake`/],
      [
        2,
        ["supplier", "status", "--key", "nobody"],
        2,
        /no key named "nobody" in .*create one with `decai keys create <name>`/,
      ],
    ];
    for (const [who, args, code, message] of cases) {
      const r = await net.as(who, args);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr.join("\n"), args.join(" ")).toMatch(message);
    }
    const noKey = await net.as(2, ["supplier", "unstake"], { DECAI_PRIVATE_KEY: "" });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr.join("\n")).toMatch(/no key to sign with: pass --key <name>/);
  });

  it("unstakes a service, then everything, and withdraws only once unbonding is over", async () => {
    const removed = await net.as(2, ["supplier", "unstake", "--service", "tiny-llama"]);
    expect(removed.code, removed.text).toBe(0);
    expect(removed.stdout[0]).toMatch(`Supplier ${net.address(2)} stops serving tiny-llama after session`);
    const unstaked = await net.as(2, ["supplier", "unstake", "--json"]);
    expect(unstaked.code, unstaked.text).toBe(0);
    const withdrawable = BigInt(unstaked.json().withdrawableFromSession);
    const early = await net.as(2, ["supplier", "withdraw"]);
    expect(early.code).toBe(1);
    expect(early.stderr.join("\n")).toMatch(`still unbonding: withdrawable from session ${withdrawable}`);
    const again = await net.as(2, ["supplier", "stake", "10"]);
    expect(again.stderr.join("\n")).toMatch(
      /is unbonding .*Withdraw with `decai supplier withdraw` once that session starts/,
    );

    await net.untilSession(withdrawable);
    const done = await net.as(2, ["supplier", "withdraw", "--json"]);
    expect(done.code, done.text).toBe(0);
    expect(done.json().withdrawn).toBe(parseEther("200").toString());
    expect(await stakeTokenBalance(2)).toBe(parseEther("1000"));
  });
});
