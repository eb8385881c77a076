import { describe, expect, it } from "vitest";
import { OpenAIError } from "../src/openai/errors.js";
import { toUint32Seed } from "../src/openai/fields.js";
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from "../src/openai/parse.js";

const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };

function rejection(fn: () => unknown): OpenAIError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OpenAIError) return err;
    throw err;
  }
  throw new Error("expected an OpenAIError");
}

describe("parseChatRequest", () => {
  it("applies OpenAI's defaults", () => {
    expect(parseChatRequest(chat)).toEqual({
      model: "m",
      stream: false,
      includeUsage: false,
      maxTokens: undefined,
      temperature: 1,
      topP: 1,
      seed: undefined,
      stop: [],
      messages: [{ role: "user", content: "hi" }],
      logprobs: false,
      topLogprobs: 0,
    });
  });

  it("normalises messages: developer -> system, text parts joined, null assistant content", () => {
    const params = parseChatRequest({
      ...chat,
      messages: [
        { role: "developer", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
        { role: "assistant", content: null },
      ],
    });
    expect(params.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "ab" },
      { role: "assistant", content: "" },
    ]);
  });

  it("reads sampling fields; max_completion_tokens wins over max_tokens; usage only when streaming", () => {
    const params = parseChatRequest({
      ...chat,
      max_tokens: 5,
      max_completion_tokens: 7,
      temperature: 0,
      top_p: 0.5,
      seed: 42,
      stop: "\n",
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      top_logprobs: 3,
    });
    expect(params).toMatchObject({ maxTokens: 7, temperature: 0, topP: 0.5, seed: 42, stop: ["\n"] });
    expect(params).toMatchObject({ stream: true, includeUsage: true, logprobs: true, topLogprobs: 3 });
    expect(parseChatRequest({ ...chat, stream_options: { include_usage: true } }).includeUsage).toBe(false);
  });

  it.each([
    [{ ...chat, temperature: "hot" }, "temperature", "invalid_type"],
    [{ ...chat, temperature: 3 }, "temperature", "invalid_value"],
    [{ ...chat, top_p: -0.1 }, "top_p", "invalid_value"],
    [{ ...chat, max_tokens: 1.5 }, "max_tokens", "invalid_type"],
    [{ ...chat, max_tokens: 0 }, "max_tokens", "invalid_value"],
    [{ ...chat, seed: "1" }, "seed", "invalid_type"],
    [{ ...chat, stream: "yes" }, "stream", "invalid_type"],
    [{ ...chat, stop: ["a", 1] }, "stop", "invalid_type"],
    [{ ...chat, stop: ["a", "b", "c", "d", "e"] }, "stop", "invalid_value"],
    [{ ...chat, n: 2 }, "n", "invalid_value"],
    [{ ...chat, top_logprobs: 2 }, "top_logprobs", "invalid_value"],
    [{ ...chat, logprobs: true, top_logprobs: 21 }, "top_logprobs", "invalid_value"],
    [{ ...chat, stream_options: { include_usage: 1 } }, "stream_options.include_usage", "invalid_type"],
    [{ ...chat, model: 7 }, "model", "invalid_type"],
    [{ messages: chat.messages }, "model", "missing_required_parameter"],
    [{ ...chat, messages: [] }, "messages", "invalid_type"],
    [{ model: "m" }, "messages", "missing_required_parameter"],
    [{ ...chat, messages: [{ role: "tool", content: "x" }] }, "messages[0].role", "invalid_value"],
    [{ ...chat, messages: [{ role: "user", content: 5 }] }, "messages[0].content", "invalid_type"],
    [
      { ...chat, messages: [{ role: "user", content: [{ type: "image_url" }] }] },
      "messages[0].content[0]",
      "invalid_value",
    ],
  ])("rejects %j with 422 naming the parameter", (body, param, code) => {
    const err = rejection(() => parseChatRequest(body));
    expect(err.status).toBe(422);
    expect(err.param).toBe(param);
    expect(err.code).toBe(code);
    expect(err.toJSON().error).toEqual({ message: err.message, type: "invalid_request_error", param, code });
  });

  it.each([[null], [[1, 2]], ["text"], [42]])(
    "rejects a body that is not an object (%j) with 400",
    (body) => {
      expect(rejection(() => parseChatRequest(body)).status).toBe(400);
    },
  );
});

describe("parseCompletionRequest", () => {
  it("defaults max_tokens to 16 and accepts text or token prompts", () => {
    expect(parseCompletionRequest({ model: "m", prompt: "x" })).toMatchObject({ maxTokens: 16, prompt: "x" });
    expect(parseCompletionRequest({ model: "m", prompt: [1, 2, 3] }).prompt).toEqual([1, 2, 3]);
    expect(parseCompletionRequest({ model: "m", prompt: ["only"] }).prompt).toBe("only");
    expect(parseCompletionRequest({ model: "m", prompt: [[4, 5]] }).prompt).toEqual([4, 5]);
    expect(parseCompletionRequest({ model: "m", prompt: "x", logprobs: 2 }).logprobs).toBe(2);
  });

  it.each([
    [{ model: "m", prompt: ["a", "b"] }, "prompt"],
    [{ model: "m", prompt: [1, -2] }, "prompt"],
    [{ model: "m", prompt: 3 }, "prompt"],
    [{ model: "m", prompt: "x", logprobs: 6 }, "logprobs"],
    [{ model: "m", prompt: "x", echo: true }, "echo"],
  ])("rejects %j with 422", (body, param) => {
    const err = rejection(() => parseCompletionRequest(body));
    expect([err.status, err.param]).toEqual([422, param]);
  });
});

describe("parseEmbeddingRequest", () => {
  it("accepts one or many texts or token arrays", () => {
    expect(parseEmbeddingRequest({ model: "m", input: "a" }).inputs).toEqual(["a"]);
    expect(parseEmbeddingRequest({ model: "m", input: ["a", "b"] }).inputs).toEqual(["a", "b"]);
    expect(parseEmbeddingRequest({ model: "m", input: [1, 2] }).inputs).toEqual([[1, 2]]);
    expect(parseEmbeddingRequest({ model: "m", input: [[1], [2]] }).inputs).toEqual([[1], [2]]);
    expect(parseEmbeddingRequest({ model: "m", input: "a" }).encodingFormat).toBe("float");
  });

  it.each([
    [{ model: "m" }, "input"],
    [{ model: "m", input: "" }, "input"],
    [{ model: "m", input: [] }, "input"],
    [{ model: "m", input: "a", encoding_format: "hex" }, "encoding_format"],
  ])("rejects %j with 422", (body, param) => {
    const err = rejection(() => parseEmbeddingRequest(body));
    expect([err.status, err.param]).toEqual([422, param]);
  });
});

describe("toUint32Seed", () => {
  it("maps any safe integer onto llama.cpp's uint32 seed", () => {
    expect(toUint32Seed(7)).toBe(7);
    expect(toUint32Seed(-1)).toBe(2 ** 32 - 1);
    expect(toUint32Seed(2 ** 32 + 5)).toBe(5);
  });
});
