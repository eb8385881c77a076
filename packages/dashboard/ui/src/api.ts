// The dashboard server's API, typed from the very library types it serializes (bigints arrive as strings).
import type { ClaimCounts, NetworkStatus, SourceDetail, SupplierDetail, TokenInfo } from "@decai/chain";
import type { AdminKey } from "@decai/gateway";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ReputationView } from "../../src/server/gatewayLink.js";
import type { UsageSummary } from "../../src/server/usageSummary.js";

/** `T` as JSON: bigints become decimal strings. */
export type Json<T> = T extends bigint
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

type Fresh = { updatedAt: string | null; error?: string };
type PageContext = {
  tokens: { stake: TokenInfo; payment: TokenInfo };
  block: string;
  session: string;
  chainId: number;
};

export type NetworkResponse = Fresh & {
  status: Json<NetworkStatus>;
  claimCounts: ClaimCounts;
  gatewayUrl: string | null;
};
export type SupplierResponse = Fresh &
  PageContext & { supplier: Json<SupplierDetail>; reputation: ReputationView };
export type SourceResponse = Fresh & PageContext & { source: Json<SourceDetail> };
export type { AdminKey, ReputationView, UsageSummary };

/** An API failure, with the server's message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Calls the dashboard API and returns its JSON, throwing {@link ApiError} with the server's message.
 *
 * @example
 * const keys = await api<{ data: AdminKey[] }>("/api/gateway/keys", { adminToken });
 */
export async function api<T>(
  path: string,
  options: { method?: string; body?: unknown; adminToken?: string } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? "GET",
      headers: {
        ...(options.adminToken ? { "x-admin-token": options.adminToken } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(
      "Cannot reach the dashboard server: is `decai dashboard` (or the devnet) still running?",
      0,
    );
  }
  const json = (await res.json().catch(() => ({}))) as T & { error?: { message?: string } };
  if (!res.ok) throw new ApiError(json.error?.message ?? `HTTP ${res.status}`, res.status);
  return json;
}

// One EventSource for the whole page: the server sends `update` on every new block.
type Live = { connected: boolean; block: string | null };
const liveListeners = new Set<(live: Live) => void>();
let live: Live = { connected: false, block: null };
let source: EventSource | undefined;

function connect(): void {
  if (source || typeof EventSource === "undefined") return;
  source = new EventSource("/api/events");
  const set = (next: Live) => {
    live = next;
    for (const l of liveListeners) l(live);
  };
  source.onopen = () => set({ ...live, connected: true });
  source.onerror = () => set({ ...live, connected: false });
  source.addEventListener("update", (e) => {
    const data = JSON.parse((e as MessageEvent).data) as { block: string | null };
    set({ connected: true, block: data.block });
  });
}

/**
 * Whether live updates are connected, and the latest block they announced.
 *
 * @example
 * const { connected, block } = useLiveStatus();
 */
export function useLiveStatus(): Live {
  const [state, setState] = useState(live);
  useEffect(() => {
    connect();
    liveListeners.add(setState);
    return () => {
      liveListeners.delete(setState);
    };
  }, []);
  return state;
}

/**
 * Fetches `path` now, again on every new block (server-sent events), and every `pollMs` as a fallback. Keeps
 * showing the last data while a refresh fails, with the error beside it.
 *
 * @example
 * const { data, error } = useLive<NetworkResponse>("/api/network");
 */
export function useLive<T>(
  path: string | undefined,
  options: { adminToken?: string; pollMs?: number } = {},
): { data: T | undefined; error: ApiError | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const inFlight = useRef(false);
  const { adminToken, pollMs = 5000 } = options;
  const load = useCallback(() => {
    if (!path || inFlight.current) return;
    inFlight.current = true;
    api<T>(path, adminToken ? { adminToken } : {})
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((e: ApiError) => setError(e))
      .finally(() => {
        inFlight.current = false;
      });
  }, [path, adminToken]);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    load();
    connect();
    const onLive = () => load();
    liveListeners.add(onLive);
    const timer = setInterval(load, pollMs);
    return () => {
      liveListeners.delete(onLive);
      clearInterval(timer);
    };
  }, [load, pollMs]);
  return { data, error, reload: load };
}
