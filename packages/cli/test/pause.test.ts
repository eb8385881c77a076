// `decai source register --batch-of` (a cheaper batch tier of one's own service) and `decai supplier pause|resume`
// (drain the RelayMiner with a command signed by the supplier key, and leave / rejoin the session draw).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serviceRegistryAbi, stakingAbi } from "@decai/chain";
import { toServiceId } from "@decai/core";
import { adminSignatureHeader } from "@decai/relayminer";
import { type Hex, verifyMessage } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliNetwork, startCliNetwork } from "./network.js";

const DIGEST = `0x${"ab".repeat(32)}`;

describe("batch tiers and pausing suppliers", () => {
  let net: CliNetwork;
  let miner: Server;
  let minerUrl: string;
  const received: { path: string; body: string; signer: boolean }[] = [];

  beforeAll(async () => {
    net = await startCliNetwork();
    // A stand-in RelayMiner admin API: records each command and checks it is signed by supplier 2.
    miner = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      const signer = await verifyMessage({
        address: net.address(2),
        message: body,
        signature: req.headers[adminSignatureHeader] as Hex,
      });
      received.push({ path: req.url ?? "", body, signer });
      res.writeHead(signer ? 200 : 401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ paused: req.url === "/admin/pause", reasons: [], inFlight: 0, drained: true }),
      );
    });
    await new Promise<void>((r) => miner.listen(0, "127.0.0.1", r));
    minerUrl = `http://127.0.0.1:${(miner.address() as AddressInfo).port}`;
    const r = await net.as(1, [
      "source",
      "register",
      "tiny-llama",
      "--weights-digest",
      DIGEST,
      "--cu-per-output-token",
      "4",
    ]);
    if (r.code !== 0) throw new Error(r.text);
  }, 120_000);
  afterAll(async () => {
    miner?.close();
    await net?.anvil.stop();
  });

  const registry = (functionName: string, args: readonly unknown[]) =>
    net.client.readContract({
      address: net.deployment.contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName,
      args,
    } as never) as Promise<unknown>;

  it("registers a batch tier at half the price by default, named <service>.batch", async () => {
    const r = await net.as(1, ["source", "register", "--batch-of", "tiny-llama"]);
    expect(r.code, r.text).toBe(0);
    expect(r.stdout[0]).toBe(
      'Registered the batch tier "tiny-llama.batch" of "tiny-llama" (gateways list it as tiny-llama:batch)',
    );
    expect(await registry("batchOf", [toServiceId("tiny-llama.batch")])).toBe(toServiceId("tiny-llama"));
    const tier = (await registry("getService", [toServiceId("tiny-llama.batch")])) as Record<string, unknown>;
    // 1 CU in and 4 out halve to 0 and 2; the weights digest is the interactive service's.
    expect(tier).toMatchObject({ cuPerInputToken: 0n, cuPerOutputToken: 2n, weightsDigest: DIGEST });
  });

  it("refuses a second tier, someone else's service, and a tier that is not cheaper", async () => {
    const again = await net.as(1, ["source", "register", "tiny-too", "--batch-of", "tiny-llama"]);
    expect(again.code).toBe(1);
    expect(again.stderr.join("\n")).toMatch(/already has the batch tier "tiny-llama.batch"/);
    const stranger = await net.as(3, ["source", "register", "--batch-of", "tiny-llama"]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr.join("\n")).toMatch(/only its source can add a batch tier/);
    expect((await net.as(1, ["source", "register", "big", "--weights-digest", DIGEST])).code).toBe(0);
    const dear = await net.as(1, [
      "source",
      "register",
      "--batch-of",
      "big",
      "--cu-per-input-token",
      "1",
      "--cu-per-output-token",
      "1",
    ]);
    expect(dear.code).toBe(1);
    expect(dear.stderr.join("\n")).toMatch(/would not be cheaper/);
  });

  it("pauses: drains the RelayMiner with a signed command, then leaves the draw from the next session", async () => {
    expect((await net.as(2, ["faucet", "1000", "--token", "stake"])).code).toBe(0);
    const staked = await net.as(2, ["supplier", "stake", "200", "--service", `tiny-llama=${minerUrl}/`]);
    expect(staked.code, staked.text).toBe(0);
    const session = await net.currentSession();
    const r = await net.as(2, ["supplier", "pause", "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({
      pausedFromSession: String(session + 1n),
      relayminers: [{ url: minerUrl, ok: true, state: { drained: true } }],
    });
    expect(received.map((c) => [c.path, c.signer])).toEqual([["/admin/pause", true]]);
    expect(JSON.parse(received[0]?.body ?? "{}")).toMatchObject({ action: "pause" });

    const status = await net.as(2, ["supplier", "status"]);
    expect(status.stdout.join("\n")).toMatch(
      new RegExp(`paused\\s+out of the draw from session ${session + 1n}`),
    );
    const twice = await net.as(2, ["supplier", "pause", "--no-relayminer"]);
    expect(twice.code).toBe(0);
    expect(twice.stderr.join("\n")).toMatch(/already paused on-chain/);
    expect(received).toHaveLength(1); // --no-relayminer: the miner was left alone
  });

  it("resumes: back in the draw from the next session, the RelayMiner takes relays again", async () => {
    await net.untilSession();
    const r = await net.as(2, ["supplier", "resume", "--relayminer", minerUrl]);
    expect(r.code, r.text).toBe(0);
    expect(r.stdout[0]).toMatch(/is back: drawn into sessions again from session/);
    expect(received.at(-1)?.path).toBe("/admin/resume");
    const pausedFrom = await net.client.readContract({
      address: net.deployment.contracts.staking,
      abi: stakingAbi,
      functionName: "supplierPausedFrom",
      args: [net.address(2)],
    });
    expect(pausedFrom).toBe(0n);
    const again = await net.as(2, ["supplier", "resume", "--no-relayminer"]);
    expect(again.stderr.join("\n")).toMatch(/is not paused on-chain/);
  });
});
