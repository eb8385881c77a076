import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { captureOutput, decai, testRuntime } from "./helpers.js";

describe("decai gateway", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  const dir = mkdtempSync(join(tmpdir(), "decai-cli-gateway-"));
  afterAll(async () => {
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts a gateway for a delegating application, and manages its API keys and usage", async () => {
    net = await startNetwork();
    const key = (i: number) => net.keys[i] as Hex;
    const service = toServiceId("tiny-llama");
    await net.actions.registerService(key(1), service);
    await net.actions.stakeGateway(key(5));
    await net.actions.stakeApplication(key(6), [service]);
    await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
    await net.actions.nextSession();
    const deployment = join(dir, "deployment.json");
    saveDeployment(deployment, net.deployment);
    const env = {
      DECAI_PRIVATE_KEY: key(5),
      DECAI_GATEWAY_ADMIN_TOKEN: "admin-token",
      DECAI_RPC_URL: net.anvil.rpcUrl,
    };

    const missing = await decai(testRuntime({ cwd: dir, env }), [
      "gateway",
      "start",
      "--deployment",
      deployment,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/pass --application <address>/);

    let stop: (signal: string) => void = () => {};
    const runtime = testRuntime({ cwd: dir, env, stop: new Promise((r) => (stop = r)) });
    const output = captureOutput();
    const app = privateKeyToAddress(key(6));
    const started = main(
      ["gateway", "start", "--deployment", deployment, "--application", app, "--port", "0", "--json"],
      output,
      runtime,
    );
    let ready: { url: string; gateway: string; application: string } | undefined;
    for (let i = 0; i < 200 && !ready; i++) {
      const line = output.stdout.find((l) => l.startsWith("{"));
      if (line) ready = JSON.parse(line);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready?.gateway).toBe(privateKeyToAddress(key(5)));
    expect(ready?.application).toBe(app);

    const admin = testRuntime({ cwd: dir, env: { DECAI_GATEWAY_ADMIN_TOKEN: "admin-token" } });
    const url = ready?.url as string;
    const created = await decai(admin, [
      "gateway",
      "keys",
      "create",
      "--name",
      "acme",
      "--rpm",
      "60",
      "--url",
      url,
      "--json",
    ]);
    expect(created.code).toBe(0);
    const { key: apiKey, id } = created.json();
    expect(apiKey).toMatch(/^dk_/);
    const listed = await decai(admin, ["gateway", "keys", "list", "--url", url, "--json"]);
    expect(JSON.stringify(listed.json())).toContain("acme");
    expect(listed.text).not.toContain(apiKey); // stored hashed: never shown again
    // The key works against the OpenAI-compatible API (the catalog comes from the chain).
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(models.status).toBe(200);
    expect((await decai(admin, ["gateway", "keys", "revoke", id, "--url", url])).code).toBe(0);
    const refused = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(refused.status).toBe(401);
    const usage = await decai(admin, ["gateway", "usage", "--url", url, "--json"]);
    expect(usage.code).toBe(0);
    const noToken = await decai(testRuntime({ cwd: dir }), ["gateway", "keys", "list", "--url", url]);
    expect(noToken.code).toBe(2);
    expect(noToken.text).toMatch(/DECAI_GATEWAY_ADMIN_TOKEN/);

    stop("SIGINT");
    expect(await started).toBe(0);
  }, 120_000);
});
