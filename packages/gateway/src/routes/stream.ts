// Passing an upstream stream to the client as server-sent events, counting what was delivered.
import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { TokenUsage } from "../pricing.js";
import type { UpstreamStream } from "../upstream/types.js";
import { carriesOutput, estimateTokens, readUsage } from "../usage.js";

/** How a stream ended, and what it delivered. */
export type StreamResult = {
  outcome: "ok" | "client_disconnected" | "upstream_error";
  usage: TokenUsage;
  /** From the start of the request (`t0`) to the first chunk with output. */
  ttftMs: number | null;
  /** Time spent waiting on the upstream for the next chunk. */
  upstreamMs: number;
  supplier: string | undefined;
  error?: Error;
  /** Writes the end of the stream (a usage chunk the client asked for, an error event, `[DONE]`) and ends it:
   * called after settling, so a client that sees the end can rely on its usage being recorded. */
  end: () => Promise<void>;
};

/** Options of {@link pipeStream}. */
export type PipeOptions = {
  /** Response headers besides the SSE ones (request id, overhead, ...). */
  headers: Record<string, string>;
  /** The client asked for the usage chunk (`stream_options.include_usage`); the upstream is always asked. */
  includeUsage: boolean;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** `performance.now()` when the request arrived. */
  t0: number;
  /** For the usage estimate when the upstream sends none. */
  promptTextBytes: number;
};

function write(res: ServerResponse, text: string): Promise<void> | undefined {
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/**
 * Streams `response` to the client chunk by chunk (awaiting backpressure), hiding the usage chunk the gateway
 * asked for on its own behalf, or adding one when the client asked and the upstream sent none. A failure
 * mid-stream becomes an OpenAI `error` event; a client that leaves stops the upstream (through `signal`) and is
 * billed for the output chunks it was sent. The stream stays open until `result.end()`.
 *
 * @example
 * const result = await pipeStream(res, upstreamStream, { headers, includeUsage, signal, t0, promptTextBytes });
 * await settle(result.usage);
 * await result.end();
 */
export async function pipeStream(
  res: ServerResponse,
  response: UpstreamStream,
  options: PipeOptions,
): Promise<StreamResult> {
  const { signal, t0 } = options;
  res.writeHead(200, {
    ...options.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  let outputChunks = 0;
  let reported: TokenUsage | undefined;
  let ttftMs: number | null = null;
  let upstreamMs = 0;
  let last: Record<string, unknown> | undefined;
  let outcome: StreamResult["outcome"] = "ok";
  let error: Error | undefined;
  const iterator = response.chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const waiting = performance.now();
      const step = await iterator.next();
      upstreamMs += performance.now() - waiting;
      if (step.done) {
        finished = true;
        break;
      }
      if (signal.aborted) break;
      let chunk = step.value;
      const usage = readUsage(chunk.usage);
      if (usage) {
        reported = usage;
        if (!options.includeUsage) {
          const choices = chunk.choices;
          if (!Array.isArray(choices) || choices.length === 0) continue;
          const { usage: _hidden, ...rest } = chunk;
          chunk = rest;
        }
      }
      if (carriesOutput(chunk)) {
        outputChunks++;
        ttftMs ??= performance.now() - t0;
      }
      last = chunk;
      await write(res, event(chunk));
    }
  } catch (caught) {
    if (!signal.aborted) {
      outcome = "upstream_error";
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
  } finally {
    if (!finished) await iterator.return?.().catch(() => {});
  }
  if (signal.aborted || res.destroyed) outcome = "client_disconnected";
  const final = response.final?.();
  const usage: TokenUsage =
    outcome === "client_disconnected"
      ? // Billed for what was delivered: the output sent before the client left.
        {
          inputTokens: reported?.inputTokens ?? estimateTokens(options.promptTextBytes),
          outputTokens: outputChunks,
        }
      : (final?.usage ??
        reported ?? { inputTokens: estimateTokens(options.promptTextBytes), outputTokens: outputChunks });
  return {
    outcome,
    usage,
    ttftMs,
    upstreamMs,
    supplier: final?.supplier ?? response.supplier,
    ...(error ? { error } : {}),
    end: async () => {
      if (outcome === "ok" && options.includeUsage && !reported) {
        await write(
          res,
          event({
            id: last?.id,
            object: last?.object ?? "chat.completion.chunk",
            created: last?.created ?? Math.floor(Date.now() / 1000),
            model: last?.model,
            choices: [],
            usage: {
              prompt_tokens: usage.inputTokens,
              completion_tokens: usage.outputTokens,
              total_tokens: usage.inputTokens + usage.outputTokens,
            },
          }),
        );
      }
      if (outcome === "upstream_error") {
        const message = `The stream failed after it started: ${error?.message ?? "unknown error"}.`;
        await write(
          res,
          event({ error: { message, type: "server_error", param: null, code: "upstream_error" } }),
        );
      }
      if (outcome !== "client_disconnected") {
        if (outcome === "ok") await write(res, "data: [DONE]\n\n");
        res.end();
      }
    },
  };
}
