import { GatewayError } from "../errors.js";
import { textBytes } from "../usage.js";
import { type EndpointSpec, generationParams } from "./params.js";

/**
 * `POST /v1/completions` (legacy text completions): OpenAI's parameters, plus `models` and `provider`.
 *
 * @example
 * handleInference(req, res, completions, context);
 */
export const completions: EndpointSpec = {
  endpoint: "completions",
  path: "/v1/completions",
  generates: true,
  schema: {
    ...generationParams,
    prompt: { type: ["string", "array"], required: true },
    logprobs: { type: "integer", min: 0, max: 5 },
    echo: { type: "boolean" },
    suffix: { type: "string" },
    best_of: "is not supported: ask for n completions and pick one yourself.",
  },
  inspect(body) {
    const prompt = body.prompt;
    if (Array.isArray(prompt) && prompt.length === 0) {
      throw new GatewayError(
        "invalid_value",
        "Invalid 'prompt': empty array. Expected at least one prompt.",
        {
          param: "prompt",
        },
      );
    }
    return textBytes(prompt);
  },
};
