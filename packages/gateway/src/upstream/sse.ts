/**
 * Splits a server-sent-events byte stream into the data of each event (multi-line `data:` joined with "\n").
 * Chunks may split lines and UTF-8 characters anywhere; comments and other fields are skipped.
 *
 * @example
 * for await (const data of sseEvents(response.body)) {
 *   if (data === "[DONE]") break;
 *   console.log(JSON.parse(data));
 * }
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial = "";
  let data: string[] = [];
  for await (const chunk of body) {
    const text = partial + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
      if (line.length === 0) {
        if (data.length) yield data.join("\n");
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      }
    }
    partial = text.slice(start);
  }
  const rest = partial + decoder.decode();
  if (rest.startsWith("data:")) data.push(rest.charCodeAt(5) === 32 ? rest.slice(6) : rest.slice(5));
  if (data.length) yield data.join("\n");
}
