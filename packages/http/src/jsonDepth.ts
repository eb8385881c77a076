/**
 * How deeply a request body may nest arrays and objects. OpenAI requests (tools' JSON schemas included) stay far below.
 *
 * @example
 * if (exceedsJsonDepth(body, maxJsonDepth)) throw new Error("flatten it");
 */
export const maxJsonDepth = 64;

/**
 * Whether the JSON text `body` nests arrays and objects deeper than `limit`, found in one pass over the bytes
 * without parsing: deep nesting costs parsers and re-serializers stack and time, so it is refused up front.
 *
 * @example
 * exceedsJsonDepth(Buffer.from("[[[]]]"), 2); // true
 */
export function exceedsJsonDepth(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
