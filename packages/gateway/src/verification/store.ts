// Where evidence and reputations are kept: the gateway's own database (SQLite or PostgreSQL, own tables), or
// memory for tests.
import type { EvidenceRecord, ReputationRecord } from "./types.js";

/** A page of evidence: newest first, optionally for one supplier or service, before a time. */
export type EvidenceQuery = {
  supplier?: string;
  service?: string;
  /** Unix ms: only evidence observed strictly before. */
  before?: number;
  /** Default 100, at most 1000. */
  limit?: number;
};

/** The largest page {@link VerificationStore.evidence} returns. */
export const maxEvidencePage = 1000;

/** Persistence of verification: evidence (append-only) and reputation records (one per supplier and service). */
export interface VerificationStore {
  addEvidence(record: EvidenceRecord): Promise<void>;
  /** Evidence, newest first. */
  evidence(query?: EvidenceQuery): Promise<EvidenceRecord[]>;
  /** Evidence counts per supplier (lowercase) and service, keyed `supplier|service`. */
  evidenceCounts(): Promise<Map<string, number>>;
  saveReputation(record: ReputationRecord): Promise<void>;
  reputations(): Promise<ReputationRecord[]>;
}

/**
 * A store in memory (tests, or a gateway without a database).
 *
 * @example
 * const verifier = await Verifier.create({ store: new MemoryVerificationStore(), references, transport });
 */
export class MemoryVerificationStore implements VerificationStore {
  readonly #evidence: EvidenceRecord[] = [];
  readonly #reputations = new Map<string, ReputationRecord>();

  async addEvidence(record: EvidenceRecord): Promise<void> {
    this.#evidence.push(structuredClone(record));
  }

  async evidence(query: EvidenceQuery = {}): Promise<EvidenceRecord[]> {
    const limit = Math.min(query.limit ?? 100, maxEvidencePage);
    return this.#evidence
      .filter(
        (e) =>
          (!query.supplier || e.supplier.toLowerCase() === query.supplier.toLowerCase()) &&
          (!query.service || e.service === query.service) &&
          (query.before === undefined || e.at < query.before),
      )
      .sort((a, b) => b.at - a.at)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async evidenceCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const e of this.#evidence) {
      const key = `${e.supplier.toLowerCase()}|${e.service}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  async saveReputation(record: ReputationRecord): Promise<void> {
    this.#reputations.set(`${record.supplier.toLowerCase()}|${record.service}`, structuredClone(record));
  }

  async reputations(): Promise<ReputationRecord[]> {
    return [...this.#reputations.values()].map((r) => structuredClone(r));
  }
}
