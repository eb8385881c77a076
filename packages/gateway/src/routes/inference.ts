// One inference request, start to end: authenticate, read and check the body, pick the models, reserve budget
// and rate capacity, call the upstream (falling back model by model), answer, then settle what was used.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { ReserveAmount } from "../budget.js";
import { GatewayError, sendError, toGatewayError } from "../errors.js";
import { parseJsonObject, readBody, sendJson } from "../http/body.js";
import { validate } from "../http/schema.js";
import { authenticate } from "../keys/authenticate.js";
import type { ApiKeyRecord } from "../keys/types.js";
import type { Logger } from "../log.js";
import type { GatewayMetrics } from "../metrics.js";
import { costOf, type TokenUsage } from "../pricing.js";
import { type Aliases, type Catalog, type CatalogEntry, resolveCandidates } from "../routing.js";
import type { GatewayStore, Reservation } from "../store/types.js";
import { type Upstream, UpstreamError, type UpstreamResponse } from "../upstream/types.js";
import { estimateTokens, responseUsage, type UsageRecord } from "../usage.js";
import { type EndpointSpec, readCommon } from "./params.js";
import { pipeStream } from "./stream.js";

/** What the inference routes need from the gateway. */
export type InferenceContext = {
  store: GatewayStore;
  upstream: Upstream;
  /** Sellable models (cached by the server). */
  catalog: () => Promise<Catalog>;
  aliases: Aliases;
  keySecret: string | undefined;
  maxBodyBytes: number;
  /** `max_tokens` set on requests without one when the key has budgets or a TPM limit to enforce. */
  defaultMaxTokens: number;
  metrics: GatewayMetrics;
  log: Logger;
  /** Wall clock (Unix ms) for budgets and rate windows. */
  now: () => number;
  /** Keeps settlements that run after the response, so `Gateway.idle()` and `stop()` can wait for them. */
  track: (work: Promise<unknown>) => void;
};

/** The header that reports the gateway's own time on a request, in milliseconds. */
export const overheadHeader = "x-decai-gateway-overhead-ms";

const gatewayOnly = new Set(["models", "provider", "route"]);

/**
 * Serves one `POST /v1/chat/completions`, `/v1/completions` or `/v1/embeddings`.
 *
 * @example
 * void handleInference(req, res, chatCompletions, context);
 */
