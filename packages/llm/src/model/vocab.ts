/**
 * The tiny model's tokenizer: GPT-2 style byte-level BPE. The 256 byte tokens make every string encodable and
 * every token decodable to exact bytes; a fixed list of merges makes tokenization non-trivial (a word is not
 * simply one token per byte), which keeps usage tests honest; ChatML control tokens carry the chat template.
 */

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const tokenType = { normal: 1, control: 3 } as const;

/** The control tokens, in vocabulary order after the bytes and merges. */
export const specialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** A ChatML template (the jinja that llama.cpp and node-llama-cpp read from `tokenizer.chat_template`). */
export const chatMlTemplate =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Pairs merged in rank order; later ones may use earlier results ("Ġt" + "he" -> "Ġthe").
const mergePairs: ReadonlyArray<readonly [string, string]> = [
  ["Ġ", "t"],
  ["h", "e"],
  ["i", "n"],
  ["e", "r"],
  ["a", "n"],
  ["Ġ", "a"],
  ["o", "n"],
  ["r", "e"],
  ["Ġ", "s"],
  ["e", "n"],
  ["Ġ", "w"],
  ["o", "r"],
  ["a", "t"],
  ["Ġ", "o"],
  ["e", "s"],
  ["Ġ", "c"],
  ["i", "s"],
  ["i", "t"],
  ["Ġ", "b"],
  ["Ġ", "f"],
  ["a", "r"],
  ["Ġ", "p"],
  ["e", "d"],
  ["Ġ", "m"],
  ["Ġt", "he"],
  ["in", "g"],
  ["Ġ", "d"],
  ["o", "u"],
  ["Ġ", "h"],
  ["Ġa", "n"],
  ["l", "l"],
  ["Ġ", "i"],
  ["Ġan", "d"],
  ["Ġt", "o"],
  ["Ġo", "f"],
  ["Ġi", "n"],
  ["Ġ", "l"],
  ["Ġ", "n"],
  ["Ġ", "e"],
  ["l", "e"],
  ["Ġ", "r"],
  ["s", "t"],
  ["a", "l"],
  ["Ġ", "y"],
  ["o", "m"],
  ["Ġ", "g"],
  ["Ġthe", "r"],
  ["Ġi", "s"],
  ["Ġ", "T"],
  ["Ġ", "I"],
  ["Ġ", "S"],
  ["Ġ", "A"],
  ["i", "on"],
  ["Ġt", "h"],
  ["en", "t"],
  ["Ġb", "e"],
];

/** GPT-2's reversible byte -> printable-character map, so that every byte is a visible vocabulary symbol. */
export function byteToUnicode(): string[] {
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : next++);
  }
  return table;
}

/** The tiny vocabulary: token strings, their llama.cpp types, the merges, and the ids of the control tokens. */
export type TinyVocab = {
  tokens: string[];
  types: number[];
  merges: string[];
  /** Token ids whose text is printable ASCII (bytes 0x20-0x7e or merges of them): the only ones the model emits. */
  printable: Set<number>;
  bos: number;
  eos: number;
};

/**
 * Builds the byte-level vocabulary: 256 byte tokens, then one token per merge, then the control tokens.
 *
 * @example
 * const vocab = buildTinyVocab();
 * vocab.tokens[vocab.eos]; // "<|im_end|>"
 */
export function buildTinyVocab(): TinyVocab {
  const bytes = byteToUnicode();
  const tokens = [...bytes];
  const types: number[] = tokens.map(() => tokenType.normal);
  const printable = new Set<number>();
  for (let b = 0x20; b <= 0x7e; b++) printable.add(b);
  for (const [a, b] of mergePairs) {
    if (!tokens.includes(a) || !tokens.includes(b)) throw new Error(`merge ${a} ${b} uses an unknown token`);
    printable.add(tokens.length);
    tokens.push(a + b);
    types.push(tokenType.normal);
  }
  const merges = mergePairs.map(([a, b]) => `${a} ${b}`);
  const first = tokens.length;
  for (const special of specialTokens) {
    tokens.push(special);
    types.push(tokenType.control);
  }
  return { tokens, types, merges, printable, bos: first, eos: first + 2 };
}
