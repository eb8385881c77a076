import { SseDecoder } from "./sse.js";
import type { Usage } from "./types.js";

/** Reads token usage out of a response body fed to it chunk by chunk. */
export type UsageReader = {
  /** Feeds the next bytes of the body, exactly as received. */
  push(chunk: Uint8Array | string): void;
  /** The usage found so far: for SSE the last non-null `usage`, for JSON the body's `usage` once complete. */
  usage(): Usage | undefined;
};

const isUsage = (value: unknown): value is Usage => {
  const u = value as Partial<Usage> | null | undefined;
  return typeof u?.prompt_tokens === "number" && typeof u.completion_tokens === "number";
};

/**
 * Follows a response body (plain JSON or OpenAI SSE, told apart by its first byte) and extracts `usage`,
 * without holding a streamed body in memory. For proxies that pass bytes through and still need to meter.
 *
 * @example
 * const reader = createUsageReader();
 * for await (const chunk of upstream) { reader.push(chunk); client.write(chunk); }
 * reader.usage(); // { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 }
 */
export function createUsageReader(): UsageReader {
  const text = new TextDecoder();
  let mode: "unknown" | "json" | "sse" = "unknown";
  let json = "";
  const sse = new SseDecoder();
  let found: Usage | undefined;

  const feedSse = (piece: string) => {
    for (const data of sse.push(piece)) {
      if (!data.startsWith("{")) continue;
      try {
        const usage = (JSON.parse(data) as { usage?: unknown }).usage;
        if (isUsage(usage)) found = usage;
      } catch {
        // not JSON: not ours to judge, keep following the stream
      }
    }
  };

  return {
    push(chunk) {
      const piece = typeof chunk === "string" ? chunk : text.decode(chunk, { stream: true });
      if (mode === "unknown") {
        const start = piece.trimStart();
        if (start === "") {
          json += piece; // leading whitespace: undecided yet
          return;
        }
        mode = start.startsWith("{") ? "json" : "sse";
        if (mode === "sse") return feedSse(json + piece);
      }
      if (mode === "json") json += piece;
      else feedSse(piece);
    },
    usage() {
      if (mode === "json" && found === undefined) {
        try {
          const usage = (JSON.parse(json) as { usage?: unknown }).usage;
          if (isUsage(usage)) found = usage;
        } catch {
          return undefined; // incomplete or not JSON
        }
      }
      return found;
    },
  };
}