export async function handleInference(
  req: IncomingMessage,
  res: ServerResponse,
  spec: EndpointSpec,
  ctx: InferenceContext,
): Promise<void> {
  const t0 = performance.now();
  const startedAt = ctx.now();
  const id = `req_${randomBytes(12).toString("hex")}`;
  const headers: Record<string, string> = { "x-request-id": id };
  let key: ApiKeyRecord | undefined;
  let requestedModel = "";
  let stream = false;
  ctx.metrics.inFlight.inc();
  res.once("close", () => ctx.metrics.inFlight.dec());

  const refuse = (error: GatewayError, bodyUnread = false) => {
    ctx.metrics.refusals.inc({ reason: error.code });
    ctx.metrics.requests.inc({ endpoint: spec.endpoint, model: requestedModel, outcome: error.code });
    sendError(res, error, headers, bodyUnread);
    if (key) {
      const latencyMs = performance.now() - t0;
      const usage = usageRow(id, key.id, spec, requestedModel, stream, startedAt, {
        outcome: error.code,
        status: error.status,
        latencyMs,
        overheadMs: latencyMs,
      });
      ctx.track(ctx.store.recordUsage(usage));
    }
    ctx.log.info("request refused", { id, key: key?.id, endpoint: spec.endpoint, code: error.code });
  };

  try {
    key = await authenticate(req, ctx.store, ctx.keySecret);
  } catch (error) {
    refuse(toGatewayError(error), true);
    return;
  }

  let body: Record<string, unknown>;
  let raw: Buffer;
  let promptTextBytes: number;
  let candidates: CatalogEntry[];
  let requested: ReturnType<typeof readCommon>;
  let maxTokens: number | undefined;
  let amount: ReserveAmount;
  const bounded =
    key.limits.costBudget !== null || key.limits.tokenBudget !== null || key.limits.tpm !== null;
  try {
    raw = await readBody(req, ctx.maxBodyBytes).catch((error: unknown) => {
      // The rest of an oversized body is never read: close the connection after answering.
      throw Object.assign(toGatewayError(error), { unread: true });
    });
    body = parseJsonObject(raw);
    if (typeof body.model === "string") requestedModel = body.model;
    else if (Array.isArray(body.models) && typeof body.models[0] === "string")
      requestedModel = body.models[0];
    validate(body, spec.schema);
    stream = body.stream === true;
    promptTextBytes = spec.inspect(body);
    requested = readCommon(body);
    maxTokens = (body.max_completion_tokens ?? body.max_tokens ?? undefined) as number | undefined;
    if (spec.generates && maxTokens === undefined && bounded) {
      // Budgets are enforced on the worst case, which needs a bound on the output.
      maxTokens = ctx.defaultMaxTokens;
      body.max_tokens = maxTokens;
    }
    const n = spec.generates ? ((body.n as number | undefined) ?? 1) : 0;
    // Every body byte may be an input token (a byte-level tokenizer never yields more), so this bounds the input.
    const worst: TokenUsage = { inputTokens: raw.length, outputTokens: (maxTokens ?? 0) * n };
    candidates = resolveCandidates({
      requested: requested.requested,
      aliases: ctx.aliases,
      allowed: key.limits.models,
      catalog: await ctx.catalog(),
      preferences: requested.preferences,
      estimate: { inputTokens: estimateTokens(promptTextBytes), outputTokens: (maxTokens ?? 256) * n },
    });
    let cost = 0n;
    for (const c of candidates) {
      const worstCost = costOf(c.price, worst);
      if (worstCost > cost) cost = worstCost;
    }
    amount = { cost, tokens: worst.inputTokens + worst.outputTokens };
  } catch (error) {
    const e = error instanceof UpstreamError ? noSuppliers([], [error]) : toGatewayError(error);
    refuse(e, (error as { unread?: boolean }).unread === true);
    return;
  }

  let reservation: Reservation;
  try {
    reservation = await ctx.store.reserve(key.id, amount, ctx.now());
  } catch (error) {
    refuse(toGatewayError(error));
    return;
  }

  const abort = new AbortController();
  const gone = () => abort.abort(new Error("the client closed the connection"));
  res.once("close", () => {
    if (!res.writableFinished) gone();
  });
  if (req.socket.destroyed) gone(); // left while we were admitting it
  let upstreamMs = 0;
  let served: CatalogEntry | undefined;
  let response: UpstreamResponse | undefined;
  const failures: UpstreamError[] = [];
  let failure: GatewayError | undefined;
  for (const candidate of candidates) {
    const forwarded: Record<string, unknown> = { model: candidate.model.id };
    for (const [k, v] of Object.entries(body)) if (!gatewayOnly.has(k) && k !== "model") forwarded[k] = v;
    if (stream) forwarded.stream_options = { ...(body.stream_options as object), include_usage: true };
    const calling = performance.now();
    try {
      response = await ctx.upstream.call({
        endpoint: spec.endpoint,
        model: candidate.model.id,
        body: forwarded,
        preferences: requested.preferences,
        signal: abort.signal,
      });
      upstreamMs += performance.now() - calling;
      served = candidate;
      break;
    } catch (error) {
      upstreamMs += performance.now() - calling;
      if (abort.signal.aborted) break;
      if (error instanceof UpstreamError && error.kind === "rejected") {
        failure = new GatewayError("upstream_error", error.error?.message ?? error.message, {
          status: error.status ?? 400,
          param: error.error?.param ?? null,
        });
        break;
      }
      const e =
        error instanceof UpstreamError ? error : new UpstreamError("failed", (error as Error).message);
      failures.push(e);
      ctx.metrics.fallbacks.inc({ model: candidate.model.id, kind: e.kind });
      ctx.log.warn("upstream failed", { id, model: candidate.model.id, kind: e.kind, error: e.message });
    }
  }

  // Settles before the response ends, so a client that has its answer also sees its budget and usage updated.
  const finish = async (
    outcome: string,
    status: number,
    usage: TokenUsage,
    ttftMs: number | null,
    supplier: string | undefined,
  ) => {
    const latencyMs = performance.now() - t0;
    const overheadMs = Math.max(0, latencyMs - upstreamMs);
    const price = served?.price;
    let cost = price ? costOf(price, usage) : 0n;
    let tokens = usage.inputTokens + usage.outputTokens;
    if (bounded && (cost > reservation.cost || tokens > reservation.tokens)) {
      // Only an upstream that ignores max_tokens gets here; the key is never charged past what it reserved.
      ctx.log.warn("usage above reservation", { id, key: key.id, cost, tokens, reserved: reservation });
      if (cost > reservation.cost) cost = reservation.cost;
      if (tokens > reservation.tokens) tokens = reservation.tokens;
    }
    const model = served?.model.id ?? null;
    const row = usageRow(id, key.id, spec, requestedModel, stream, startedAt, {
      model,
      supplier: supplier ?? null,
      usage,
      ttftMs,
      latencyMs,
      overheadMs,
      cost,
      outcome,
      status,
    });
    const settling = performance.now();
    try {
      await ctx.store.settle(reservation, { cost, tokens }, row);
    } catch (error) {
      ctx.log.error("settlement failed", { id, key: key.id, error });
    }
    const overheadTotal = overheadMs + (performance.now() - settling);
    const m = model ?? requestedModel;
    ctx.metrics.requests.inc({ endpoint: spec.endpoint, model: m, outcome });
    ctx.metrics.duration.observe(latencyMs / 1000, { endpoint: spec.endpoint, stream: String(stream) });
    ctx.metrics.overhead.observe(overheadTotal / 1000);
    if (model) {
      ctx.metrics.tokens.inc({ model, direction: "input" }, usage.inputTokens);
      ctx.metrics.tokens.inc({ model, direction: "output" }, usage.outputTokens);
      ctx.metrics.cost.inc({ model }, Number(cost));
      if (ttftMs !== null) ctx.metrics.ttft.observe(ttftMs / 1000, { model });
    }
    if (outcome === "client_disconnected") ctx.metrics.disconnects.inc({ endpoint: spec.endpoint });
    ctx.log.info("request served", {
      id,
      key: key.id,
      endpoint: spec.endpoint,
      model,
      supplier,
      outcome,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      overheadMs: Math.round(overheadTotal * 1000) / 1000,
    });
  };
  const none: TokenUsage = { inputTokens: 0, outputTokens: 0 };

  if (!response || !served) {
    if (abort.signal.aborted) {
      finish("client_disconnected", 499, none, null, undefined);
      return;
    }
    const error = failure ?? noSuppliers(candidates, failures);
    ctx.metrics.refusals.inc({ reason: error.code });
    sendError(res, error, headers);
    finish(
      error.code === "upstream_error" ? "upstream_error" : error.code,
      error.status,
      none,
      null,
      undefined,
    );
    return;
  }

  headers["x-decai-model"] = served.model.id;
  if (response.supplier) headers["x-decai-supplier"] = response.supplier;
  if (response.stream) {
    headers[overheadHeader] = (performance.now() - t0 - upstreamMs).toFixed(3);
    const result = await pipeStream(res, response, {
      headers,
      includeUsage: requested.includeUsage,
      signal: abort.signal,
      t0,
      promptTextBytes,
    });
    upstreamMs += result.upstreamMs;
    if (result.error) ctx.log.warn("stream failed", { id, model: served.model.id, error: result.error });
    await finish(result.outcome, 200, result.usage, result.ttftMs, result.supplier);
    await result.end();
    return;
  }
  const usage = response.usage ?? responseUsage(response.body, promptTextBytes);
  const ttftMs = performance.now() - t0;
  await finish("ok", 200, usage, ttftMs, response.supplier);
  headers[overheadHeader] = (performance.now() - t0 - upstreamMs).toFixed(3);
  sendJson(res, 200, response.body, headers);
}

