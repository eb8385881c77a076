// CORS for the public API: browsers may call /v1/* from any allowed origin with an API key in `Authorization`
// (a bearer token, never a cookie, so allowing every origin exposes nothing a page could not send anyway). The
// admin API gets no CORS headers: browsers refuse cross-origin calls to it.
import type { IncomingMessage, ServerResponse } from "node:http";

/** Which origins may call the public API from a browser: every one (`"*"`, the default), or a list. */
export type CorsOrigins = "*" | readonly string[];

/** Response headers browsers may read: the request id, routing facts, rate-limit hints. */
const exposed = [
  "x-request-id",
  "x-decai-model",
  "x-decai-supplier",
  "x-decai-gateway-overhead-ms",
  "retry-after",
  "x-should-retry",
].join(", ");

/**
 * Sets the CORS headers of a public API response for `req`'s origin; answers a preflight (`OPTIONS`) with 204
 * and returns true when it was one.
 *
 * @example
 * if (applyCors(req, res, "*")) return; // preflight answered
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins): boolean {
  const origin = req.headers.origin;
  const allowed = origins === "*" ? "*" : origin && origins.includes(origin) ? origin : undefined;
  if (allowed) {
    res.setHeader("access-control-allow-origin", allowed);
    res.setHeader("access-control-expose-headers", exposed);
    if (allowed !== "*") res.setHeader("vary", "origin");
  }
  if (req.method !== "OPTIONS") return false;
  if (allowed) {
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    // OpenAI's SDKs send their own headers (x-stainless-*): allow what the browser asks for.
    const asked = req.headers["access-control-request-headers"];
    res.setHeader("access-control-allow-headers", asked || "authorization, content-type");
    res.setHeader("access-control-max-age", "86400");
  }
  res.writeHead(204, { "content-length": "0" });
  res.end();
  return true;
}
