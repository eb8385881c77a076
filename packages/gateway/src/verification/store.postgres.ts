// Verification tables in the gateway's PostgreSQL database (same pool as its PostgresStore).
import type pg from "pg";
import { migrateSchema } from "../store/migrateSchema.js";
import { type EvidenceQuery, maxEvidencePage, type VerificationStore } from "./store.js";
import type { EvidenceRecord, ReputationRecord } from "./types.js";

const schema = `
CREATE TABLE IF NOT EXISTS verification_evidence (
  seq BIGSERIAL,
  id TEXT PRIMARY KEY,
  supplier TEXT NOT NULL,
  service TEXT NOT NULL,
  check_kind TEXT NOT NULL,
  code TEXT NOT NULL,
  at BIGINT NOT NULL,
  record JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS verification_evidence_supplier_at ON verification_evidence (supplier, at);
CREATE INDEX IF NOT EXISTS verification_evidence_at ON verification_evidence (at);
CREATE TABLE IF NOT EXISTS verification_reputation (
  supplier TEXT NOT NULL,
  service TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  record JSONB NOT NULL,
  PRIMARY KEY (supplier, service)
);
`;

/**
 * Evidence and reputations in PostgreSQL, shared by every gateway instance on the database: two tables created
 * on first use in the database of the pool it is given, usually the gateway's own (`PostgresStore.pool`).
 *
 * @example
 * const store = await PostgresStore.connect({ connectionString: process.env.DATABASE_URL });
 * const verificationStore = await PostgresVerificationStore.open(store.pool);
 */
export class PostgresVerificationStore implements VerificationStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the tables if they are missing. */
  static async open(pool: pg.Pool): Promise<PostgresVerificationStore> {
    await migrateSchema(pool, "verification", schema);
    return new PostgresVerificationStore(pool);
  }

  async addEvidence(record: EvidenceRecord): Promise<void> {
    await this.#pool.query(
      "INSERT INTO verification_evidence (id, supplier, service, check_kind, code, at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [
        record.id,
        record.supplier.toLowerCase(),
        record.service,
        record.check,
        record.code,
        record.at,
        JSON.stringify(record),
      ],
    );
  }

  async evidence(query: EvidenceQuery = {}): Promise<EvidenceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown) => {
      args.push(value);
      return `$${args.length}`;
    };
    if (query.supplier) where.push(`supplier = ${arg(query.supplier.toLowerCase())}`);
    if (query.service) where.push(`service = ${arg(query.service)}`);
    if (query.before !== undefined) where.push(`at < ${arg(query.before)}`);
    const limit = arg(Math.min(query.limit ?? 100, maxEvidencePage));
    const { rows } = await this.#pool.query<{ record: EvidenceRecord }>(
      `SELECT record FROM verification_evidence ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, seq DESC LIMIT ${limit}`,
      args,
    );
    return rows.map((r) => r.record);
  }

  async evidenceCounts(): Promise<Map<string, number>> {
    const { rows } = await this.#pool.query<{ supplier: string; service: string; n: string }>(
      "SELECT supplier, service, COUNT(*) AS n FROM verification_evidence GROUP BY supplier, service",
    );
    return new Map(rows.map((r) => [`${r.supplier}|${r.service}`, Number(r.n)]));
  }

  async saveReputation(record: ReputationRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO verification_reputation (supplier, service, state, updated_at, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (supplier, service) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,
       record = EXCLUDED.record`,
      [record.supplier.toLowerCase(), record.service, record.state, record.updatedAt, JSON.stringify(record)],
    );
  }

  async reputations(): Promise<ReputationRecord[]> {
    const { rows } = await this.#pool.query<{ record: ReputationRecord }>(
      "SELECT record FROM verification_reputation",
    );
    return rows.map((r) => r.record);
  }
}
