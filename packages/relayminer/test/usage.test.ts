import { describe, expect, it } from "vitest";
import { parseRequestBody, RelayRejection, responseUsage } from "../src/index.js";

const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("request body", () => {
  it("reads stream, the output limit and the prompt text size of chat, completion and embedding bodies", () => {
    expect(
      parseRequestBody(
        body({
          messages: [
            { role: "system", content: "abc" },
            { role: "user", content: [{ type: "text", text: "défg" }, { type: "image_url" }] },
            { role: "assistant", content: null },
          ],
          stream: true,
          max_tokens: 9,
        }),
      ),
    ).toEqual({ stream: true, maxTokens: 9, promptTextBytes: 3 + 5 });
    expect(
      parseRequestBody(body({ prompt: ["ab", "c"], max_completion_tokens: 4, max_tokens: 100 })),
    ).toEqual({
      stream: false,
      maxTokens: 4,
      promptTextBytes: 3,
    });
    expect(parseRequestBody(body({ input: "hello" }))).toEqual({
      stream: false,
      maxTokens: undefined,
      promptTextBytes: 5,
    });
  });

  it("refuses what is not a JSON object, and a bad max_tokens", () => {
    for (const bad of [
      "{",
      "",
      "null",
      "[1]",
      '"text"',
      { max_tokens: -1 },
      { max_tokens: 1.5 },
      { max_tokens: "9" },
    ]) {
      let error: unknown;
      try {
        parseRequestBody(body(bad));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RelayRejection);
      expect((error as RelayRejection).code).toBe("invalid_json");
      expect((error as RelayRejection).status).toBe(400);
    }
  });
});

describe("response usage", () => {
  const info = { stream: false, maxTokens: undefined, promptTextBytes: 10 };

  it("takes the backend's usage when present", () => {
    expect(responseUsage(body({ usage: { prompt_tokens: 12, completion_tokens: 30 } }), info)).toEqual({
      inputTokens: 12,
      outputTokens: 30,
    });
  });

  it("estimates from the text when usage is missing or broken", () => {
    const choices = [{ message: { content: "12345678" } }, { text: "1234" }];
    expect(responseUsage(body({ choices }), info)).toEqual({ inputTokens: 3, outputTokens: 3 });
    expect(responseUsage(body({ choices, usage: { prompt_tokens: "x" } }), info)).toEqual({
      inputTokens: 3,
      outputTokens: 3,
    });
    expect(responseUsage(body("not json at all"), info)).toEqual({ inputTokens: 3, outputTokens: 4 });
  });
});
