// One batch line, once: send it to the chosen model's upstream, and turn what came back into the line's outcome and
// its usage-log row, or into "try again later".
import { performance } from "node:perf_hooks";
import { costOf, type TokenUsage } from "../pricing.js";
import type { CatalogEntry } from "../routing.js";
import { type Upstream, UpstreamError } from "../upstream/types.js";
import { type Endpoint, responseUsage, textBytes, type UsageRecord } from "../usage.js";
import { lineRequestId } from "./jsonl.js";
import type { LineOutcome, LineRecord } from "./types.js";

/** What running a line gave: a result to record, or a reason to put it back. */
export type Execution =
  | { kind: "result"; outcome: LineOutcome; usage: UsageRecord; latencyMs: number }
  /** Not served: `busy` (no capacity: back off and retry), `failed` (a broken answer: retry a few times). */
  | { kind: "retry"; reason: "busy" | "failed"; message: string };

/**
 * Sends `line` to `entry`'s model and reads the result. Usage comes from the upstream (a signed receipt on the
 * network) or the body; the cost is the model's price (margin included), capped at the line's hold when
 * `bounded` (a key with budgets is never charged past what it reserved). A request the upstream refuses (4xx) is
 * a failed line, billed nothing; a busy or broken upstream is a retry.
 *
 * @example
 * const run = await executeLine({ line, entry, endpoint: "chat.completions", upstream, keyId, bounded: true, signal });
 */
export async function executeLine(input: {
  line: LineRecord;
  entry: CatalogEntry;
  endpoint: Endpoint;
  upstream: Upstream;
  keyId: string;
  bounded: boolean;
  signal: AbortSignal;
  now: () => number;
}): Promise<Execution> {
  const { line, entry, endpoint } = input;
  const requestId = lineRequestId(line.batchId, line.index);
  const startedAt = input.now();
  const t0 = performance.now();
  const body: Record<string, unknown> = { ...line.body, model: entry.model.id };
  delete body.stream;
  let response: Awaited<ReturnType<Upstream["call"]>>;
  try {
    response = await input.upstream.call({
      endpoint,
      model: entry.model.id,
      body,
      preferences: {},
      signal: input.signal,
    });
  } catch (error) {
    if (input.signal.aborted) throw input.signal.reason ?? error;
    const e = error instanceof UpstreamError ? error : new UpstreamError("failed", (error as Error).message);
    if (e.kind !== "rejected")
      return { kind: "retry", reason: e.kind === "unavailable" ? "busy" : "failed", message: e.message };
    const latencyMs = performance.now() - t0;
    const status = e.status ?? 400;
    const error_ = { code: e.error?.code ?? "invalid_request", message: e.error?.message ?? e.message };
    return {
      kind: "result",
      latencyMs,
      outcome: {
        status: "failed",
        response: { statusCode: status, requestId, body: { error: { ...e.error, message: error_.message } } },
        error: error_,
        cost: 0n,
        inputTokens: 0,
        outputTokens: 0,
      },
      usage: usageRow(input, requestId, startedAt, latencyMs, { outcome: "upstream_error", status }),
    };
  }
  if (response.stream) {
    // Never asked for (stream is stripped), but an upstream might stream anyway: drain it.
    for await (const _ of response.chunks) {
    }
    return { kind: "retry", reason: "failed", message: "the upstream streamed an answer to a batch line" };
  }
  const latencyMs = performance.now() - t0;
  const usage: TokenUsage = response.usage ?? responseUsage(response.body, promptBytes(line.body));
  let cost = costOf(entry.price, usage);
  if (input.bounded && cost > line.holdCost) cost = line.holdCost;
  return {
    kind: "result",
    latencyMs,
    outcome: {
      status: "done",
      response: { statusCode: 200, requestId, body: response.body },
      error: null,
      cost,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    },
    usage: usageRow(input, requestId, startedAt, latencyMs, {
      outcome: "ok",
      status: 200,
      usage,
      cost,
      ...(response.supplier ? { supplier: response.supplier } : {}),
    }),
  };
}

/** Prompt text bytes of a request body (messages, prompt or input), for usage estimates. */
function promptBytes(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  return (
    messages.reduce((n, m) => n + textBytes(m?.content), 0) + textBytes(body.prompt) + textBytes(body.input)
  );
}

function usageRow(
  input: { line: LineRecord; entry: CatalogEntry; endpoint: Endpoint; keyId: string },
  id: string,
  createdAt: number,
  latencyMs: number,
  fields: { outcome: string; status: number; usage?: TokenUsage; cost?: bigint; supplier?: string },
): UsageRecord {
  return {
    id,
    keyId: input.keyId,
    endpoint: input.endpoint,
    requestedModel: input.line.model,
    model: input.entry.model.id,
    supplier: fields.supplier ?? null,
    stream: false,
    inputTokens: fields.usage?.inputTokens ?? 0,
    outputTokens: fields.usage?.outputTokens ?? 0,
    ttftMs: null,
    latencyMs,
    // The gateway's own time is negligible next to a batch line's; the whole latency is upstream.
    overheadMs: 0,
    cost: fields.cost ?? 0n,
    outcome: fields.outcome,
    status: fields.status,
    createdAt,
  };
}
