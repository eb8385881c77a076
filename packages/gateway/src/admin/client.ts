import type { KeyLimitsInput } from "../keys/types.js";

/** A key as the admin API returns it (amounts as decimal strings, times as ISO dates). */
export type AdminKey = {
  id: string;
  name: string;
  prefix: string;
  limits: {
    costBudget: string | null;
    tokenBudget: number | null;
    period: "day" | "month" | "none";
    rpm: number | null;
    tpm: number | null;
    models: string[] | null;
  };
  createdAt: string;
  revokedAt: string | null;
  spend?: {
    periodStart: string;
    costSpent: string;
    costReserved: string;
    tokensSpent: number;
    tokensReserved: number;
  };
};

/** A usage row as the admin API returns it. */
export type AdminUsage = Record<string, unknown> & {
  id: string;
  keyId: string;
  outcome: string;
  cost: string;
};

/**
 * The admin API failed: `status` and `code` come from the gateway's OpenAI-style error.
 *
 * @example
 * catch (e) { if (e instanceof AdminApiError && e.status === 401) console.error("check DECAI_GATEWAY_ADMIN_TOKEN") }
 */
export class AdminApiError extends Error {
  override name = "AdminApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type JsonLimits = Omit<KeyLimitsInput, "costBudget"> & { costBudget?: string | number | null };

/**
 * A client of a gateway's admin API (what the CLI uses): keys and the usage log.
 *
 * @example
 * const admin = new AdminClient({ url: "http://127.0.0.1:8080", token: process.env.DECAI_GATEWAY_ADMIN_TOKEN! });
 * const { key, id } = await admin.createKey({ name: "acme", limits: { costBudget: "1000000", period: "month" } });
 */
export class AdminClient {
  readonly #url: string;
  readonly #token: string;

  constructor(options: { url: string; token: string }) {
    this.#url = options.url.replace(/\/+$/, "");
    this.#token = options.token;
  }

  /** Creates a key; the returned `key` is the only time the secret is shown. */
  createKey(input: { name?: string; limits?: JsonLimits }): Promise<AdminKey & { key: string }> {
    return this.#call("POST", "/admin/keys", input);
  }

  async listKeys(): Promise<AdminKey[]> {
    return (await this.#call<{ data: AdminKey[] }>("GET", "/admin/keys")).data;
  }

  getKey(id: string): Promise<AdminKey> {
    return this.#call("GET", `/admin/keys/${encodeURIComponent(id)}`);
  }

  /** Changes the name or some limits (the others stay). */
  updateKey(id: string, change: { name?: string; limits?: JsonLimits }): Promise<AdminKey> {
    return this.#call("PATCH", `/admin/keys/${encodeURIComponent(id)}`, change);
  }

  revokeKey(id: string): Promise<AdminKey> {
    return this.#call("DELETE", `/admin/keys/${encodeURIComponent(id)}`);
  }

  /** Usage rows, newest first. */
  async usage(
    query: { key?: string; since?: string; until?: string; limit?: number } = {},
  ): Promise<AdminUsage[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size ? `?${params}` : "";
    return (await this.#call<{ data: AdminUsage[] }>("GET", `/admin/usage${qs}`)).data;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new AdminApiError(
        `cannot reach the gateway at ${this.#url} (${cause}): is it running?`,
        0,
        undefined,
      );
    }
    const json = (await res.json().catch(() => ({}))) as T & { error?: { message?: string; code?: string } };
    if (!res.ok) {
      throw new AdminApiError(json.error?.message ?? `HTTP ${res.status}`, res.status, json.error?.code);
    }
    return json;
  }
}
