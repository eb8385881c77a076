// Batch input files (JSONL of requests) in, output and error files (JSONL of results) out, in OpenAI's shapes.
import type { GatewayError } from "../errors.js";
import { validate } from "../http/schema.js";
import { chatCompletions } from "../routes/chat.js";
import { completions } from "../routes/completions.js";
import { embeddings } from "../routes/embeddings.js";
import type { EndpointSpec } from "../routes/params.js";
import type { BatchLineError, LineRecord } from "./types.js";

/** Most lines one batch may have (OpenAI's limit). */
export const maxBatchLines = 50_000;

/** The endpoints a batch may target, by their URL. */
export const batchEndpoints: ReadonlyMap<string, EndpointSpec> = new Map(
  [chatCompletions, completions, embeddings].map((spec) => [spec.path, spec]),
);

// Gateway-only routing parameters make no sense per line: the batch scheduler picks tiers and suppliers.
const notPerLine = ["models", "provider", "route", "stream", "stream_options"];

/** One valid request of an input file. */
export type InputLine = {
  index: number;
  customId: string;
  body: Record<string, unknown>;
  model: string;
  /** UTF-8 bytes of the body: every byte may be an input token, which bounds the input. */
  bytes: number;
};

/**
 * Parses and checks an input file for `endpoint` (`/v1/chat/completions`, ...): one JSON object per line with a
 * unique `custom_id`, `method` POST, `url` equal to the endpoint, and a `body` the endpoint accepts (with a
 * `model`, not streamed). Returns the valid lines, or every problem found (line numbers are 1-based).
 *
 * @example
 * const { lines, errors } = parseInputFile(content, "/v1/chat/completions");
 */
export function parseInputFile(
  content: Buffer,
  endpoint: string,
): { lines: InputLine[]; errors: BatchLineError[] } {
  const spec = batchEndpoints.get(endpoint);
  if (!spec) throw new Error(`not a batch endpoint: ${endpoint}`);
  const lines: InputLine[] = [];
  const errors: BatchLineError[] = [];
  const seen = new Set<string>();
  const problem = (line: number, code: string, message: string, param: string | null = null) => {
    if (errors.length < 1000) errors.push({ code, message, param, line });
  };
  const texts = content.toString("utf8").split(/\r?\n/);
  for (const [i, text] of texts.entries()) {
    const line = i + 1;
    if (text.trim() === "") continue;
    if (lines.length + errors.length >= maxBatchLines) {
      problem(line, "too_many_requests", `A batch holds at most ${maxBatchLines} requests: split the file.`);
      break;
    }
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(text);
      if (!request || typeof request !== "object" || Array.isArray(request)) throw new Error("not an object");
    } catch {
      problem(line, "invalid_json_line", "This line is not a JSON object.");
      continue;
    }
    const { custom_id: customId, method, url, body } = request as Record<string, unknown>;
    if (typeof customId !== "string" || customId === "") {
      problem(
        line,
        "missing_required_parameter",
        "Each line needs a non-empty string custom_id.",
        "custom_id",
      );
      continue;
    }
    if (seen.has(customId)) {
      problem(line, "duplicate_custom_id", `custom_id "${customId}" appears more than once.`, "custom_id");
      continue;
    }
    seen.add(customId);
    if (method !== "POST") {
      problem(line, "invalid_method", "method must be POST.", "method");
      continue;
    }
    if (url !== endpoint) {
      problem(line, "mismatched_url", `url must be the batch's endpoint, ${endpoint}.`, "url");
      continue;
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      problem(line, "invalid_body", "body must be a JSON object: the request for the endpoint.", "body");
      continue;
    }
    const b = body as Record<string, unknown>;
    const banned = notPerLine.find((k) => b[k] !== undefined && b[k] !== null && b[k] !== false);
    if (banned) {
      problem(line, "unsupported_parameter", `body.${banned} is not supported in a batch.`, `body.${banned}`);
      continue;
    }
    if (typeof b.model !== "string" || b.model === "") {
      problem(line, "missing_required_parameter", "body.model is required.", "body.model");
      continue;
    }
    try {
      validate(b, spec.schema, "body.");
      spec.inspect(b);
    } catch (error) {
      const e = error as GatewayError;
      problem(line, e.code ?? "invalid_value", e.message, e.param ?? null);
      continue;
    }
    lines.push({ index: i, customId, body: b, model: b.model, bytes: Buffer.byteLength(text) });
  }
  if (lines.length === 0 && errors.length === 0) {
    problem(0, "empty_file", "The input file has no requests.");
  }
  return { lines, errors };
}

/** The id of one line's result (OpenAI's `batch_req_…`). */
export const lineRequestId = (batchId: string, index: number) =>
  `batch_req_${batchId.slice("batch_".length)}_${index}`;

/**
 * The output file (`kind` "output": lines that ran, with their response) or error file ("error": lines that
 * failed, were cancelled or expired), as OpenAI writes them: one JSON object per line, in input order.
 *
 * @example
 * const jsonl = renderResults(batch.id, await store.lines(batch.id), "output");
 */
export function renderResults(
  batchId: string,
  lines: readonly LineRecord[],
  kind: "output" | "error",
): string {
  let out = "";
  for (const l of lines) {
    const ok = l.status === "done";
    if (kind === "output" ? !ok : ok || l.status === "pending" || l.status === "claimed") continue;
    const response = l.response
      ? { status_code: l.response.statusCode, request_id: l.response.requestId, body: l.response.body }
      : null;
    out += `${JSON.stringify({ id: lineRequestId(batchId, l.index), custom_id: l.customId, response, error: ok ? null : l.error })}\n`;
  }
  return out;
}
