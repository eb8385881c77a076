import http from "node:http";

/** One streamed chat completion, timed from sending the request; times in ms. */
export type CompletionTiming = {
  status: number;
  /** To the first content token. */
  ttftMs: number;
  /** To the last content token. */
  lastTokenMs: number;
  /** To the end of the response (a relay receipt or `[DONE]` may follow the last token). */
  totalMs: number;
  /** `usage.completion_tokens` of the stream's usage chunk, else the number of content events. */
  completionTokens: number;
  /** Whether `completionTokens` came from a usage chunk. */
  usageReported: boolean;
  /** The answer's text, to compare paths (temperature 0 gives the same text). */
  text: string;
  /** The body of a non-2xx answer, cut to 300 characters. */
  error?: string;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs a streaming chat completion (ask for `stream_options.include_usage` in `body` to get exact token counts)
 * and times its first and last content tokens and its end.
 *
 * @example
 * const t = await timeCompletion(`${origin}/v1/chat/completions`, body, { authorization: `Bearer ${key}` });
 * console.log(t.ttftMs, (t.completionTokens * 1000) / t.totalMs); // tokens/s end to end
 */
export function timeCompletion(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<CompletionTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let ttftMs = Number.NaN;
    let lastTokenMs = Number.NaN;
    let events = 0;
    let usage: number | undefined;
    let text = "";
    let pending = "";
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const now = performance.now() - started;
          pending += chunk;
          for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
            const event = parseEvent(pending.slice(0, end));
            pending = pending.slice(end + 2);
            if (event?.content) {
              if (events === 0) ttftMs = now;
              lastTokenMs = now;
              events++;
              text += event.content;
            }
            if (event?.completionTokens !== undefined) usage = event.completionTokens;
          }
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          resolve({
            status,
            ttftMs,
            lastTokenMs,
            totalMs: performance.now() - started,
            completionTokens: usage ?? events,
            usageReported: usage !== undefined,
            text,
            ...(status >= 300 ? { error: pending.slice(0, 300) } : {}),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The content and usage of one SSE event of a chat completion stream; undefined when it carries neither. */
function parseEvent(event: string): { content?: string; completionTokens?: number } | undefined {
  for (const line of event.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (!data.startsWith("{")) continue;
    try {
      const chunk = JSON.parse(data) as {
        choices?: { delta?: { content?: string } }[];
        usage?: { completion_tokens?: number } | null;
      };
      const content = chunk.choices?.[0]?.delta?.content;
      const completionTokens = chunk.usage?.completion_tokens;
      return {
        ...(content ? { content } : {}),
        ...(typeof completionTokens === "number" ? { completionTokens } : {}),
      };
    } catch {
      // not JSON: neither
    }
  }
  return undefined;
}
