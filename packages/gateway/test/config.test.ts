import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AdminClient,
  ConfigError,
  describeConfig,
  loadConfig,
  runGateway,
  silentLogger,
} from "../src/index.js";
import { type FakeOpenAi, startFakeOpenAi } from "./helpers/fakeOpenAi.js";

describe("loadConfig", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "decai-gateway-config-"));
    writeFileSync(join(dir, "admin-token"), "file-token\n");
    writeFileSync(
      join(dir, "gateway.json"),
      JSON.stringify({
        port: 9000,
        database: "data/gw.sqlite",
        upstream: { baseUrl: "http://127.0.0.1:8081/v1", models: [{ id: "tiny-llama" }] },
        prices: { "tiny-llama": { perInputToken: "1", perOutputToken: 3 } },
        marginBps: 1500,
        aliases: { fast: ["tiny-llama"] },
        adminTokenFile: "admin-token",
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("layers defaults < file < environment < flags, reading secrets from env or files", () => {
    const config = loadConfig({
      argv: ["--config", "gateway.json", "--port", "9001", "--alias", "cheap=a,b"],
      env: { DECAI_GATEWAY_KEY_SECRET: "hmac-secret", DECAI_GATEWAY_HOST: "0.0.0.0" },
      cwd: dir,
    });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9001,
      database: { kind: "sqlite", path: join(dir, "data/gw.sqlite") },
      upstream: { baseUrl: "http://127.0.0.1:8081/v1", models: [{ id: "tiny-llama" }] },
      prices: { "tiny-llama": { perRequest: 0n, perInputToken: 1n, perOutputToken: 3n } },
      marginBps: 1500,
      aliases: { fast: ["tiny-llama"], cheap: ["a", "b"] },
      adminToken: "file-token",
      keySecret: "hmac-secret",
      defaultMaxTokens: 1024,
    });
    const env = loadConfig({
      argv: ["--config", "gateway.json"],
      env: { DECAI_GATEWAY_ADMIN_TOKEN: "env" },
      cwd: dir,
    });
    expect(env.adminToken).toBe("env");
  });

  it("recognises PostgreSQL URLs and never describes secrets", () => {
    const config = loadConfig({
      argv: ["--upstream-url", "http://x/v1", "--database", "postgres://gw:hunter2@db:5432/gateway"],
      env: { DECAI_GATEWAY_ADMIN_TOKEN: "t0ps3cret", DECAI_GATEWAY_UPSTREAM_KEY: "sk-upstream" },
    });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://gw:hunter2@db:5432/gateway" });
    const described = JSON.stringify(describeConfig(config));
    for (const secret of ["hunter2", "t0ps3cret", "sk-upstream"]) expect(described).not.toContain(secret);
    expect(described).toContain("postgres://gw:***@db:5432/gateway");
  });

  it("explains what to fix", () => {
    const fails = (argv: string[]) => {
      try {
        loadConfig({ argv, env: {} });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).hint;
      }
      throw new Error("accepted");
    };
    expect(fails([])).toContain("--upstream-url");
    expect(fails(["--upstream-url", "http://x/v1", "--port", "70000"])).toContain("port");
    expect(fails(["--upstream-url", "http://x/v1", "--alias", "nope"])).toContain("--alias");
    expect(fails(["--bogus"])).toContain("--help");
  });
});

describe("runGateway", () => {
  let fake: FakeOpenAi;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    dir = mkdtempSync(join(tmpdir(), "decai-gateway-run-"));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves from its configuration, and keys survive a restart on the SQLite file", async () => {
    const config = loadConfig({
      argv: ["--upstream-url", fake.url, "--port", "0", "--database", join(dir, "gw.sqlite")],
      env: { DECAI_GATEWAY_ADMIN_TOKEN: "admin" },
    });
    const first = await runGateway(config, { logger: silentLogger });
    const created = await new AdminClient({ url: first.gateway.url, token: "admin" }).createKey({
      name: "x",
    });
    await first.stop();

    const second = await runGateway(config, { logger: silentLogger });
    try {
      const client = new OpenAI({ baseURL: `${second.gateway.url}/v1`, apiKey: created.key, maxRetries: 0 });
      // Models discovered from the upstream's GET /v1/models.
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(["tiny-llama"]);
      const completion = await client.chat.completions.create({
        model: "tiny-llama",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(completion.choices[0]?.message.content).toBe("t0 t1 t2 t3 t4 ");
    } finally {
      await second.stop();
    }
  });
});
