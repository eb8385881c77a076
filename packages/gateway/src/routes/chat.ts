import { GatewayError } from "../errors.js";
import { textBytes } from "../usage.js";
import { type EndpointSpec, generationParams } from "./params.js";

const roles = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/**
 * `POST /v1/chat/completions`: OpenAI's chat parameters, plus `models` and `provider`.
 *
 * @example
 * handleInference(req, res, chatCompletions, context);
 */
export const chatCompletions: EndpointSpec = {
  endpoint: "chat.completions",
  path: "/v1/chat/completions",
  generates: true,
  schema: {
    ...generationParams,
    messages: { type: "array", required: true, nonEmpty: true },
    max_completion_tokens: { type: "integer", min: 1 },
    logprobs: { type: "boolean" },
    top_logprobs: { type: "integer", min: 0, max: 20 },
    response_format: { type: "object" },
    tools: { type: "array" },
    tool_choice: { type: ["string", "object"] },
    parallel_tool_calls: { type: "boolean" },
    reasoning_effort: { type: "string" },
    audio: "is not supported: Decai services generate text.",
    modalities: "is not supported: Decai services generate text.",
    prediction: "is not supported by Decai services.",
    web_search_options: "is not supported by Decai services.",
    store: "is not supported: the gateway does not store completions.",
    service_tier: "is not supported: use provider.sort to trade price against latency.",
    functions: "is deprecated: use 'tools'.",
    function_call: "is deprecated: use 'tool_choice'.",
  },
  inspect(body) {
    const messages = body.messages as unknown[];
    let bytes = 0;
    messages.forEach((m, i) => {
      if (!m || typeof m !== "object" || Array.isArray(m)) {
        throw new GatewayError("invalid_type", `Invalid type for 'messages[${i}]': expected an object.`, {
          param: `messages[${i}]`,
        });
      }
      const { role, content } = m as { role?: unknown; content?: unknown };
      if (typeof role !== "string" || !roles.has(role)) {
        throw new GatewayError(
          "invalid_value",
          `Invalid value for 'messages[${i}].role': expected one of ${[...roles].join(", ")}.`,
          { param: `messages[${i}].role` },
        );
      }
      if (
        content !== undefined &&
        content !== null &&
        typeof content !== "string" &&
        !Array.isArray(content)
      ) {
        throw new GatewayError(
          "invalid_type",
          `Invalid type for 'messages[${i}].content': expected a string or an array of content parts.`,
          { param: `messages[${i}].content` },
        );
      }
      bytes += textBytes(content);
    });
    return bytes;
  },
};
