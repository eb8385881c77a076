import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseUsageCounter } from "../src/index.js";

const chunk = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
const stream = [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "Hé" }),
  chunk({ content: "llo 🌍" }),
  chunk({ reasoning_content: "hmm" }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }),
  chunk({}),
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 4 } })}\n\n`,
  "data: [DONE]\n\n",
].join("");

describe("SseUsageCounter", () => {
  it("counts output chunks and reads the usage chunk, however the bytes are split", () => {
    const bytes = Buffer.from(stream);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const counter = new SseUsageCounter();
          let from = 0;
          for (const at of [...cuts].sort((a, b) => a - b)) {
            counter.push(bytes.subarray(from, at)); // may split a line or a UTF-8 character
            from = at;
          }
          counter.push(bytes.subarray(from));
          expect(counter.outputChunks).toBe(4);
          expect(counter.usage).toEqual({ inputTokens: 11, outputTokens: 4 });
          expect(counter.done).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("handles CRLF line endings and multi-line data, and ignores comments and non-JSON data", () => {
    const counter = new SseUsageCounter();
    counter.push(': keep-alive\r\n\r\ndata: {"choices":[{"text":"a"}]}\r\n\r\n');
    counter.push('data: {"choices":\ndata: [{"text":"b"}]}\n\ndata: not json\n\n');
    expect(counter.outputChunks).toBe(2);
    expect(counter.usage).toBeUndefined();
    expect(counter.done).toBe(false);
  });

  it("ignores a null or partial usage", () => {
    const counter = new SseUsageCounter();
    counter.push('data: {"choices":[],"usage":null}\n\ndata: {"usage":{"prompt_tokens":3}}\n\n');
    expect(counter.usage).toBeUndefined();
  });
});
