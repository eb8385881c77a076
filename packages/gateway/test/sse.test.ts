import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sseEvents } from "../src/index.js";

async function collect(chunks: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const data of sseEvents(source())) out.push(data);
  return out;
}

describe("sseEvents", () => {
  const stream =
    'data: {"a":"héllo"}\n\n: comment\nevent: x\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\n\n';
  const expected = ['{"a":"héllo"}', "line1\nline2", "[DONE]"];

  it("parses events, joining multi-line data and skipping comments", async () => {
    expect(await collect([Buffer.from(stream)])).toEqual(expected);
    expect(await collect([Buffer.from("data: last-without-blank-line")])).toEqual([
      "last-without-blank-line",
    ]);
  });

  it("gives the same events however the bytes are split (even inside UTF-8 characters)", async () => {
    const bytes = Buffer.from(stream);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
          expect(await collect(chunks)).toEqual(expected);
        },
      ),
    );
  });
});
