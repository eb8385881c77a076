/** How one request ended, as its client saw it. */
export type RequestResult =
  /** A complete answer: a JSON completion, or a stream that reached `[DONE]`. */
  | "ok"
  /** A stream cut after it started, ended by an OpenAI-style `error` event: the clean way to fail. */
  | "cut"
  /** An error status (after whatever retries the gateway did). */
  | "failed"
  /** No progress for `stallMs`: a hang. */
  | "hung"
  /** A stream that ended without `[DONE]` or an error event: a silent truncation. */
  | "truncated";

/** One request of the load and what came back. */
export type RequestOutcome = {
  client: number;
  stream: boolean;
  result: RequestResult;
  status: number;
  /** The gateway's request id (`x-request-id`), to find its usage row. */
  requestId: string | null;
  /** Who served it (`x-decai-supplier`), when the gateway says. */
  supplier: string | null;
  /** Chunks that carried generated text (streams). */
  contentChunks: number;
  /** The usage the answer reported (JSON body, or the stream's usage chunk). */
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: string;
  /** `performance.now()` at start and end. */
  startedAt: number;
  endedAt: number;
};

/** Options of {@link startLoad}. */
export type LoadOptions = {
  /** OpenAI-compatible base URL (`…/v1`). */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** One entry per concurrent client: `true` for a streaming one. */
  clients: readonly boolean[];
  maxTokens: number;
  /** A request with no new byte for this long counts as hung (and is aborted). Default 20 s. */
  stallMs?: number;
  /** Pause between a client's requests. Default 0. */
  thinkMs?: number;
};

/** A running load: outcomes so far, and `stop()` to finish the requests in flight and summarise. */
export type Load = {
  readonly outcomes: readonly RequestOutcome[];
  /** Requests in flight now. */
  readonly inflight: number;
  stop(): Promise<LoadSummary>;
};

/** Counts of a finished load. */
export type LoadSummary = {
  outcomes: RequestOutcome[];
  sent: number;
  ok: number;
  cut: number;
  /** failed + hung + truncated: what no client should ever see. */
  errors: number;
  byResult: Record<RequestResult, number>;
};

/**
 * A bounded steady load on an OpenAI-compatible API: each client sends one chat completion after another
 * (streamed with `include_usage`, or not) until `stop()`, and classifies how each one ended. Nothing is retried
 * here: what a client sees is what the gateway delivered.
 *
 * @example
 * const load = startLoad({ baseUrl, apiKey, model: "tiny-llama", clients: [false, false, true, true], maxTokens: 32 });
 * await sleep(15_000);
 * const summary = await load.stop(); // summary.errors === 0
 */
export function startLoad(options: LoadOptions): Load {
  const outcomes: RequestOutcome[] = [];
  let stopped = false;
  let inflight = 0;
  const workers = options.clients.map(async (stream, client) => {
    for (let i = 0; !stopped; i++) {
      inflight++;
      try {
        outcomes.push(await send(options, client, i, stream));
      } finally {
        inflight--;
      }
      if (options.thinkMs) await new Promise((r) => setTimeout(r, options.thinkMs));
    }
  });
  return {
    outcomes,
    get inflight() {
      return inflight;
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return summarise(outcomes);
    },
  };
}

function summarise(outcomes: RequestOutcome[]): LoadSummary {
  const byResult: Record<RequestResult, number> = { ok: 0, cut: 0, failed: 0, hung: 0, truncated: 0 };
  for (const o of outcomes) byResult[o.result]++;
  return {
    outcomes,
    sent: outcomes.length,
    ok: byResult.ok,
    cut: byResult.cut,
    errors: byResult.failed + byResult.hung + byResult.truncated,
    byResult,
  };
}

async function send(
  options: LoadOptions,
  client: number,
  i: number,
  stream: boolean,
): Promise<RequestOutcome> {
  const startedAt = performance.now();
  const stallMs = options.stallMs ?? 20_000;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), stallMs);
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), stallMs);
  };
  const outcome: RequestOutcome = {
    client,
    stream,
    result: "failed",
    status: 0,
    requestId: null,
    supplier: null,
    contentChunks: 0,
    startedAt,
    endedAt: 0,
  };
  try {
    const res = await fetch(`${options.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: options.model,
        messages: [{ role: "user", content: `client ${client} asks question ${i}` }],
        max_tokens: options.maxTokens,
        temperature: 0,
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
      signal: abort.signal,
    });
    outcome.status = res.status;
    outcome.requestId = res.headers.get("x-request-id");
    outcome.supplier = res.headers.get("x-decai-supplier");
    if (res.status !== 200) {
      outcome.error = (await res.text()).slice(0, 500);
    } else if (!stream) {
      const body = (await res.json()) as { choices?: unknown[]; usage?: RequestOutcome["usage"] };
      if (Array.isArray(body.choices) && body.choices.length > 0) outcome.result = "ok";
      if (body.usage) outcome.usage = body.usage;
    } else {
      outcome.result = await readStream(res, outcome, progress);
    }
  } catch (error) {
    outcome.result = abort.signal.aborted ? "hung" : "failed";
    outcome.error = String(error);
  } finally {
    clearTimeout(timer);
    outcome.endedAt = performance.now();
  }
  return outcome;
}

/** Reads an SSE answer to its end: `[DONE]` is ok, an `error` event a clean cut, anything else a truncation. */
async function readStream(
  res: Response,
  outcome: RequestOutcome,
  progress: () => void,
): Promise<RequestResult> {
  const decoder = new TextDecoder();
  let buffered = "";
  let done = false;
  let errored = false;
  const onEvent = (data: string) => {
    if (data === "[DONE]") {
      done = true;
      return;
    }
    const event = JSON.parse(data) as {
      error?: { message?: string };
      choices?: { delta?: { content?: string } }[];
      usage?: RequestOutcome["usage"];
    };
    if (event.error) {
      errored = true;
      outcome.error = event.error.message ?? "error event";
    }
    if (event.choices?.some((c) => c.delta?.content)) outcome.contentChunks++;
    if (event.usage) outcome.usage = event.usage;
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    progress();
    buffered += decoder.decode(chunk, { stream: true });
    for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) onEvent(data);
    }
  }
  if (done && !errored) return "ok";
  if (errored && !done) return "cut";
  return "truncated";
}
