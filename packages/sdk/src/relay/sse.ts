/** One server-sent event, with the exact bytes it arrived as. */
export type SseEvent = {
  /** The event's bytes as received, blank line included: forward these to pass the stream on unchanged. */
  bytes: Buffer;
  /** The `event:` name, when there is one. */
  event: string | undefined;
  /** The `data:` lines joined with "\n" ("" for an event without data). */
  data: string;
};

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a byte stream into server-sent events, however the bytes are split across chunks (lines, events and
 * UTF-8 characters may be cut anywhere). Events keep their exact bytes, so a response digest can be computed
 * over exactly what was received.
 *
 * @example
 * const splitter = new SseSplitter();
 * for await (const chunk of res) for (const event of splitter.push(chunk)) console.log(event.data);
 * const rest = splitter.end(); // bytes after the last complete event (normally none)
 */
export class SseSplitter {
  #pending: Buffer = Buffer.alloc(0);
  // Where to resume the scan for the next line feed, and where the line being scanned starts.
  #scan = 0;
  #lineStart = 0;

  /** Adds the next chunk; returns the events it completed, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.#pending = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    const events: SseEvent[] = [];
    let eventStart = 0;
    for (let nl = this.#pending.indexOf(LF, this.#scan); nl >= 0; nl = this.#pending.indexOf(LF, nl + 1)) {
      const lineEnd = nl > this.#lineStart && this.#pending[nl - 1] === CR ? nl - 1 : nl;
      if (lineEnd === this.#lineStart) {
        events.push(parseEvent(this.#pending.subarray(eventStart, nl + 1)));
        eventStart = nl + 1;
      }
      this.#lineStart = nl + 1;
    }
    this.#pending = this.#pending.subarray(eventStart);
    this.#lineStart -= eventStart;
    this.#scan = this.#pending.length;
    return events;
  }

  /** Ends the stream: returns the bytes of an unfinished event (empty when the stream ended cleanly). */
  end(): Buffer {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    this.#scan = 0;
    this.#lineStart = 0;
    return rest;
  }
}

function parseEvent(bytes: Buffer): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const raw of bytes.toString("utf8").split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("data:")) data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    else if (line.startsWith("event:")) event = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
  }
  return { bytes, event, data: data.join("\n") };
}
