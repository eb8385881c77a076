import { OpenAIError } from "./errors.js";
import type { ErrorBody } from "./types.js";

/** The payload of the event that ends every OpenAI stream. */
export const sseDone = "[DONE]";

/**
 * Encodes one server-sent event the way OpenAI does: a single `data:` line and a blank line.
 *
 * @example
 * res.write(encodeSse(chunk));
 * res.end(encodeSse(sseDone)); // "data: [DONE]\n\n"
 */
export function encodeSse(data: unknown): string {
  return `data: ${data === sseDone ? sseDone : JSON.stringify(data)}\n\n`;
}

/**
 * Incremental SSE parser (WHATWG event-stream rules for `data:` fields): feed text as it arrives, get the data
 * payload of every completed event. Comments and other fields are skipped.
 *
 * @example
 * const decoder = new SseDecoder();
 * decoder.push("data: {\"a\":1}\n\nda"); // ['{"a":1}']
 * decoder.push("ta: [DONE]\n\n");         // ["[DONE]"]
 */
export class SseDecoder {
  #line = "";
  #data: string[] = [];
  #sawCr = false;

  push(text: string): string[] {
    const events: string[] = [];
    for (const ch of text) {
      if (ch === "\n" && this.#sawCr) {
        this.#sawCr = false; // second half of a CRLF
        continue;
      }
      this.#sawCr = ch === "\r";
      if (ch === "\n" || ch === "\r") {
        this.#endLine(events);
      } else {
        this.#line += ch;
      }
    }
    return events;
  }

  #endLine(events: string[]): void {
    const line = this.#line;
    this.#line = "";
    if (line === "") {
      if (this.#data.length > 0) events.push(this.#data.join("\n"));
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.#data.push(value);
  }
}

/**
 * Reads an OpenAI-style SSE body into parsed JSON events, stopping at `data: [DONE]`. An event carrying an
 * `error` object is thrown as an {@link OpenAIError}.
 *
 * @example
 * for await (const chunk of readSseJson<ChatCompletionChunk>(response.body)) process.stdout.write(chunk.choices[0]?.delta.content ?? "");
 */
export async function* readSseJson<T>(body: AsyncIterable<Uint8Array>): AsyncGenerator<T> {
  const decoder = new SseDecoder();
  const text = new TextDecoder();
  for await (const bytes of body) {
    for (const data of decoder.push(text.decode(bytes, { stream: true }))) {
      if (data === sseDone) return;
      const event = JSON.parse(data) as T | Partial<ErrorBody>;
      const error = (event as Partial<ErrorBody>).error;
      if (error && typeof error === "object") {
        throw new OpenAIError(500, `The stream failed: ${error.message}`, {
          type: error.type,
          code: error.code,
          param: error.param,
        });
      }
      yield event as T;
    }
  }
}
