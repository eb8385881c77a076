import { AdminApiError, AdminClient } from "@decai/gateway";
import { HttpError } from "./json.js";

/** One supplier's reputation as a gateway publishes it (`GET /v1/decai/suppliers`). */
export type ReputationRow = {
  supplier: string;
  service: string;
  state: string;
  score: number | null;
  checks: unknown;
  evidence: unknown;
};

/** A gateway's published reputation, or why there is none. */
export type ReputationView = {
  /** False when no gateway is set, or it does not publish reputation. */
  available: boolean;
  rows: ReputationRow[];
  /** Why nothing is shown, in words the page can print. */
  message?: string;
};

/**
 * The dashboard's link to a gateway: its public reputation list (cached briefly) and its admin API, called with
 * the admin token the user typed into the console (the dashboard never stores it).
 *
 * @example
 * const link = new GatewayLink("http://127.0.0.1:8080");
 * const { rows } = await link.reputation();
 * await link.admin(token).listKeys();
 */
export class GatewayLink {
  readonly url: string | undefined;
  #cached: { at: number; view: Promise<ReputationView> } | undefined;

  constructor(url: string | undefined) {
    this.url = url?.replace(/\/+$/, "");
  }

  /** The gateway's reputation list; an empty view with a message when there is none. */
  reputation(): Promise<ReputationView> {
    if (this.#cached && Date.now() - this.#cached.at < 2000) return this.#cached.view;
    const view = this.#fetchReputation();
    this.#cached = { at: Date.now(), view };
    return view;
  }

  /** An admin API client with `token`; fails with a 400 when no gateway is set. */
  admin(token: string | undefined): AdminClient {
    if (!this.url) {
      throw new HttpError(
        400,
        "no gateway is set: start the dashboard with --gateway <url> (decai devnet sets its own)",
      );
    }
    if (!token) throw new HttpError(401, "enter the gateway's admin token (DECAI_GATEWAY_ADMIN_TOKEN) first");
    return new AdminClient({ url: this.url, token });
  }

  async #fetchReputation(): Promise<ReputationView> {
    if (!this.url) {
      return {
        available: false,
        rows: [],
        message: "No gateway is set: start the dashboard with --gateway <url>.",
      };
    }
    const where = `${this.url}/v1/decai/suppliers`;
    let res: Response;
    try {
      res = await fetch(where, { signal: AbortSignal.timeout(5000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return { available: false, rows: [], message: `Cannot reach the gateway at ${this.url} (${cause}).` };
    }
    if (res.status === 404) {
      return {
        available: false,
        rows: [],
        message: `The gateway at ${this.url} does not publish supplier reputation yet (GET /v1/decai/suppliers answered 404).`,
      };
    }
    const body = (await res.json().catch(() => undefined)) as
      | { data?: unknown; error?: { message?: string } }
      | undefined;
    if (!res.ok || !Array.isArray(body?.data)) {
      const why = body?.error?.message ?? `HTTP ${res.status}`;
      return { available: false, rows: [], message: `The gateway's reputation list failed: ${why}.` };
    }
    return { available: true, rows: body.data.map(toRow) };
  }
}

/**
 * Turns an admin API failure into the dashboard's answer: the gateway's status and message, or 502 when the
 * gateway cannot be reached.
 *
 * @example
 * catch (error) { throw adminError(error); }
 */
export function adminError(error: unknown): unknown {
  if (!(error instanceof AdminApiError)) return error;
  if (error.status === 0) return new HttpError(502, error.message);
  if (error.status === 401) {
    return new HttpError(401, `the gateway refused the admin token: ${error.message}`);
  }
  return new HttpError(error.status, error.message);
}

function toRow(raw: unknown): ReputationRow {
  const r = (raw ?? {}) as Record<string, unknown>;
  const score =
    typeof r.score === "number" ? r.score : Number.isFinite(Number(r.score)) ? Number(r.score) : null;
  return {
    supplier: String(r.supplier ?? ""),
    service: String(r.service ?? ""),
    state: String(r.state ?? ""),
    score: r.score === undefined || r.score === null ? null : score,
    checks: r.checks ?? null,
    evidence: r.evidence ?? null,
  };
}
