import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import {
  computeRequestDigest,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  type Relay,
  type RelayRequest,
  relayRequestHeaderName,
  relayResponseHeaderName,
  signRelayRequest,
  toServiceId,
} from "@decai/core";
import { type Hex, maxUint256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { SessionTree } from "../src/mining/sessionTree.js";
import { type MockBackend, startMockBackend } from "./helpers/backend.js";
import { mineUntilClaimFinal } from "./helpers/settlement.js";

const MAIN = join(import.meta.dirname, "..", "src", "main.ts");
// tsx as a loader of the RelayMiner's own process: its CLI would run it in a child that a SIGKILL orphans.
const TSX = pathToFileURL(
  join(import.meta.dirname, "..", "..", "..", "node_modules", "tsx", "dist", "loader.mjs"),
).href;

/** Starts the real RelayMiner process and resolves with its URL once it listens. */
function startProcess(config: string, key: Hex): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", TSX, MAIN, "--config", config], {
    env: { ...process.env, DECAI_SUPPLIER_KEY: key },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /"msg":"relayminer listening".*?"url":"([^"]+)"/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`relayminer exited with ${code}: ${out.slice(-500)}`)));
  });
}

// A supplier's acknowledged relays are money: a RelayMiner killed with SIGKILL mid-session must, once restarted,
// claim every relay it acknowledged before the kill.
describe("RelayMiner restart", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  let backend: MockBackend;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "decai-restart-"));

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await backend?.stop();
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("claims every relay acknowledged before a SIGKILL, after restarting from disk", async () => {
    net = await startNetwork({
      blocksPerSession: 30,
      suppliersPerSession: 1,
      claimWindowOpenOffsetBlocks: 1,
      // Wide windows and a proof always required: the path is deterministic, and a loaded machine still fits
      // the restarted process's claim and proof in their windows while the test mines a block every 100 ms.
      claimWindowBlocks: 30,
      proofWindowBlocks: 30,
      proofRequirementThreshold: 1n,
    });
    const key = (i: number) => net.keys[i] as Hex;
    const service = toServiceId("tiny-llama");
    await net.actions.registerService(key(1), service);
    await net.actions.stakeSupplier(key(2), [{ id: service, endpoint: "http://miner" }]);
    await net.actions.stakeApplication(key(3), [service]);
    const session = await net.actions.nextSession();
    backend = await startMockBackend();
    saveDeployment(join(dir, "deployment.json"), net.deployment);
    const config = join(dir, "relayminer.json");
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        rpcUrl: net.anvil.rpcUrl,
        deployment: "deployment.json",
        dataDir: "data",
        pollIntervalMs: 50,
        services: [{ name: "tiny-llama", backend: backend.url }],
      }),
    );

    const domain = { chainId: net.anvil.chainId, verifyingContract: net.deployment.contracts.relayMining };
    let nonce = 0n;
    const serve = async (url: string): Promise<Relay> => {
      const body = JSON.stringify({ messages: [{ role: "user", content: `hi ${nonce}` }], max_tokens: 8 });
      const request: RelayRequest = {
        application: privateKeyToAddress(key(3)),
        serviceId: service,
        session,
        supplier: privateKeyToAddress(key(2)),
        requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
        maxTokens: 8,
        nonce: nonce++,
      };
      const requestSignature = signRelayRequest({ request, domain, privateKey: key(3) });
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature: requestSignature }),
        },
        body,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const { response, signature } = decodeRelayResponseHeader(
        res.headers.get(relayResponseHeaderName) as string,
      );
      return { request, requestSignature, response, responseSignature: signature };
    };

    // First life: the process records the session seed by itself, serves 25 relays, then is killed.
    const first = await startProcess(config, key(2));
    children.push(first.child);
    const acknowledged: Relay[] = [];
    for (let i = 0; i < 25; i++) {
      for (let tries = 0; ; tries++) {
        try {
          acknowledged.push(await serve(first.url));
          break;
        } catch (error) {
          // Until the process has recorded the session's seed, relays are refused (503); give it a moment.
          if (tries > 100) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    // Second life: same data directory. It must claim exactly the acknowledged relays.
    const second = await startProcess(config, key(2));
    children.push(second.child);
    const expected = await SessionTree.open({
      domain,
      service: { cuMode: 1, cuPerRelay: 0n, cuPerInputToken: 1n, cuPerOutputToken: 2n },
      target: maxUint256,
    });
    for (const relay of acknowledged) await expected.add(relay);

    const claim = await mineUntilClaimFinal(net, {
      supplier: privateKeyToAddress(key(2)),
      application: privateKeyToAddress(key(3)),
      serviceId: service,
      session,
    });
    const root = expected.claimRoot();
    expect(claim.rootCount).toBe(25n);
    expect(claim.rootHash).toBe(root.rootHash);
    expect(claim.rootSum).toBe(root.rootSum);
    expect(claim.status).toBe(3); // and the restarted process went on to settle it
  }, 240_000);
});
