/** What the detector lets through after each piece. */
export type StopResult = { text: string; stopped: boolean };

/**
 * Finds `stop` sequences in streamed text, giving the same result however the text is split into pieces: a stop
 * sequence can span pieces, so text that could be the start of one is held back until later pieces decide, and
 * the earliest match in the whole text wins. Nothing of a matched sequence (or after it) is ever emitted.
 *
 * @example
 * const stops = new StopDetector(["\n\n"]);
 * stops.push("Hello\n"); // { text: "Hello", stopped: false }  ("\n" held back)
 * stops.push("\nmore");  // { text: "", stopped: true }
 */
export class StopDetector {
  readonly #stops: readonly string[];
  #held = "";
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  /** Whether a stop sequence has been seen. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds a piece; returns the text that is now safe to emit and whether a stop sequence ended generation. */
  push(piece: string): StopResult {
    if (this.#stopped) return { text: "", stopped: true };
    const buffer = this.#held + piece;
    const cut = this.#firstMatch(buffer);
    const partial = this.#firstPartial(buffer);
    // A match counts once no earlier, still incomplete stop sequence could overtake it.
    if (cut >= 0 && cut <= partial) return this.#stop(buffer, cut);
    const hold = cut >= 0 ? Math.min(cut, partial) : partial;
    this.#held = buffer.slice(hold);
    return { text: buffer.slice(0, hold), stopped: false };
  }

  /** Ends the stream: returns the text still held back, cut at a stop sequence if it holds a complete one. */
  flush(): StopResult {
    if (this.#stopped) return { text: "", stopped: true };
    const rest = this.#held;
    this.#held = "";
    const cut = this.#firstMatch(rest);
    return cut >= 0 ? this.#stop(rest, cut) : { text: rest, stopped: false };
  }

  #stop(buffer: string, cut: number): StopResult {
    this.#stopped = true;
    this.#held = "";
    return { text: buffer.slice(0, cut), stopped: true };
  }

  /** Index of the earliest complete stop sequence in `buffer`, or -1. */
  #firstMatch(buffer: string): number {
    let cut = -1;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    return cut;
  }

  /** Start of the longest suffix of `buffer` that is a proper prefix of some stop sequence (buffer.length if none). */
  #firstPartial(buffer: string): number {
    const longest = Math.max(0, ...this.#stops.map((s) => s.length - 1));
    for (let i = Math.max(0, buffer.length - longest); i < buffer.length; i++) {
      const tail = buffer.slice(i);
      if (this.#stops.some((s) => s.length > tail.length && s.startsWith(tail))) return i;
    }
    return buffer.length;
  }
}