/** 503 when every model was down or busy; 502 when one broke. */
function noSuppliers(candidates: readonly CatalogEntry[], failures: readonly UpstreamError[]): GatewayError {
  const tried = candidates.map((c) => `\`${c.model.id}\``).join(", ");
  const why = failures.map((f) => f.message).join("; ");
  if (failures.every((f) => f.kind === "unavailable")) {
    return new GatewayError(
      "no_suppliers_available",
      `All suppliers are down or busy${tried ? ` for ${tried}` : ""} (${why}). Retry in a moment, or add fallbacks with 'models'.`,
      { retryAfterSeconds: 5 },
    );
  }
  return new GatewayError("upstream_error", `The upstream failed for ${tried} (${why}). Retry in a moment.`);
}

function usageRow(
  id: string,
  keyId: string,
  spec: EndpointSpec,
  requestedModel: string,
  stream: boolean,
  createdAt: number,
  fields: {
    outcome: string;
    status: number;
    latencyMs: number;
    overheadMs: number;
    model?: string | null;
    supplier?: string | null;
    usage?: TokenUsage;
    ttftMs?: number | null;
    cost?: bigint;
  },
): UsageRecord {
  return {
    id,
    keyId,
    endpoint: spec.endpoint,
    requestedModel,
    model: fields.model ?? null,
    supplier: fields.supplier ?? null,
    stream,
    inputTokens: fields.usage?.inputTokens ?? 0,
    outputTokens: fields.usage?.outputTokens ?? 0,
    ttftMs: fields.ttftMs ?? null,
    latencyMs: fields.latencyMs,
    overheadMs: fields.overheadMs,
    cost: fields.cost ?? 0n,
    outcome: fields.outcome,
    status: fields.status,
    createdAt,
  };
}
