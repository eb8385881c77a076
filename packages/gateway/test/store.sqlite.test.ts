import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, SqliteStore } from "../src/index.js";
import { storeContract } from "./helpers/storeContract.js";

describe("SqliteStore", () => {
  let store: SqliteStore;
  beforeAll(() => {
    store = SqliteStore.open(":memory:");
  });
  afterAll(() => store.close());
  storeContract(() => store);
});

describe("SqliteStore on disk", () => {
  it("keeps keys and spend across reopening, and shares admission with a second connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "decai-gateway-sqlite-"));
    try {
      const path = join(dir, "nested", "gateway.sqlite");
      const a = SqliteStore.open(path);
      const { record } = await createKey(a, { limits: { costBudget: "100" } });
      const b = SqliteStore.open(path);
      await a.reserve(record.id, { cost: 60n, tokens: 1 }, 1);
      await expect(b.reserve(record.id, { cost: 60n, tokens: 1 }, 2)).rejects.toMatchObject({
        code: "budget_exceeded",
      });
      await a.close();
      await b.close();
      const c = SqliteStore.open(path);
      expect((await c.spend(record.id, 3)).costReserved).toBe(60n);
      await c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
