// Verification persistence on real databases: the same contract on SQLite (the gateway's own file) and PostgreSQL
// (a throwaway cluster), and a restart that keeps exclusions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EvidenceRecord,
  MemoryVerificationStore,
  openVerificationStore,
  PostgresStore,
  PostgresVerificationStore,
  type ReputationRecord,
  SqliteStore,
  SqliteVerificationStore,
  type VerificationStore,
  Verifier,
} from "../../src/index.js";
import { skipPostgres, startPostgres, type TestPostgres } from "../helpers/postgres.js";

const evidence = (id: string, supplier: string, at: number, service = "tiny-llama"): EvidenceRecord => ({
  id,
  supplier,
  service,
  check: "prefill",
  code: "prefill_unlikely",
  reason: "unlikely",
  details: { topKShare: 0.05, nested: { list: [1, 2] } },
  at,
  exchange: {
    id: `x_${id}`,
    endpoint: "chat.completions",
    origin: "user",
    stream: false,
    request: { model: service, messages: [{ role: "user", content: "héllo ✓" }] },
    choices: [{ text: "an answer", finishReason: "stop" }],
    usage: { inputTokens: 9, outputTokens: 2 },
  },
  signed: { requestSignature: "0xabc", request: { session: "12", nonce: "18446744073709551615" } },
});

const reputation = (supplier: string, state: ReputationRecord["state"]): ReputationRecord => ({
  supplier,
  service: "tiny-llama",
  state,
  score: 0.25,
  demerits: { prefill: 3 },
  checks: { prefill: { passed: 1, failed: 3 } },
  since: 10,
  updatedAt: 20,
});

function contract(name: string, open: () => VerificationStore | Promise<VerificationStore>) {
  describe(name, () => {
    it("keeps evidence newest first, filters by supplier (any case) and service, pages with before and limit", async () => {
      const store = await open();
      await store.addEvidence(evidence("e1", "0xaa", 100));
      await store.addEvidence(evidence("e2", "0xbb", 200));
      await store.addEvidence(evidence("e3", "0xaa", 300, "other"));
      await store.addEvidence(evidence("e4", "0xAA", 400));
      expect((await store.evidence()).map((e) => e.id)).toEqual(["e4", "e3", "e2", "e1"]);
      expect((await store.evidence({ supplier: "0xAa" })).map((e) => e.id)).toEqual(["e4", "e3", "e1"]);
      expect((await store.evidence({ supplier: "0xaa", service: "tiny-llama" })).map((e) => e.id)).toEqual([
        "e4",
        "e1",
      ]);
      expect((await store.evidence({ before: 300, limit: 1 })).map((e) => e.id)).toEqual(["e2"]);
      const [first] = await store.evidence({ supplier: "0xbb" });
      expect(first).toEqual(evidence("e2", "0xbb", 200)); // the whole record round-trips
      expect(await store.evidenceCounts()).toEqual(
        new Map([
          ["0xaa|tiny-llama", 2],
          ["0xaa|other", 1],
          ["0xbb|tiny-llama", 1],
        ]),
      );
    });

    it("keeps one reputation per supplier and service, the latest", async () => {
      const store = await open();
      await store.saveReputation(reputation("0xaa", "probation"));
      await store.saveReputation(reputation("0xaa", "excluded"));
      await store.saveReputation(reputation("0xbb", "good"));
      const rows = (await store.reputations()).sort((a, b) => a.supplier.localeCompare(b.supplier));
      expect(rows).toEqual([reputation("0xaa", "excluded"), reputation("0xbb", "good")]);
    });
  });
}

contract("MemoryVerificationStore", () => new MemoryVerificationStore());

describe("SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-verify-store-"));
  let n = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  contract(
    "SqliteVerificationStore",
    () => new SqliteVerificationStore(SqliteStore.open(join(dir, `${++n}.sqlite`)).database),
  );

  it("lives in the gateway's own file next to its tables, and a restarted verifier keeps exclusions", async () => {
    const path = join(dir, "gateway.sqlite");
    const gatewayStore = SqliteStore.open(path);
    const store = await openVerificationStore(gatewayStore);
    expect(store).toBeInstanceOf(SqliteVerificationStore);
    const verifier = await Verifier.create({ store });
    for (let i = 0; i < 2; i++) {
      verifier.report({
        check: "usage",
        supplier: "0xBiller",
        service: "tiny-llama",
        passed: false,
        code: "completion_above_count",
        reason: "over-billed",
        details: {},
        cost: 0,
        at: i,
      });
    }
    await verifier.idle();
    expect(verifier.state("0xbiller", "tiny-llama")).toBe("excluded");
    await gatewayStore.close();

    const reopened = SqliteStore.open(path);
    expect(await reopened.listKeys()).toEqual([]); // the gateway's own tables are intact
    const restarted = await Verifier.create({ store: await openVerificationStore(reopened) });
    expect(restarted.state("0xbiller", "tiny-llama")).toBe("excluded");
    expect(restarted.weight("0xBILLER", "tiny-llama")).toBe(0);
    expect(await restarted.suppliers()).toMatchObject([
      { supplier: "0xbiller", state: "excluded", evidence: 2 },
    ]);
    await reopened.close();
  });
});

describe.skipIf(skipPostgres())("PostgreSQL", () => {
  let pg: TestPostgres;
  let gatewayStore: PostgresStore;
  beforeAll(async () => {
    pg = await startPostgres();
    gatewayStore = await PostgresStore.connect({ connectionString: pg.url });
  });
  afterAll(async () => {
    await gatewayStore?.close();
    pg?.stop();
  });

  // Each case starts from empty tables.
  contract("PostgresVerificationStore", async () => {
    const store = await PostgresVerificationStore.open(gatewayStore.pool);
    await gatewayStore.pool.query("TRUNCATE verification_evidence, verification_reputation");
    return store;
  });

  it("is what openVerificationStore gives a PostgresStore, and migrates idempotently in parallel", async () => {
    expect(await openVerificationStore(gatewayStore)).toBeInstanceOf(PostgresVerificationStore);
    await Promise.all([1, 2, 3].map(() => PostgresVerificationStore.open(gatewayStore.pool)));
  });
});
