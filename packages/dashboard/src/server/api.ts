import type { IncomingMessage, ServerResponse } from "node:http";
import { claimCounts, type NetworkStatus, selectSource, selectSupplier } from "@decai/chain";
import { type Address, isAddress } from "viem";
import { adminError, type GatewayLink } from "./gatewayLink.js";
import { HttpError, readJsonBody, sendJson } from "./json.js";
import type { StatusWatcher } from "./statusWatcher.js";
import { summarizeUsage } from "./usageSummary.js";

/** What the API reads: the chain (through the watcher) and the gateway. */
export type ApiContext = { watcher: StatusWatcher; gateway: GatewayLink };

/**
 * Serves `/api/*`: the network status, a supplier's and a source's page, the gateway's reputation list, and the
 * gateway console (keys and usage, with the admin token the browser sends in `x-admin-token`).
 *
 * @example
 * if (url.pathname.startsWith("/api/")) return handleApi(req, res, url, { watcher, gateway });
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: ApiContext,
): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? "GET";
  if (method === "GET" && path === "/api/network") {
    const status = await currentStatus(ctx);
    sendJson(res, 200, {
      status,
      claimCounts: claimCounts(status.claims),
      gatewayUrl: ctx.gateway.url ?? null,
      ...freshness(ctx),
    });
    return;
  }
  const supplier = /^\/api\/suppliers\/([^/]+)$/.exec(path);
  if (method === "GET" && supplier) {
    const address = addressParam(supplier[1] as string);
    const status = await currentStatus(ctx);
    const reputation = await ctx.gateway.reputation();
    sendJson(res, 200, {
      supplier: selectSupplier(status, address),
      reputation: {
        ...reputation,
        rows: reputation.rows.filter((r) => r.supplier.toLowerCase() === address.toLowerCase()),
      },
      ...pageContext(status),
      ...freshness(ctx),
    });
    return;
  }
  const source = /^\/api\/sources\/([^/]+)$/.exec(path);
  if (method === "GET" && source) {
    const status = await currentStatus(ctx);
    sendJson(res, 200, {
      source: selectSource(status, addressParam(source[1] as string)),
      ...pageContext(status),
      ...freshness(ctx),
    });
    return;
  }
  if (method === "GET" && path === "/api/reputation") {
    sendJson(res, 200, await ctx.gateway.reputation());
    return;
  }
  if (path.startsWith("/api/gateway/")) {
    try {
      await handleConsole(req, res, url, ctx);
    } catch (error) {
      throw adminError(error);
    }
    return;
  }
  throw new HttpError(404, `unknown API path ${method} ${path}`);
}

async function handleConsole(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: ApiContext,
): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? "GET";
  const token = req.headers["x-admin-token"];
  const admin = ctx.gateway.admin(typeof token === "string" ? token : undefined);
  if (path === "/api/gateway/keys" && method === "GET") {
    sendJson(res, 200, { data: await admin.listKeys() });
    return;
  }
  if (path === "/api/gateway/keys" && method === "POST") {
    const body = await readJsonBody(req);
    sendJson(res, 201, await admin.createKey(body as Parameters<typeof admin.createKey>[0]));
    return;
  }
  const key = /^\/api\/gateway\/keys\/([^/]+)$/.exec(path);
  if (key && method === "PATCH") {
    const body = await readJsonBody(req);
    sendJson(res, 200, await admin.updateKey(decodeURIComponent(key[1] as string), body));
    return;
  }
  if (key && method === "DELETE") {
    sendJson(res, 200, await admin.revokeKey(decodeURIComponent(key[1] as string)));
    return;
  }
  if (path === "/api/gateway/usage" && method === "GET") {
    const hours = Number(url.searchParams.get("hours") ?? "24");
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 90) {
      throw new HttpError(400, "hours must be a number of hours from 0 to 2160 (90 days)");
    }
    const until = Date.now();
    const since = until - hours * 3_600_000;
    const [usage, keys] = await Promise.all([
      admin.usage({ since: new Date(since).toISOString(), limit: 10_000 }),
      admin.listKeys(),
    ]);
    sendJson(res, 200, summarizeUsage(usage, keys, { since, until, buckets: 24 }));
    return;
  }
  throw new HttpError(404, `unknown console path ${method} ${path}`);
}

async function currentStatus(ctx: ApiContext): Promise<NetworkStatus> {
  const { status, error } = await ctx.watcher.fresh();
  if (!status) throw new HttpError(503, error ?? "the chain has not been read yet: try again in a moment");
  return status;
}

/** When the data was read, and the last refresh error while the chain cannot be read. */
function freshness(ctx: ApiContext) {
  const { updatedAt, error } = ctx.watcher.current;
  return { updatedAt: updatedAt?.toISOString() ?? null, ...(error ? { error } : {}) };
}

/** What every page needs to print amounts and where the chain is. */
function pageContext(status: NetworkStatus) {
  return { tokens: status.tokens, block: status.block, session: status.session, chainId: status.chainId };
}

function addressParam(raw: string): Address {
  const value = decodeURIComponent(raw);
  if (!isAddress(value, { strict: false })) {
    throw new HttpError(400, `"${value}" is not an address: use 0x followed by 40 hex digits`);
  }
  return value;
}
