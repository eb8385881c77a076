// keccak-256 for the per-relay hot path. viem hashes with pure-JS noble (~24 µs for a relay's 256 bytes here);
// libkeccak through the native binding of the npm package `keccak` (a prebuilt N-API addon, no compiler) takes
// ~2 µs. Where the binding does not load, viem's implementation gives the same digests.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { keccak256 as portableKeccak256 } from "viem";

/** The native sponge: `initialize(rate, capacity)`, absorb, pad, squeeze. */
type KeccakState = {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
};

function loadNativeState(): KeccakState | undefined {
  try {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const State = load(dirname(require.resolve("keccak/package.json")));
    return typeof State === "function" ? new (State as new () => KeccakState)() : undefined;
  } catch {
    return undefined;
  }
}

// One state, reused: each call initialises, absorbs and squeezes synchronously, so calls never interleave.
const nativeState = loadNativeState();

/** Whether keccak-256 runs on the native binding (false: the portable fallback). */
export const nativeKeccak: boolean = nativeState !== undefined;

/**
 * keccak-256 of `data` (Ethereum's, not SHA3-256), as 32 bytes.
 * @internal
 *
 * @example
 * keccak256Bytes(new Uint8Array()); // c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
 */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  if (!nativeState) return portableKeccak256(data, "bytes");
  nativeState.initialize(1088, 512);
  nativeState.absorb(
    Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  );
  nativeState.absorbLastFewBits(0x01);
  return nativeState.squeeze(32);
}
