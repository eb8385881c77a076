// Publication of verification: each supplier's standing per service for everyone, evidence for the operator.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { sendJson } from "../http/body.js";
import { bearerToken, safeEqual } from "../keys/apiKey.js";
import { maxEvidencePage } from "../verification/store.js";
import type { Verifier } from "../verification/verifier.js";

/** The paths served here. */
export const verificationPaths = ["/v1/decai/suppliers", "/v1/decai/evidence"] as const;

/** What the verification routes need. */
export type VerificationRouteContext = {
  /** Without a verifier both lists are empty. */
  verification: Verifier | undefined;
  /** Evidence is for the admin-token holder; `undefined` turns the evidence route off. */
  adminToken: string | undefined;
};

/**
 * Serves `GET /v1/decai/suppliers` (public: `{ object: "list", data: [{ supplier, service, state, score,
 * checks: { <check>: { passed, failed } }, evidence }] }`, optionally `?service=` / `?supplier=`) and
 * `GET /v1/decai/evidence?supplier=&service=&before=&limit=` (admin token: the evidence records, newest first).
 * Throws `GatewayError`s for the server to send.
 *
 * @example
 * if (verificationPaths.includes(path)) return handleVerification(req, res, url, { verification, adminToken });
 */
export async function handleVerification(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: VerificationRouteContext,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "");
  if ((req.method ?? "GET") !== "GET") throw new GatewayError("method_not_allowed", `Use GET for ${path}.`);
  const q = url.searchParams;
  if (path === "/v1/decai/suppliers") {
    const service = q.get("service");
    const supplier = q.get("supplier")?.toLowerCase();
    const rows = (await ctx.verification?.suppliers()) ?? [];
    const data = rows.filter(
      (r) => (!service || r.service === service) && (!supplier || r.supplier === supplier),
    );
    sendJson(res, 200, { object: "list", data });
    return;
  }
  if (ctx.adminToken === undefined) {
    throw new GatewayError(
      "admin_disabled",
      "Evidence is for the gateway's operator: start it with an admin token.",
    );
  }
  const token = bearerToken(req.headers.authorization);
  if (!token || !safeEqual(token, ctx.adminToken)) {
    throw new GatewayError(
      "invalid_admin_token",
      "Evidence needs `Authorization: Bearer <admin token>` (DECAI_GATEWAY_ADMIN_TOKEN).",
    );
  }
  const limit = q.get("limit");
  if (limit !== null && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= maxEvidencePage)) {
    throw new GatewayError("invalid_value", `limit must be an integer from 1 to ${maxEvidencePage}.`, {
      param: "limit",
    });
  }
  const before = q.get("before");
  if (before !== null && !/^\d+$/.test(before)) {
    throw new GatewayError("invalid_value", "before must be Unix milliseconds.", { param: "before" });
  }
  const data =
    (await ctx.verification?.evidence({
      ...(q.get("supplier") ? { supplier: q.get("supplier") as string } : {}),
      ...(q.get("service") ? { service: q.get("service") as string } : {}),
      ...(before !== null ? { before: Number(before) } : {}),
      ...(limit !== null ? { limit: Number(limit) } : {}),
    })) ?? [];
  sendJson(res, 200, { object: "list", data });
}
