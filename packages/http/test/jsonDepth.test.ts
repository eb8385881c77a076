import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exceedsJsonDepth, maxJsonDepth } from "../src/index.js";

const bytes = (text: string) => Buffer.from(text);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("exceedsJsonDepth", () => {
  it("counts arrays and objects alike", () => {
    expect(exceedsJsonDepth(bytes("[[[]]]"), 2)).toBe(true);
    expect(exceedsJsonDepth(bytes("[[[]]]"), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"a":{"b":[1]}}'), 2)).toBe(true);
    expect(exceedsJsonDepth(bytes('{"a":{"b":[1]}}'), 3)).toBe(false);
  });

  it("measures the deepest point, not the total number of brackets", () => {
    expect(exceedsJsonDepth(bytes("[[],[],[],[]]"), 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(exceedsJsonDepth(bytes('["[[[[{{{{"]'), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('["\\"[[[[", "\\\\"]'), 1)).toBe(false);
    // After an escaped backslash the quote does close the string: the bracket after it counts.
    expect(exceedsJsonDepth(bytes('["\\\\", [[]]]'), 2)).toBe(true);
  });

  it("agrees with the nesting of generated JSON values", () => {
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === "object"
        ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        const text = JSON.stringify(value) ?? "null";
        expect(exceedsJsonDepth(bytes(text), limit)).toBe(depthOf(value) > limit);
      }),
    );
  });

  it("allows OpenAI-sized nesting and refuses a nesting bomb", () => {
    expect(maxJsonDepth).toBe(64);
    expect(exceedsJsonDepth(bytes(nested(maxJsonDepth)), maxJsonDepth)).toBe(false);
    expect(exceedsJsonDepth(bytes(nested(100_000)), maxJsonDepth)).toBe(true);
  });
});
