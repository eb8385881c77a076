import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DecaiDeployment } from "@decai/chain";
import { createPublicClient, http, type PublicClient } from "viem";
import { handleApi } from "./api.js";
import { ensureDashboardBuilt } from "./build.js";
import { GatewayLink } from "./gatewayLink.js";
import { HttpError, sendError, toJson } from "./json.js";
import { serveStatic } from "./staticFiles.js";
import { StatusWatcher } from "./statusWatcher.js";

/** Options of {@link startDashboard}. */
export type DashboardOptions = {
  /** JSON-RPC URL of the chain the deployment lives on. */
  rpcUrl: string;
  deployment: DecaiDeployment;
  /** The gateway whose reputation list and admin API (console) the dashboard shows; none: those pages say so. */
  gatewayUrl?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Milliseconds between head polls. Default 1000. */
  pollIntervalMs?: number;
  /** Progress lines (the UI build on first use). */
  onStep?: (line: string) => void;
};

/** A running dashboard. */
export type RunningDashboard = {
  /** Where to open it, e.g. `http://127.0.0.1:7070`. */
  url: string;
  stop: () => Promise<void>;
};

/**
 * Serves the dashboard: the UI (built first when `dist/` is missing or stale) and its JSON API over the chain and
 * the gateway, with live updates as server-sent events on `/api/events` (one per new block).
 *
 * @example
 * const dashboard = await startDashboard({ rpcUrl, deployment: loadDeployment(file), gatewayUrl, port: 7070 });
 * console.log(`open ${dashboard.url}`);
 * await dashboard.stop();
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const dist = await ensureDashboardBuilt(options.onStep ? { onStep: options.onStep } : {});
  const client = createPublicClient({
    transport: http(options.rpcUrl, { retryCount: 1, timeout: 10_000 }),
  }) as PublicClient;
  const streams = new Set<ServerResponse>();
  let lastRequestAt = 0;
  // Poll the chain only while a page is open (its event stream) or the API was used in the last minute.
  const watched = () => streams.size > 0 || Date.now() - lastRequestAt < 60_000;
  const interval = options.pollIntervalMs ?? 1000;
  const watcher = new StatusWatcher({ client, deployment: options.deployment }, interval, watched);
  const gateway = new GatewayLink(options.gatewayUrl);

  const unsubscribe = watcher.onUpdate(({ status, error }) => {
    const event = toJson({
      block: status?.block ?? null,
      session: status?.session ?? null,
      error: error ?? null,
    });
    for (const res of streams) res.write(`event: update\ndata: ${event}\n\n`);
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://dashboard");
    if (url.pathname === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write("retry: 2000\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (url.pathname.startsWith("/api/")) {
      lastRequestAt = Date.now();
      handleApi(req, res, url, { watcher, gateway }).catch((error) => sendError(res, error));
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, new HttpError(405, `${req.method} is not allowed here`));
      return;
    }
    serveStatic(res, dist, url.pathname);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  watcher.start();
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    stop: async () => {
      watcher.stop();
      unsubscribe();
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
