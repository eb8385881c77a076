// A tiny validator for OpenAI request bodies, with OpenAI's wording and codes (`invalid_type`,
// `missing_required_parameter`, `unsupported_parameter`, `invalid_value`), so clients see familiar errors.
import { GatewayError } from "../errors.js";

/** JSON types a parameter may take. */
export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array";

/** One parameter's rule. */
export type Param = {
  type: JsonType | readonly JsonType[];
  required?: boolean;
  /** Bounds for numbers. */
  min?: number;
  max?: number;
  /** Allowed string values. */
  oneOf?: readonly string[];
  /** Array items must be of this type. */
  items?: JsonType;
  /** Arrays must have at least one item. */
  nonEmpty?: boolean;
};

/** Parameters by name; a string value marks a known parameter the gateway does not support, and says why. */
export type Schema = Record<string, Param | string>;

const article = (t: JsonType) => (t === "integer" || t === "object" || t === "array" ? `an ${t}` : `a ${t}`);

/**
 * The JSON type of a value, for error messages.
 *
 * @example
 * jsonTypeOf(1.5); // "number"
 */
export function jsonTypeOf(value: unknown): JsonType | "null" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonType;
}

function matches(value: unknown, type: JsonType): boolean {
  const actual = jsonTypeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/**
 * Checks `body` against `schema`: unknown or unsupported parameters, missing required ones, wrong types, values
 * out of range. `null` counts as absent for optional parameters (OpenAI accepts it). Throws a 400 `GatewayError`.
 *
 * @example
 * validate(body, { messages: { type: "array", required: true }, temperature: { type: "number", min: 0, max: 2 } });
 */
export function validate(body: Record<string, unknown>, schema: Schema, prefix = ""): void {
  for (const name of Object.keys(body)) {
    const rule = schema[name];
    if (rule === undefined) {
      throw new GatewayError(
        "unsupported_parameter",
        `Unrecognized request argument supplied: ${prefix}${name}`,
        {
          param: `${prefix}${name}`,
        },
      );
    }
    if (typeof rule === "string" && body[name] !== null && body[name] !== undefined) {
      throw new GatewayError("unsupported_parameter", `Unsupported parameter: '${prefix}${name}' ${rule}`, {
        param: `${prefix}${name}`,
      });
    }
  }
  for (const [name, rule] of Object.entries(schema)) {
    if (typeof rule === "string") continue;
    const param = `${prefix}${name}`;
    const value = body[name];
    if (value === undefined || value === null) {
      if (rule.required) {
        throw new GatewayError("missing_required_parameter", `Missing required parameter: '${param}'.`, {
          param,
        });
      }
      continue;
    }
    const types = typeof rule.type === "string" ? [rule.type] : rule.type;
    if (!types.some((t) => matches(value, t))) {
      throw new GatewayError(
        "invalid_type",
        `Invalid type for '${param}': expected ${types.map(article).join(" or ")}, but got ${jsonTypeOf(value) === "null" ? "null" : article(jsonTypeOf(value) as JsonType)} instead.`,
        { param },
      );
    }
    if (typeof value === "number") {
      if (rule.min !== undefined && value < rule.min) {
        throw new GatewayError(
          "invalid_value",
          `Invalid '${param}': expected a value >= ${rule.min}, but got ${value} instead.`,
          { param },
        );
      }
      if (rule.max !== undefined && value > rule.max) {
        throw new GatewayError(
          "invalid_value",
          `Invalid '${param}': expected a value <= ${rule.max}, but got ${value} instead.`,
          { param },
        );
      }
    }
    if (typeof value === "string" && rule.oneOf && !rule.oneOf.includes(value)) {
      throw new GatewayError(
        "invalid_value",
        `Invalid value for '${param}': expected one of ${rule.oneOf.map((v) => `'${v}'`).join(", ")}, but got '${value}'.`,
        { param },
      );
    }
    if (Array.isArray(value)) {
      if (rule.nonEmpty && value.length === 0) {
        throw new GatewayError(
          "invalid_value",
          `Invalid '${param}': empty array. Expected at least one item.`,
          {
            param,
          },
        );
      }
      const items = rule.items;
      if (items) {
        const bad = value.findIndex((v) => !matches(v, items));
        if (bad >= 0) {
          throw new GatewayError(
            "invalid_type",
            `Invalid type for '${param}[${bad}]': expected ${article(items)}, but got ${jsonTypeOf(value[bad])} instead.`,
            { param: `${param}[${bad}]` },
          );
        }
      }
    }
  }
}
