// What the Files and Batch routes share: the context they run in, and small helpers for ids, listings and owners.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { GatewayError } from "../errors.js";
import type { Aliases, Catalog } from "../routing.js";
import type { GatewayStore } from "../store/types.js";
import type { BatchStore } from "./store.js";

/** What the Files and Batch routes need from the gateway. */
export type BatchApiContext = {
  store: BatchStore;
  /** The gateway's store: API keys. */
  keys: GatewayStore;
  keySecret: string | undefined;
  catalog: () => Promise<Catalog>;
  aliases: Aliases;
  /** `max_tokens` set on generating lines without one, for keys with budgets (the batch hold needs a bound). */
  defaultMaxTokens: number;
  /** Largest upload, bytes. */
  maxFileBytes: number;
  /** How long a batch may take (the `24h` completion window), ms. */
  completionWindowMs: number;
  now: () => number;
  /** Tells the batch runner there is new work (or a cancellation). */
  wake: () => void;
};

/** A new id with OpenAI's prefix and 24 hex characters (`file-…`, `batch_…`). */
export const newId = (prefix: "file-" | "batch_") => `${prefix}${randomBytes(12).toString("hex")}`;

/**
 * `limit` (1-100, default 20) and `after` of a listing.
 *
 * @example
 * const page = pageOf(url); // { limit: 20, after: "batch_abc" }
 */
export function pageOf(url: URL, max = 100, fallback = 20): { limit: number; after?: string } {
  const raw = url.searchParams.get("limit");
  const limit = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw new GatewayError("invalid_value", `limit must be an integer from 1 to ${max}.`, { param: "limit" });
  }
  const after = url.searchParams.get("after") ?? undefined;
  return { limit, ...(after ? { after } : {}) };
}

/** A listing answer: one more row than asked was fetched to tell `has_more`. */
export function listOf<T extends { id: string }>(
  rows: readonly T[],
  limit: number,
  render: (row: T) => unknown,
) {
  const data = rows.slice(0, limit);
  return {
    object: "list",
    data: data.map(render),
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: rows.length > limit,
  };
}

/** 404 unless `owner` is the key asking: another key's files and batches do not exist for it. */
export function ensureOwner<T extends { keyId: string }>(
  record: T | undefined,
  keyId: string,
  what: "file" | "batch",
  id: string,
): T {
  if (!record || record.keyId !== keyId) {
    throw new GatewayError("not_found", `No ${what} with id '${id}' exists for this API key.`, {
      param: what === "file" ? "file_id" : "batch_id",
    });
  }
  return record;
}

/** The method must be `allowed`. */
export function only(req: IncomingMessage, allowed: string, path: string): void {
  if (req.method !== allowed) throw new GatewayError("method_not_allowed", `Use ${allowed} for ${path}.`);
}
