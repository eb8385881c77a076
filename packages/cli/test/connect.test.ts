import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAnvil } from "@decai/chain";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decai, testRuntime } from "./helpers.js";
import { type CliNetwork, startCliNetwork } from "./network.js";

describe("how verbs find the chain", () => {
  let net: CliNetwork;
  beforeAll(async () => {
    net = await startCliNetwork();
  });
  afterAll(async () => {
    await net?.anvil.stop();
  });

  it("read the RPC URL from the deployment file, so no flag is needed", async () => {
    const r = await decai(testRuntime({ cwd: net.cwd }), ["status", "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({
      chainId: 31337,
      rpcUrl: net.anvil.rpcUrl,
      services: [],
      suppliers: [],
      claims: [],
    });
  });

  it("take the deployment and key from a config file", async () => {
    const runtime = testRuntime();
    mkdirSync(join(runtime.cwd, "ops"));
    writeFileSync(
      join(runtime.cwd, "ops", "deployment.json"),
      readFileSync(join(net.cwd, ".decai/deployment.json")),
    );
    writeFileSync(
      join(runtime.cwd, "ops", "decai.json"),
      JSON.stringify({ deployment: "deployment.json", key: "ops" }),
    );
    const env = {
      DECAI_CONFIG: "ops/decai.json",
      DECAI_KEYSTORE_PASSPHRASE: "twelve chars",
      DECAI_PRIVATE_KEY: net.key(4),
    };
    expect((await decai(testRuntime({ cwd: runtime.cwd, env }), ["keys", "import", "ops"])).code).toBe(0);
    const { DECAI_PRIVATE_KEY: _, ...withoutKey } = env;
    const r = await decai(testRuntime({ cwd: runtime.cwd, env: withoutKey }), [
      "supplier",
      "status",
      "--json",
    ]);
    expect(r.code, r.text).toBe(0);
    expect(r.json().address).toBe(privateKeyToAddress(net.key(4)));
  });

  it("explain a missing deployment, another chain, and a chain without the contracts", async () => {
    const none = await decai(testRuntime(), ["status"]);
    expect(none.code).toBe(1);
    expect(none.stderr[0]).toMatch(
      /no deployment file at .*\.decai\/deployment\.json\. Deploy with `decai chain deploy` \(or start `decai devnet`\)/,
    );

    const other = await startAnvil({ chainId: 4242 });
    try {
      const wrong = await decai(testRuntime({ cwd: net.cwd }), ["status", "--rpc-url", other.rpcUrl]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr[0]).toMatch(
        /is a deployment on chain 31337, but .* is chain 4242\. Pass the --rpc-url of that chain/,
      );
    } finally {
      await other.stop();
    }

    const fresh = await startAnvil();
    try {
      const reset = await decai(testRuntime({ cwd: net.cwd }), [
        "app",
        "status",
        net.address(1),
        "--rpc-url",
        fresh.rpcUrl,
      ]);
      expect(reset.code).toBe(1);
      expect(reset.stderr[0]).toMatch(
        /no Decai contracts at the addresses in .* on chain 31337 \(the chain was reset\?\)\. Deploy again/,
      );
    } finally {
      await fresh.stop();
    }
  });
});
