import { OpenAIError } from "./errors.js";

/** A parsed JSON body that is an object; everything else is rejected before field checks. */
export type JsonObject = Record<string, unknown>;

/**
 * Checks that a parsed body is a JSON object (400 otherwise: the request itself is malformed).
 *
 * @example
 * const body = requireObject(JSON.parse(text));
 */
export function requireObject(body: unknown): JsonObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new OpenAIError(400, "The request body must be a JSON object.", { code: "invalid_request_body" });
  }
  return body as JsonObject;
}

/**
 * 422 for a parameter that is present but unusable; `param` names it the way clients spell it.
 *
 * @example
 * throw invalidParam("temperature", "must be a number between 0 and 2");
 */
export function invalidParam(param: string, problem: string, code = "invalid_value"): OpenAIError {
  return new OpenAIError(422, `Invalid parameter \`${param}\`: ${problem}.`, { param, code });
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;

/**
 * Throws the 422 for an absent required parameter; returns the value otherwise.
 *
 * @example
 * const messages = required(body, "messages");
 */
export function required(body: JsonObject, key: string): unknown {
  const value = body[key];
  if (value === undefined || value === null) {
    throw new OpenAIError(422, `Missing required parameter \`${key}\`.`, {
      param: key,
      code: "missing_required_parameter",
    });
  }
  return value;
}

/** Reads a required non-empty string. @example requiredString(body, "model") */
export function requiredString(body: JsonObject, key: string): string {
  const value = required(body, key);
  if (typeof value !== "string" || value.length === 0) {
    throw invalidParam(key, `expected a non-empty string, got ${describe(value)}`, "invalid_type");
  }
  return value;
}

/** Reads an optional boolean (null counts as absent). @example optionalBoolean(body, "stream") ?? false */
export function optionalBoolean(body: JsonObject, key: string, param = key): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean")
    throw invalidParam(param, `expected a boolean, got ${describe(value)}`, "invalid_type");
  return value;
}

/**
 * Reads an optional finite number within [min, max] (null counts as absent); `integer` also demands an integer.
 *
 * @example
 * optionalNumber(body, "temperature", { min: 0, max: 2 }) ?? 1;
 */
export function optionalNumber(
  body: JsonObject,
  key: string,
  {
    min = -Infinity,
    max = Infinity,
    integer = false,
  }: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  const kind = integer ? "an integer" : "a number";
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
    throw invalidParam(key, `expected ${kind}, got ${describe(value)}`, "invalid_type");
  }
  if (value < min || value > max) {
    const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
    throw invalidParam(key, `expected ${kind} ${range}, got ${value}`);
  }
  return value;
}

/** Reads `stop`: a string or up to 4 non-empty strings. @example optionalStop(body) // string[] */
export function optionalStop(body: JsonObject): string[] {
  const value = body.stop;
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== "string" || s.length === 0)) {
    throw invalidParam(
      "stop",
      "expected a non-empty string or an array of non-empty strings",
      "invalid_type",
    );
  }
  if (list.length > 4) throw invalidParam("stop", `at most 4 stop sequences, got ${list.length}`);
  return list as string[];
}

/** Reads `stream_options.include_usage` (meaningful only when streaming). @example includeUsage(body) */
export function optionalIncludeUsage(body: JsonObject): boolean {
  const options = body.stream_options;
  if (options === undefined || options === null) return false;
  if (typeof options !== "object" || Array.isArray(options)) {
    throw invalidParam("stream_options", `expected an object, got ${describe(options)}`, "invalid_type");
  }
  return optionalBoolean(options as JsonObject, "include_usage", "stream_options.include_usage") ?? false;
}

/** Checks that `n`, when given, is 1: backends generate one choice per request. @example requireSingleChoice(body) */
export function requireSingleChoice(body: JsonObject): void {
  const n = optionalNumber(body, "n", { min: 1, integer: true });
  if (n !== undefined && n !== 1) throw invalidParam("n", "only n=1 is supported; send separate requests");
}

/**
 * Maps an OpenAI `seed` (any safe integer) onto llama.cpp's uint32 seed.
 *
 * @example
 * toUint32Seed(-1); // 4294967295
 */
export function toUint32Seed(seed: number): number {
  return Number(BigInt.asUintN(32, BigInt(seed)));
}
