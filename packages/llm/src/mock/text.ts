import { createPrng } from "../model/prng.js";

const words = (
  "the of and to in is that for it as with was on be by at this from are or an but not have which they you " +
  "one all were when there can more if no out so what up said about into than them only other new some could " +
  "time these two may then first any like now my such make over our even most after also made many did"
).split(" ");

/**
 * The mock tokenizer: one token per whitespace-led word (`" hello"`), so counts are easy to check by hand.
 *
 * @example
 * countMockTokens("Hello there, world"); // 3
 */
export function countMockTokens(text: string): number {
  return text.match(/\s*\S+/g)?.length ?? 0;
}

/**
 * Deterministic pseudo-text: `count` tokens (`" word"` each) drawn from a seeded generator, so equal inputs give
 * equal output on every run and every machine.
 *
 * @example
 * mockWords("decai-mock|Hi|seed=1", 4); // [" the", " were", " into", " all"] (for example)
 */
export function mockWords(seed: string, count: number): string[] {
  const next = createPrng(`decai-mock:${seed}`);
  return Array.from({ length: count }, () => ` ${words[next() % words.length]}`);
}

/**
 * A deterministic unit vector for `text`.
 *
 * @example
 * mockEmbedding("hello", 16).length; // 16
 */
export function mockEmbedding(text: string, dimensions: number): number[] {
  const next = createPrng(`decai-mock-embedding:${text}`);
  const v = Array.from({ length: dimensions }, () => next() / 2 ** 31 - 1);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}
