// The `batch` section of a gateway config file, and a gateway with the Batch API turned off.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, createKey, loadConfig, SqliteStore } from "../../src/index.js";
import { scriptedUpstream, startBatchGateway, tierModels } from "./helpers.js";

describe("batch settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-batch-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (batch: unknown) => {
    writeFileSync(
      join(dir, "gw.json"),
      JSON.stringify({
        upstream: { baseUrl: "http://127.0.0.1:8081/v1" },
        ...(batch === undefined ? {} : { batch }),
      }),
    );
    return loadConfig({ argv: ["--config", join(dir, "gw.json")], env: {}, cwd: dir });
  };

  it("reads the knobs, false, or nothing", () => {
    expect(load({ perSupplier: 4, idlePerSupplier: 0 }).batch).toEqual({
      perSupplier: 4,
      idlePerSupplier: 0,
    });
    expect(load(false).batch).toBe(false);
    expect(load(undefined).batch).toEqual({});
    expect(() => load({ perSuplier: 4 })).toThrow(ConfigError);
    expect(() => load({ perSupplier: -1 })).toThrow(/batch.perSupplier must be an integer/);
  });

  it("answers 501 for the Files and Batch API when turned off", async () => {
    const store = SqliteStore.open(":memory:");
    const gateway = await startBatchGateway({
      store,
      upstream: scriptedUpstream(tierModels()),
      options: { batch: false },
    });
    try {
      const { key } = await createKey(store, { name: "k" });
      const res = await fetch(`${gateway.url}/v1/batches`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(501);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_implemented");
    } finally {
      await gateway.stop();
      await store.close();
    }
  });
});
