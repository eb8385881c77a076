import { bool, f32, type GgufTensor, type GgufValue, str, u32, writeGguf } from "./gguf.js";
import { createPrng, uniformArray } from "./prng.js";
import { buildTinyVocab, chatMlTemplate } from "./vocab.js";

/** Shape and seed of a generated tiny llama model. */
export type TinyModelOptions = {
  /** Anything stringifiable; the same seed gives the same bytes. Default `1`. */
  seed?: string | number;
  /** Default 64. */
  embeddingLength?: number;
  /** Default 2. */
  blockCount?: number;
  /** Default 4 (head dimension = embeddingLength / headCount). */
  headCount?: number;
  /** Default 2 (grouped-query attention, as in most current llama-style models). */
  headCountKv?: number;
  /** Default 192. */
  feedForwardLength?: number;
  /** Default 512. */
  contextLength?: number;
};

/** The defaults of {@link TinyModelOptions}: about 500 KB of F32 weights. */
export const tinyModelDefaults = {
  seed: 1,
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 192,
  contextLength: 512,
} as const satisfies Required<TinyModelOptions>;

// Residual dimension 0 is held at a constant (nothing writes to it), so after RMS norm it is a positive "bias"
// input that the output layer uses to push non-printable and control tokens far down: the random model then
// babbles printable ASCII instead of invalid UTF-8.
const biasValue = 3;
const suppressed = -6;

/**
 * Builds a llama-architecture GGUF with random weights and a byte-level BPE vocabulary, deterministically from
 * `seed`. It loads in llama.cpp and generates (meaningless) text, so everything runs offline with real inference.
 *
 * @example
 * const bytes = buildTinyModel({ seed: 1 });
 * await writeFile("tiny.gguf", bytes);
 */
export function buildTinyModel(options: TinyModelOptions = {}): Uint8Array {
  const o = { ...tinyModelDefaults, ...options };
  const { embeddingLength: embd, blockCount, headCount, headCountKv, feedForwardLength: ff } = o;
  if (embd % headCount !== 0 || headCount % headCountKv !== 0) {
    throw new RangeError("embeddingLength must divide by headCount, and headCount by headCountKv");
  }
  const headDim = embd / headCount;
  const kvDim = headDim * headCountKv;
  const vocab = buildTinyVocab();
  const nVocab = vocab.tokens.length;
  const next = createPrng(`decai-tiny-model:${o.seed}`);
  const ones = (n: number) => new Float32Array(n).fill(1);
  // Linear layers are stored [in, out] (ggml's ne0 = input length); uniform(+-sqrt(3/in)) keeps unit variance.
  const linear = (inDim: number, outDim: number, zeroOutputRow0 = false): Float32Array => {
    const w = uniformArray(next, inDim * outDim, Math.sqrt(3 / inDim));
    if (zeroOutputRow0) w.fill(0, 0, inDim); // output row 0 (the bias dimension) stays untouched
    return w;
  };

  const tokenEmbd = uniformArray(next, embd * nVocab, 1);
  for (let t = 0; t < nVocab; t++) tokenEmbd[t * embd] = biasValue;
  const tensors: GgufTensor[] = [{ name: "token_embd.weight", shape: [embd, nVocab], data: tokenEmbd }];
  for (let i = 0; i < blockCount; i++) {
    const blk = `blk.${i}`;
    tensors.push(
      { name: `${blk}.attn_norm.weight`, shape: [embd], data: ones(embd) },
      { name: `${blk}.attn_q.weight`, shape: [embd, embd], data: linear(embd, embd) },
      { name: `${blk}.attn_k.weight`, shape: [embd, kvDim], data: linear(embd, kvDim) },
      { name: `${blk}.attn_v.weight`, shape: [embd, kvDim], data: linear(embd, kvDim) },
      { name: `${blk}.attn_output.weight`, shape: [embd, embd], data: linear(embd, embd, true) },
      { name: `${blk}.ffn_norm.weight`, shape: [embd], data: ones(embd) },
      { name: `${blk}.ffn_gate.weight`, shape: [embd, ff], data: linear(embd, ff) },
      { name: `${blk}.ffn_up.weight`, shape: [embd, ff], data: linear(embd, ff) },
      { name: `${blk}.ffn_down.weight`, shape: [ff, embd], data: linear(ff, embd, true) },
    );
  }
  // Logits of printable tokens spread over a few units so temperature matters; others sit far below.
  const output = uniformArray(next, embd * nVocab, 0.6);
  for (let t = 0; t < nVocab; t++) {
    if (vocab.printable.has(t)) output[t * embd] = 0;
    else output.fill(0, t * embd, (t + 1) * embd).fill(suppressed, t * embd, t * embd + 1);
  }
  output.fill(0, vocab.eos * embd, (vocab.eos + 1) * embd); // end-of-turn: rare, not impossible
  tensors.push(
    { name: "output_norm.weight", shape: [embd], data: ones(embd) },
    { name: "output.weight", shape: [embd, nVocab], data: output },
  );

  const metadata: Array<readonly [string, GgufValue]> = [
    ["general.architecture", str("llama")],
    ["general.name", str(`decai-tiny-${o.seed}`)],
    ["general.file_type", u32(0)], // all F32
    ["llama.context_length", u32(o.contextLength)],
    ["llama.embedding_length", u32(embd)],
    ["llama.block_count", u32(blockCount)],
    ["llama.feed_forward_length", u32(ff)],
    ["llama.attention.head_count", u32(headCount)],
    ["llama.attention.head_count_kv", u32(headCountKv)],
    ["llama.rope.dimension_count", u32(headDim)],
    ["llama.rope.freq_base", f32(10000)],
    ["llama.attention.layer_norm_rms_epsilon", f32(1e-5)],
    ["llama.vocab_size", u32(nVocab)],
    ["tokenizer.ggml.model", str("gpt2")],
    ["tokenizer.ggml.pre", str("gpt-2")],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: vocab.tokens }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "int32", value: vocab.types }],
    ["tokenizer.ggml.merges", { type: "array", itemType: "string", value: vocab.merges }],
    ["tokenizer.ggml.bos_token_id", u32(vocab.bos)],
    ["tokenizer.ggml.eos_token_id", u32(vocab.eos)],
    ["tokenizer.ggml.padding_token_id", u32(vocab.bos)],
    ["tokenizer.ggml.add_bos_token", bool(false)],
    ["tokenizer.chat_template", str(chatMlTemplate)],
  ];
  return writeGguf({ metadata, tensors });
}
