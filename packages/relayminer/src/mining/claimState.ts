import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Address, Hex } from "viem";
import type { ClaimOutcome, SessionHeader } from "./claimSteps.js";

/** Where one session tree is in its life: mined → claimed → proven (or no proof asked) → settled. */
export type ClaimStage = "mining" | "claimed" | "proved" | "settled" | "missed";

/** What the lifecycle persists per tree, next to it, so a restarted RelayMiner resumes where it stopped. */
export type ClaimRecord = SessionHeader & { stage: ClaimStage; outcome?: ClaimOutcome };

const json = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v), 2);
const parse = (text: string) =>
  JSON.parse(text, (_, v) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));

/** The tree file of a header, as `SessionTrees` lays it out: `<dir>/<session>/<application>-<serviceId>.smst`. */
export function treePath(dir: string, header: SessionHeader): string {
  return join(dir, `${header.session}/${header.application}-${header.serviceId}.smst`.toLowerCase());
}

/**
 * Reads and writes claim records (`<tree>.claim.json`), atomically, so a crash never leaves a half-written one.
 *
 * @example
 * const store = new ClaimStateStore(".decai/trees");
 * store.save({ ...header, stage: "claimed", outcome });
 */
export class ClaimStateStore {
  constructor(readonly dir: string) {}

  /** The record of a header, or a fresh "mining" one. */
  load(header: SessionHeader): ClaimRecord {
    const path = `${treePath(this.dir, header)}.claim.json`;
    if (!existsSync(path)) return { ...header, stage: "mining" };
    return parse(readFileSync(path, "utf8"));
  }

  save(record: ClaimRecord): void {
    const path = `${treePath(this.dir, record)}.claim.json`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, json(record));
    renameSync(`${path}.tmp`, path);
  }

  /** Deletes a finished tree and its record. */
  prune(header: SessionHeader): void {
    const path = treePath(this.dir, header);
    rmSync(path, { force: true });
    rmSync(`${path}.claim.json`, { force: true });
  }

  /** Every tree on disk (including ones mined before a restart), as headers. */
  scan(): SessionHeader[] {
    if (!existsSync(this.dir)) return [];
    const headers: SessionHeader[] = [];
    for (const session of readdirSync(this.dir)) {
      if (!/^\d+$/.test(session)) continue;
      for (const file of readdirSync(join(this.dir, session))) {
        const match = /^(0x[0-9a-f]{40})-(0x[0-9a-f]{64})\.smst$/.exec(file);
        if (match)
          headers.push({
            application: match[1] as Address,
            serviceId: match[2] as Hex,
            session: BigInt(session),
          });
      }
    }
    return headers;
  }
}
