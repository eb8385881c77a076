import http from "node:http";

/** When each content token of one streamed completion arrived. Times in ms from sending the request. */
export type StreamTiming = {
  status: number;
  /** Time to the first content token. */
  ttftMs: number;
  /** Arrival time of every content token, in order. */
  tokenMs: number[];
  /** Tokens that arrived in the same socket read as the token before them. */
  merged: number;
  /** Most tokens that arrived in one socket read: a proxy that buffers delivers them in bursts. */
  largestBurst: number;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POSTs a streaming chat completion and timestamps every SSE `data:` event that carries content (OpenAI chat
 * chunks: `choices[0].delta.content`, or text completions: `choices[0].text`). Other events (the role chunk,
 * usage, `[DONE]`, a relay receipt) are ignored.
 *
 * @example
 * const timing = await timeStream(url, body, { "decai-relay-request": header });
 * console.log(timing.ttftMs, timing.tokenMs.length);
 */
export function timeStream(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const tokenMs: number[] = [];
    let merged = 0;
    let largestBurst = 0;
    let pending = "";
    const started = performance.now();
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (text: string) => {
          const now = performance.now() - started;
          pending += text;
          let inThisRead = 0;
          for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
            const event = pending.slice(0, end);
            pending = pending.slice(end + 2);
            if (hasContent(event)) {
              if (inThisRead > 0) merged++;
              inThisRead++;
              tokenMs.push(now);
            }
          }
          largestBurst = Math.max(largestBurst, inThisRead);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            ttftMs: tokenMs[0] ?? Number.NaN,
            tokenMs,
            merged,
            largestBurst,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function hasContent(event: string): boolean {
  for (const line of event.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]" || !data.startsWith("{")) continue;
    try {
      const choice = (JSON.parse(data) as { choices?: { delta?: { content?: string }; text?: string }[] })
        .choices?.[0];
      if (choice?.delta?.content || choice?.text) return true;
    } catch {
      // not JSON: not a token
    }
  }
  return false;
}
