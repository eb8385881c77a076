import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import { toServiceId } from "@decai/core";
import OpenAI from "openai";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { AdminClient, ConfigError, describeConfig, loadConfig, runGateway } from "../src/index.js";
import { silentLogger } from "../src/log.js";

// A gateway process configured to sell the Decai network: `"network": { rpcUrl, deployment, application }` plus the
// gateway key from the environment; its catalog and prices come from the chain.
describe("gateway configured for the Decai network", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  const dir = mkdtempSync(join(tmpdir(), "decai-gw-netcfg-"));
  afterAll(async () => {
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the network section, keeps the key out of logs, and lists the chain's services", async () => {
    net = await startNetwork({ suppliersPerSession: 2 });
    const key = (i: number) => net.keys[i] as Hex;
    const service = toServiceId("tiny-llama");
    await net.actions.registerService(key(1), service);
    await net.actions.stakeSupplier(key(2), [{ id: service, endpoint: "http://127.0.0.1:1" }]);
    await net.actions.stakeGateway(key(5));
    await net.actions.stakeApplication(key(6), [service]);
    await net.actions.delegate(key(6), privateKeyToAddress(key(5)));
    await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    saveDeployment(join(dir, "deployment.json"), net.deployment);
    const file = join(dir, "gateway.json");
    writeFileSync(
      file,
      JSON.stringify({
        port: 0,
        database: join(dir, "gw.sqlite"),
        network: {
          rpcUrl: net.anvil.rpcUrl,
          deployment: "deployment.json",
          application: privateKeyToAddress(key(6)),
        },
      }),
    );

    expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrow(ConfigError);
    const config = loadConfig({
      argv: ["--config", file],
      env: { DECAI_GATEWAY_KEY: key(5), DECAI_GATEWAY_ADMIN_TOKEN: "admin" },
    });
    expect(config.upstream).toMatchObject({ kind: "network", deployment: join(dir, "deployment.json") });
    expect(JSON.stringify(describeConfig(config))).not.toContain(key(5).slice(2));

    const running = await runGateway(config, { logger: silentLogger });
    try {
      const { key: apiKey } = await new AdminClient({ url: running.gateway.url, token: "admin" }).createKey({
        name: "t",
      });
      const models = await new OpenAI({
        baseURL: `${running.gateway.url}/v1`,
        apiKey,
        maxRetries: 0,
      }).models.list();
      const tiny = models.data.find((m) => m.id === "tiny-llama") as unknown as Record<
        string,
        Record<string, unknown>
      >;
      expect(tiny.decai).toMatchObject({
        service_id: service,
        source: privateKeyToAddress(key(1)),
        suppliers: 1,
      });
      expect(tiny.pricing?.prompt).toBe(String(net.deployment.params.paymentPerComputeUnit));
      // The only supplier's endpoint is dead: the gateway's /metrics shows the attempt and the failure, and the
      // client gets an OpenAI-style 503 rather than a hang.
      const chat = new OpenAI({
        baseURL: `${running.gateway.url}/v1`,
        apiKey,
        maxRetries: 0,
      }).chat.completions.create({
        model: "tiny-llama",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 4,
      });
      await expect(chat).rejects.toMatchObject({ status: 503 });
      const metrics = await (await fetch(`${running.gateway.url}/metrics`)).text();
      const supplier = privateKeyToAddress(key(2));
      expect(metrics).toMatch(
        new RegExp(`^decai_gateway_relay_attempts_total\\{kind="first",supplier="${supplier}"\\} 1$`, "m"),
      );
      expect(metrics).toMatch(
        new RegExp(
          `^decai_gateway_relay_failures_total\\{reason="[a-z_]+",supplier="${supplier}"\\} 1$`,
          "m",
        ),
      );
    } finally {
      await running.stop();
    }
  }, 120_000);
});
