import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseSplitter } from "../src/index.js";

const stream =
  'data: {"choices":[{"delta":{"content":"héllo ✓"}}]}\n\n' +
  ": a comment\ndata: line one\ndata: line two\n\n" +
  "event: custom\r\ndata:no-space\r\n\r\n" +
  "data: [DONE]\n\n";

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

describe("SseSplitter", () => {
  it("parses event names, multi-line data, comments, CRLF and exact bytes", () => {
    const splitter = new SseSplitter();
    const events = splitter.push(Buffer.from(stream));
    expect(events.map((e) => [e.event, e.data])).toEqual([
      [undefined, '{"choices":[{"delta":{"content":"héllo ✓"}}]}'],
      [undefined, "line one\nline two"],
      ["custom", "no-space"],
      [undefined, "[DONE]"],
    ]);
    expect(Buffer.concat(events.map((e) => e.bytes)).toString()).toBe(stream);
    expect(splitter.end().length).toBe(0);
  });

  it("gives the same events and bytes however the stream is cut (even inside UTF-8 characters)", () => {
    const bytes = Buffer.from(stream);
    const whole = new SseSplitter().push(bytes);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const splitter = new SseSplitter();
        const events = splitAt(bytes, cuts).flatMap((part) => splitter.push(part));
        expect(events.map((e) => [e.event, e.data])).toEqual(whole.map((e) => [e.event, e.data]));
        expect(Buffer.concat(events.map((e) => e.bytes)).equals(bytes)).toBe(true);
        expect(splitter.end().length).toBe(0);
      }),
    );
  });

  it("keeps an unfinished event for end()", () => {
    const splitter = new SseSplitter();
    expect(splitter.push(Buffer.from("data: a\n\ndata: b\n"))).toHaveLength(1);
    expect(splitter.push(Buffer.from("data: c"))).toHaveLength(0);
    expect(splitter.end().toString()).toBe("data: b\ndata: c");
  });
});
