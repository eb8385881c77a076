/**
 * A minimal GGUF v3 writer: enough of the format (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md)
 * to emit llama.cpp-loadable models with F32 tensors. Everything is little-endian.
 */

/** A typed metadata value; GGUF stores the type tag next to each value, so the caller must choose it. */
export type GgufValue =
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: "string"; value: readonly string[] }
  | { type: "array"; itemType: "int32" | "uint32" | "float32"; value: readonly number[] };

/** One tensor: `shape` lists dimensions innermost first (ggml's `ne[0]` is the row length). */
export type GgufTensor = {
  name: string;
  shape: readonly number[];
  data: Float32Array;
};

/** Everything that goes into a GGUF file. */
export type GgufFile = {
  /** Key/value pairs in the order they are written (order is part of the bytes, so of the digest). */
  metadata: ReadonlyArray<readonly [key: string, value: GgufValue]>;
  tensors: readonly GgufTensor[];
  /** Data alignment in bytes; written as `general.alignment` when not the default 32. */
  alignment?: number;
};

const magic = 0x46554747; // "GGUF" read as a little-endian uint32
const version = 3;
const valueTypes = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
const ggmlTypeF32 = 0;
const encoder = new TextEncoder();

/**
 * Serialises a GGUF v3 file. The output depends only on the input, so equal inputs give equal bytes.
 *
 * @example
 * const bytes = writeGguf({
 *   metadata: [["general.architecture", { type: "string", value: "llama" }]],
 *   tensors: [{ name: "output_norm.weight", shape: [64], data: new Float32Array(64).fill(1) }],
 * });
 */
export function writeGguf({ metadata, tensors, alignment = 32 }: GgufFile): Uint8Array {
  const kvs = alignment === 32 ? metadata : [...metadata, ["general.alignment", u32(alignment)] as const];
  const writer = new ByteWriter();
  writer.u32(magic).u32(version).u64(tensors.length).u64(kvs.length);
  for (const [key, value] of kvs) {
    writer.str(key).u32(valueTypes[value.type]);
    writeValue(writer, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) {
      throw new Error(
        `tensor ${tensor.name}: shape [${tensor.shape.join(", ")}] needs ${elements} values, got ${tensor.data.length}`,
      );
    }
    writer.str(tensor.name).u32(tensor.shape.length);
    for (const dim of tensor.shape) writer.u64(dim);
    writer.u32(ggmlTypeF32).u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensor.data.byteLength, alignment);
  }
  writer.pad(alignment);
  const dataStart = writer.length;
  for (const [i, tensor] of tensors.entries()) {
    writer.pad(alignment);
    if (writer.length - dataStart !== offsets[i]) throw new Error(`tensor ${tensor.name}: offset mismatch`);
    writer.f32s(tensor.data);
  }
  return writer.bytes();
}

/** Shorthand for a `uint32` metadata value. @example u32(64) */
export const u32 = (value: number): GgufValue => ({ type: "uint32", value });
/** Shorthand for a `float32` metadata value. @example f32(1e-5) */
export const f32 = (value: number): GgufValue => ({ type: "float32", value });
/** Shorthand for a `string` metadata value. @example str("llama") */
export const str = (value: string): GgufValue => ({ type: "string", value });
/** Shorthand for a `bool` metadata value. @example bool(false) */
export const bool = (value: boolean): GgufValue => ({ type: "bool", value });

function writeValue(writer: ByteWriter, value: GgufValue): void {
  switch (value.type) {
    case "uint32":
      writer.u32(value.value);
      return;
    case "int32":
      writer.i32(value.value);
      return;
    case "float32":
      writer.f32(value.value);
      return;
    case "bool":
      writer.u8(value.value ? 1 : 0);
      return;
    case "string":
      writer.str(value.value);
      return;
    case "array":
      writer.u32(valueTypes[value.itemType]).u64(value.value.length);
      for (const item of value.value) {
        writeValue(writer, { type: value.itemType, value: item } as GgufValue);
      }
      return;
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Growable little-endian byte buffer. */
class ByteWriter {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, at + n));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len += n;
    return at;
  }

  u8(v: number): this {
    this.#view.setUint8(this.#reserve(1), v);
    return this;
  }
  u32(v: number): this {
    this.#view.setUint32(this.#reserve(4), v, true);
    return this;
  }
  i32(v: number): this {
    this.#view.setInt32(this.#reserve(4), v, true);
    return this;
  }
  f32(v: number): this {
    this.#view.setFloat32(this.#reserve(4), v, true);
    return this;
  }
  u64(v: number): this {
    this.#view.setBigUint64(this.#reserve(8), BigInt(v), true);
    return this;
  }
  str(s: string): this {
    const bytes = encoder.encode(s);
    this.u64(bytes.length);
    this.#buf.set(bytes, this.#reserve(bytes.length));
    return this;
  }
  f32s(data: Float32Array): this {
    const at = this.#reserve(data.byteLength);
    for (let i = 0; i < data.length; i++) this.#view.setFloat32(at + i * 4, data[i] as number, true);
    return this;
  }
  pad(alignment: number): this {
    const extra = alignUp(this.#len, alignment) - this.#len;
    this.#reserve(extra); // reserved bytes are already zero
    return this;
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
