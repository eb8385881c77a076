// Verification tables in the gateway's SQLite file (same handle as its SqliteStore).
import type Database from "better-sqlite3";
import { type EvidenceQuery, maxEvidencePage, type VerificationStore } from "./store.js";
import type { EvidenceRecord, ReputationRecord } from "./types.js";

const schema = `
CREATE TABLE IF NOT EXISTS verification_evidence (
  id TEXT PRIMARY KEY,
  supplier TEXT NOT NULL,
  service TEXT NOT NULL,
  check_kind TEXT NOT NULL,
  code TEXT NOT NULL,
  at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verification_evidence_supplier_at ON verification_evidence (supplier, at);
CREATE INDEX IF NOT EXISTS verification_evidence_at ON verification_evidence (at);
CREATE TABLE IF NOT EXISTS verification_reputation (
  supplier TEXT NOT NULL,
  service TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (supplier, service)
);
`;

/**
 * Evidence and reputations in SQLite: two tables (`verification_evidence`, `verification_reputation`) created in
 * the database it is given, usually the gateway's own (`SqliteStore.database`). Records are JSON; the columns
 * that queries filter on are copied out.
 *
 * @example
 * const store = SqliteStore.open(".decai/gateway.sqlite");
 * const verificationStore = new SqliteVerificationStore(store.database);
 */
export class SqliteVerificationStore implements VerificationStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(schema);
  }

  async addEvidence(record: EvidenceRecord): Promise<void> {
    this.#db
      .prepare(
        "INSERT INTO verification_evidence (id, supplier, service, check_kind, code, at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        record.id,
        record.supplier.toLowerCase(),
        record.service,
        record.check,
        record.code,
        record.at,
        JSON.stringify(record),
      );
  }

  async evidence(query: EvidenceQuery = {}): Promise<EvidenceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.supplier) {
      where.push("supplier = ?");
      args.push(query.supplier.toLowerCase());
    }
    if (query.service) {
      where.push("service = ?");
      args.push(query.service);
    }
    if (query.before !== undefined) {
      where.push("at < ?");
      args.push(query.before);
    }
    args.push(Math.min(query.limit ?? 100, maxEvidencePage));
    const rows = this.#db
      .prepare(
        `SELECT record FROM verification_evidence ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, rowid DESC LIMIT ?`,
      )
      .all(...args) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as EvidenceRecord);
  }

  async evidenceCounts(): Promise<Map<string, number>> {
    const rows = this.#db
      .prepare(
        "SELECT supplier, service, COUNT(*) AS n FROM verification_evidence GROUP BY supplier, service",
      )
      .all() as { supplier: string; service: string; n: number }[];
    return new Map(rows.map((r) => [`${r.supplier}|${r.service}`, r.n]));
  }

  async saveReputation(record: ReputationRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO verification_reputation (supplier, service, state, updated_at, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (supplier, service) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
         record = excluded.record`,
      )
      .run(
        record.supplier.toLowerCase(),
        record.service,
        record.state,
        record.updatedAt,
        JSON.stringify(record),
      );
  }

  async reputations(): Promise<ReputationRecord[]> {
    const rows = this.#db.prepare("SELECT record FROM verification_reputation").all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as ReputationRecord);
  }
}
