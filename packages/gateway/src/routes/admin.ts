// The admin API: keys (create, list, show, update, revoke) and the usage log, behind the admin token.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { parseJsonObject, readBody, sendJson } from "../http/body.js";
import { validate } from "../http/schema.js";
import { bearerToken, safeEqual } from "../keys/apiKey.js";
import { createKey, spendToJson } from "../keys/manage.js";
import { type ApiKeyRecord, keyToJson, parseKeyLimits } from "../keys/types.js";
import type { GatewayStore } from "../store/types.js";
import { maxUsagePage, type UsageRecord } from "../usage.js";

/** What the admin routes need. */
export type AdminContext = {
  store: GatewayStore;
  /** `undefined` disables the admin API (404). */
  adminToken: string | undefined;
  keySecret: string | undefined;
  now: () => number;
};

/**
 * A usage record as JSON (cost as a decimal string, times as ISO dates).
 *
 * @example
 * sendJson(res, 200, { data: rows.map(usageToJson) });
 */
export function usageToJson(u: UsageRecord): Record<string, unknown> {
  return { ...u, cost: u.cost.toString(), createdAt: new Date(u.createdAt).toISOString() };
}

function time(value: string | null, param: string): number | undefined {
  if (value === null) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new GatewayError("invalid_value", `${param} must be an ISO date or Unix milliseconds.`, { param });
  }
  return ms;
}

/**
 * Serves `/admin/*`. Throws `GatewayError`s for the server to send.
 *
 * @example
 * await handleAdmin(req, res, path, context); // POST /admin/keys, GET /admin/keys, DELETE /admin/keys/{id}, …
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: AdminContext,
): Promise<void> {
  if (ctx.adminToken === undefined) {
    throw new GatewayError("admin_disabled", "The admin API is off: start the gateway with an admin token.");
  }
  const token = bearerToken(req.headers.authorization);
  if (!token || !safeEqual(token, ctx.adminToken)) {
    throw new GatewayError(
      "invalid_admin_token",
      "The admin API needs `Authorization: Bearer <admin token>` (DECAI_GATEWAY_ADMIN_TOKEN).",
    );
  }
  const path = url.pathname;
  const method = req.method ?? "GET";
  const readJson = async () => parseJsonObject(await readBody(req, 64 * 1024));
  const withSpend = async (record: ApiKeyRecord) => ({
    ...keyToJson(record),
    spend: spendToJson(await ctx.store.spend(record.id, ctx.now())),
  });

  if (path === "/admin/keys" && method === "POST") {
    const body = await readJson();
    validate(body, { name: { type: "string" }, limits: { type: "object" } });
    const created = await createKey(ctx.store, body, {
      ...(ctx.keySecret ? { secret: ctx.keySecret } : {}),
      now: ctx.now(),
    });
    sendJson(res, 201, { key: created.key, ...keyToJson(created.record) });
    return;
  }
  if (path === "/admin/keys" && method === "GET") {
    const keys = await ctx.store.listKeys();
    sendJson(res, 200, { object: "list", data: await Promise.all(keys.map(withSpend)) });
    return;
  }
  const match = /^\/admin\/keys\/([^/]+)$/.exec(path);
  if (match) {
    const id = decodeURIComponent(match[1] as string);
    const notFound = () =>
      new GatewayError("key_not_found", `There is no API key ${id}: GET /admin/keys lists them.`, {
        param: "id",
      });
    if (method === "GET") {
      const record = await ctx.store.key(id);
      if (!record) throw notFound();
      sendJson(res, 200, await withSpend(record));
      return;
    }
    if (method === "PATCH") {
      const body = await readJson();
      validate(body, { name: { type: "string" }, limits: { type: "object" } });
      const current = await ctx.store.key(id);
      if (!current) throw notFound();
      const updated = await ctx.store.updateKey(id, {
        ...(typeof body.name === "string" ? { name: body.name } : {}),
        limits: parseKeyLimits(body.limits, current.limits),
      });
      if (!updated) throw notFound();
      sendJson(res, 200, await withSpend(updated));
      return;
    }
    if (method === "DELETE") {
      const revoked = await ctx.store.revokeKey(id, ctx.now());
      if (!revoked) throw notFound();
      sendJson(res, 200, keyToJson(revoked));
      return;
    }
  }
  if (path === "/admin/usage" && method === "GET") {
    const q = url.searchParams;
    const limit = q.get("limit");
    if (limit !== null && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= maxUsagePage)) {
      throw new GatewayError("invalid_value", `limit must be an integer from 1 to ${maxUsagePage}.`, {
        param: "limit",
      });
    }
    const since = time(q.get("since"), "since");
    const until = time(q.get("until"), "until");
    const rows = await ctx.store.usage({
      ...(q.get("key") ? { keyId: q.get("key") as string } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(limit !== null ? { limit: Number(limit) } : {}),
    });
    sendJson(res, 200, { object: "list", data: rows.map(usageToJson) });
    return;
  }
  if (/^\/admin\/(keys|usage)(\/|$)/.test(path)) {
    throw new GatewayError("method_not_allowed", `${method} is not allowed on ${path}.`);
  }
  throw new GatewayError(
    "unknown_url",
    `Unknown admin path ${path}: use /admin/keys, /admin/keys/{id} and /admin/usage.`,
  );
}
