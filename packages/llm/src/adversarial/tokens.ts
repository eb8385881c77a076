import type { LlamaModel } from "node-llama-cpp";
import type { Backend } from "../backend.js";

/** Splits and counts text the way the wrapped backend's model would, when it exposes its tokenizer. */
export type TextTokenizer = {
  /** Tokens of `text` (no special tokens). */
  count(text: string): number;
  /** `text` cut at token boundaries (one piece per token), for streaming it one token per chunk. */
  pieces(text: string): string[];
};

/**
 * The tokenizer of an embedded backend (`llamaModel`), else a ~4-characters-per-token approximation.
 *
 * @example
 * tokenizerOf(embedded).count("Hello there"); // 3
 */
export function tokenizerOf(backend: Backend): TextTokenizer {
  const model = (backend as { llamaModel?: LlamaModel }).llamaModel;
  if (!model) return approximate;
  return {
    count: (text) => (text === "" ? 0 : model.tokenize(text, false).length),
    pieces(text) {
      if (text === "") return [];
      const pieces = model.tokenize(text, false).map((token) => model.detokenize([token]));
      // Multi-byte characters split across tokens do not detokenize one by one: fall back to fixed chunks.
      return pieces.join("") === text ? pieces : approximate.pieces(text);
    },
  };
}

const approximate: TextTokenizer = {
  count: (text) => Math.ceil(Buffer.byteLength(text) / 4),
  pieces(text) {
    const out: string[] = [];
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i += 4) out.push(chars.slice(i, i + 4).join(""));
    return out;
  },
};
