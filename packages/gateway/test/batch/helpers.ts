// A scripted in-process upstream (per-model latency, refusals and failures on demand) and a gateway around it
// with one API key, for the batch tests.
import OpenAI, { toFile } from "openai";
import {
  createKey,
  Gateway,
  type GatewayOptions,
  type GatewayStore,
  type KeyLimitsInput,
  type ModelPrice,
  type Upstream,
  UpstreamError,
  type UpstreamModel,
  type UpstreamRequest,
} from "../../src/index.js";

export type Script = {
  /** Latency of every answer, ms. */
  latencyMs: number;
  /** Models answering 503 (no supplier free): "busy". */
  busy: Set<string>;
  /** Models answering 400 to a line whose prompt contains this text. */
  rejectPrompt?: string;
  /** Requests received, in order. */
  calls: { model: string; body: Record<string, unknown> }[];
  /** Calls in flight now, per model, and the most seen at once. */
  inFlight: Map<string, number>;
  peak: Map<string, number>;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * An upstream serving `models`: every chat answer has 7 prompt tokens and `min(max_tokens, 5)` output tokens,
 * echoing the last user message; `script` turns latency, busy models and refusals on and off.
 */
export function scriptedUpstream(
  models: UpstreamModel[],
  script: Partial<Script> = {},
): Upstream & { script: Script } {
  const s: Script = {
    latencyMs: 0,
    busy: new Set(),
    calls: [],
    inFlight: new Map(),
    peak: new Map(),
    ...script,
  };
  return {
    script: s,
    async models() {
      return models;
    },
    async call(request: UpstreamRequest) {
      const { model, body } = request;
      s.calls.push({ model, body });
      s.inFlight.set(model, (s.inFlight.get(model) ?? 0) + 1);
      s.peak.set(model, Math.max(s.peak.get(model) ?? 0, s.inFlight.get(model) ?? 0));
      try {
        await sleep(s.latencyMs, request.signal);
        if (s.busy.has(model)) throw new UpstreamError("unavailable", `no supplier of ${model} is free`);
        const messages = (body.messages ?? []) as { content?: string }[];
        const prompt = String(messages.at(-1)?.content ?? body.input ?? "");
        if (s.rejectPrompt && prompt.includes(s.rejectPrompt)) {
          throw new UpstreamError("rejected", "prompt refused", 400, {
            message: "This prompt is too long for the context.",
            type: "invalid_request_error",
            code: "context_length_exceeded",
          });
        }
        const out = Math.min((body.max_tokens as number | undefined) ?? 5, 5);
        return {
          stream: false as const,
          supplier: `supplier-of-${model}`,
          body: {
            id: "chatcmpl-1",
            object: "chat.completion",
            model,
            choices: [
              { index: 0, message: { role: "assistant", content: `echo: ${prompt}` }, finish_reason: "stop" },
            ],
            usage: { prompt_tokens: 7, completion_tokens: out, total_tokens: 7 + out },
          },
        };
      } finally {
        s.inFlight.set(model, (s.inFlight.get(model) ?? 1) - 1);
      }
    },
  };
}

/** Prices: the batch tier at a third of the interactive price. */
export const tierPrices: Record<string, ModelPrice> = {
  "tiny-llama": { perRequest: 0n, perInputToken: 3n, perOutputToken: 9n },
  "tiny-llama:batch": { perRequest: 0n, perInputToken: 1n, perOutputToken: 3n },
};

export const tierModels = (interactive = 2, batch = 2): UpstreamModel[] => [
  { id: "tiny-llama", suppliers: interactive },
  { id: "tiny-llama:batch", suppliers: batch, tier: "batch", batchOf: "tiny-llama" },
];

/** A gateway on `store` in front of `upstream`, polling batches fast. */
export async function startBatchGateway(input: {
  store: GatewayStore;
  upstream: Upstream;
  options?: Partial<GatewayOptions>;
}): Promise<Gateway> {
  return Gateway.start({
    store: input.store,
    upstream: input.upstream,
    pricing: (model) => tierPrices[model],
    modelsCacheMs: 0,
    batch: { pollMs: 20 },
    ...input.options,
  });
}

/** A key on `store` and an OpenAI client for it on `gateway`. */
export async function clientFor(store: GatewayStore, gateway: Gateway, limits: KeyLimitsInput = {}) {
  const { key, record } = await createKey(store, { name: "batch", limits });
  return {
    keyId: record.id,
    openai: new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 }),
  };
}

/** A JSONL input file of `n` chat requests with custom ids `req-0`…, uploaded with the OpenAI client. */
export async function uploadChatBatch(
  openai: OpenAI,
  n: number,
  body: (i: number) => Record<string, unknown> = () => ({}),
) {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: {
        model: "tiny-llama",
        messages: [{ role: "user", content: `question ${i}` }],
        max_tokens: 4,
        ...body(i),
      },
    }),
  );
  return openai.files.create({
    file: await toFile(Buffer.from(lines.join("\n")), "input.jsonl"),
    purpose: "batch",
  });
}

/** Polls the batch with the OpenAI client until it reaches one of `statuses`. */
export async function waitForBatch(
  openai: OpenAI,
  id: string,
  statuses: string[] = ["completed", "failed", "cancelled", "expired"],
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await openai.batches.retrieve(id);
    if (statuses.includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The JSONL lines of a file, parsed. */
export async function readJsonl(openai: OpenAI, fileId: string): Promise<Record<string, unknown>[]> {
  const text = await (await openai.files.content(fileId)).text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
