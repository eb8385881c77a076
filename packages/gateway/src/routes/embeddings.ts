import { GatewayError } from "../errors.js";
import { textBytes } from "../usage.js";
import { commonParams, type EndpointSpec } from "./params.js";

/**
 * `POST /v1/embeddings`: OpenAI's parameters (the official clients ask for `encoding_format: "base64"` by
 * default), plus `models` and `provider`.
 *
 * @example
 * handleInference(req, res, embeddings, context);
 */
export const embeddings: EndpointSpec = {
  endpoint: "embeddings",
  path: "/v1/embeddings",
  generates: false,
  schema: {
    ...commonParams,
    input: { type: ["string", "array"], required: true },
    encoding_format: { type: "string", oneOf: ["float", "base64"] },
    dimensions: { type: "integer", min: 1 },
  },
  inspect(body) {
    const input = body.input;
    if (Array.isArray(input) && input.length === 0) {
      throw new GatewayError("invalid_value", "Invalid 'input': empty array. Expected at least one input.", {
        param: "input",
      });
    }
    return textBytes(input);
  },
};
