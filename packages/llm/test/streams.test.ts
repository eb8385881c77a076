import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeSse, readSseJson, SseDecoder, sseDone } from "../src/openai/sse.js";
import { StopDetector } from "../src/openai/stop.js";
import { createUsageReader } from "../src/openai/usage.js";
import { withCleanup } from "../src/stream.js";

/** Splits `text` at the given cut points (property tests: any chunking must give the same result). */
function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(text.slice(at, p));
    at = p;
  }
  parts.push(text.slice(at));
  return parts;
}

describe("StopDetector", () => {
  it("holds back a possible start of a stop sequence until the next piece decides", () => {
    const stops = new StopDetector(["END"]);
    expect(stops.push("abcE")).toEqual({ text: "abc", stopped: false });
    expect(stops.push("N")).toEqual({ text: "", stopped: false });
    expect(stops.push("X")).toEqual({ text: "ENX", stopped: false });
    expect(stops.push("yyEN")).toEqual({ text: "yy", stopped: false });
    expect(stops.push("D and more")).toEqual({ text: "", stopped: true });
    expect(stops.flush()).toEqual({ text: "", stopped: true });
  });

  it("cuts at the earliest of several stop sequences, even one that completes later", () => {
    expect(new StopDetector(["cd", "b"]).push("abcd")).toEqual({ text: "a", stopped: true });
    const stops = new StopDetector(["b", "cba"]);
    expect(stops.push("xcb")).toEqual({ text: "x", stopped: false }); // "b" matched, but "cb..." may become "cba"
    expect(stops.push("a")).toEqual({ text: "", stopped: true });
    const ending = new StopDetector(["b", "cba"]);
    ending.push("xcb");
    expect(ending.flush()).toEqual({ text: "c", stopped: true }); // the stream ended: "b" it is
  });

  it("emits exactly the text before the first stop sequence, however the text is chunked", () => {
    const alphabet = fc.constantFrom("a", "b", "c", "\n");
    const str = (min: number, max: number) =>
      fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(""));
    fc.assert(
      fc.property(
        str(0, 40),
        fc.array(str(1, 3), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat()),
        (text, stopList, cuts) => {
          const firstStop = Math.min(...stopList.map((s) => text.indexOf(s)).filter((i) => i >= 0));
          const expected = Number.isFinite(firstStop) ? text.slice(0, firstStop) : text;
          const stops = new StopDetector(stopList);
          let out = "";
          for (const piece of split(text, cuts)) {
            const r = stops.push(piece);
            out += r.text;
            if (r.stopped) break;
          }
          out += stops.flush().text;
          expect(out).toBe(expected);
          expect(stops.stopped).toBe(Number.isFinite(firstStop));
        },
      ),
    );
  });
});

describe("SSE", () => {
  it("encodes events as OpenAI does", () => {
    expect(encodeSse({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(encodeSse(sseDone)).toBe("data: [DONE]\n\n");
  });

  it("decodes the same events however the bytes are chunked, with LF or CRLF, comments and multi-line data", () => {
    const body =
      ': keep-alive\n\ndata: {"x":1}\n\nevent: message\r\ndata: line1\r\ndata: line2\r\n\r\ndata:[DONE]\n\n';
    const expected = ['{"x":1}', "line1\nline2", "[DONE]"];
    fc.assert(
      fc.property(fc.array(fc.nat()), (cuts) => {
        const decoder = new SseDecoder();
        expect(split(body, cuts).flatMap((part) => decoder.push(part))).toEqual(expected);
      }),
    );
  });

  it("readSseJson parses events, stops at [DONE] and raises an error event", async () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    async function* body(parts: string[]) {
      for (const p of parts) yield bytes(p);
    }
    const events: unknown[] = [];
    for await (const e of readSseJson(
      body(['data: {"n":1}\n\ndata: {"n"', ':2}\n\ndata: [DONE]\n\ndata: {"n":3}\n\n']),
    )) {
      events.push(e);
    }
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
    const failing = readSseJson(
      body(['data: {"error":{"message":"boom","type":"server_error","param":null,"code":"x"}}\n\n']),
    );
    await expect(failing.next()).rejects.toMatchObject({ name: "OpenAIError", code: "x" });
  });
});

describe("createUsageReader", () => {
  const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };

  it("finds the usage chunk of an SSE stream fed in arbitrary pieces", () => {
    const body = `${encodeSse({ choices: [], usage: null })}${encodeSse({ choices: [], usage })}${encodeSse(sseDone)}`;
    fc.assert(
      fc.property(fc.array(fc.nat()), (cuts) => {
        const reader = createUsageReader();
        for (const part of split(body, cuts)) reader.push(new TextEncoder().encode(part));
        expect(reader.usage()).toEqual(usage);
      }),
    );
  });

  it("reads usage of a JSON body once it is complete, and nothing from a stream without usage", () => {
    const reader = createUsageReader();
    const body = JSON.stringify({ object: "chat.completion", usage });
    reader.push(`  ${body.slice(0, 10)}`);
    expect(reader.usage()).toBeUndefined();
    reader.push(body.slice(10));
    expect(reader.usage()).toEqual(usage);
    const none = createUsageReader();
    none.push(encodeSse({ choices: [{ delta: { content: "x" } }] }) + encodeSse(sseDone));
    expect(none.usage()).toBeUndefined();
  });
});

describe("withCleanup", () => {
  async function* numbers(log: string[]) {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      log.push("source finally");
    }
  }

  it("cleans up once after a break", async () => {
    const log: string[] = [];
    const stream = withCleanup(numbers(log), () => void log.push("cleanup"));
    for await (const n of stream) if (n === 2) break;
    await stream.return(undefined);
    expect(log).toEqual(["source finally", "cleanup"]);
  });

  it("cleans up a stream that was never started (a plain generator would skip its finally)", async () => {
    const log: string[] = [];
    await withCleanup(numbers(log), () => void log.push("cleanup")).return(undefined);
    expect(log).toEqual(["cleanup"]);
  });

  it("cleans up when the signal aborts while nobody reads, and the next read rejects with AbortError", async () => {
    const log: string[] = [];
    const abort = new AbortController();
    const stream = withCleanup(numbers(log), () => void log.push("cleanup"), abort.signal);
    expect((await stream.next()).value).toBe(0);
    abort.abort();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["source finally", "cleanup"]);
    await expect(stream.next()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("cleans up when the source throws", async () => {
    const log: string[] = [];
    async function* failing() {
      yield 1;
      throw new Error("boom");
    }
    const stream = withCleanup(failing(), () => void log.push("cleanup"));
    await expect(async () => {
      for await (const _ of stream) {
        // drain
      }
    }).rejects.toThrow("boom");
    expect(log).toEqual(["cleanup"]);
  });
});
