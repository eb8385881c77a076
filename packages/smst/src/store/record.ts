import { crc32 } from "node:zlib";
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from "../encoding.js";
import type { SmstMutation } from "./types.js";
import { decodeZrle, encodeZrle, zrleSize } from "./zrle.js";

/**
 * Log format versions: 1 stores values raw, 2 may store a put's value zero-run encoded (docs/encoding.md).
 * A log keeps the version it was created with; new logs are version 2.
 */
export type LogVersion = 1 | 2;

/**
 * The version of new logs.
 *
 * @example
 * (await LogStore.open(freshPath)).version === LOG_VERSION; // true
 */
export const LOG_VERSION: LogVersion = 2;

/**
 * The first bytes of a log of `version`: "SMSTLOG" and the version byte.
 *
 * @example
 * logMagic(1); // Uint8Array "SMSTLOG\x01"
 */
export function logMagic(version: LogVersion): Uint8Array {
  return new Uint8Array([0x53, 0x4d, 0x53, 0x54, 0x4c, 0x4f, 0x47, version]);
}

/**
 * First bytes of every new log file: "SMSTLOG" and format version 2.
 *
 * @example
 * const isLog = LOG_MAGIC.every((b, i) => file[i] === b);
 */
export const LOG_MAGIC: Uint8Array = logMagic(LOG_VERSION);

/**
 * Bytes before a record's body: body length (uint32 BE) ‖ crc32 of the body (uint32 BE).
 *
 * @example
 * const bodySize = file.readUInt32BE(offset); // body starts at offset + RECORD_HEADER_SIZE
 */
export const RECORD_HEADER_SIZE = 8;

const OP_PUT = 1;
const OP_DELETE = 2;
/** Version 2 only: a put whose value is zero-run encoded. */
const OP_PUT_ZRLE = 3;
const PUT_HEAD = 1 + 2 + 8; // op, key length, weight
/** Largest body a record can have; a header claiming more is corrupt. */
export const MAX_BODY_SIZE = PUT_HEAD + MAX_KEY_SIZE + MAX_VALUE_SIZE;

/**
 * The most bytes {@link writePut} writes for a mutation with these sizes (a put's raw encoding).
 *
 * @example
 * scratch = Buffer.allocUnsafe(recordBound(key.length, value.length));
 */
export function recordBound(keyLength: number, valueLength: number): number {
  return RECORD_HEADER_SIZE + PUT_HEAD + keyLength + valueLength;
}

/**
 * Writes a put as a log record into `out` at `at` and returns where it ends. `out` needs
 * {@link recordBound} bytes of room. Version 2 stores the value zero-run encoded when that is shorter.
 *
 * @example
 * const end = writePut(scratch, 0, key, value, weight, 2);
 */
export function writePut(
  out: Buffer,
  at: number,
  key: Uint8Array,
  value: Uint8Array,
  weight: bigint,
  version: LogVersion,
): number {
  const bodyAt = at + RECORD_HEADER_SIZE;
  const weightAt = bodyAt + 3 + key.length;
  out.writeUInt16BE(key.length, bodyAt + 1);
  out.set(key, bodyAt + 3);
  // A DataView writes the bigint without the intermediate bigints of Buffer#writeBigUInt64BE.
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(weightAt, weight);
  let end = version === 2 ? encodeZrle(value, key, out, weightAt + 8) : -1;
  if (end < 0) {
    out[bodyAt] = OP_PUT;
    out.set(value, weightAt + 8);
    end = weightAt + 8 + value.length;
  } else {
    out[bodyAt] = OP_PUT_ZRLE;
  }
  return seal(out, at, end);
}

/**
 * Writes a delete as a log record into `out` at `at` and returns where it ends.
 *
 * @example
 * const end = writeDelete(scratch, 0, key);
 */
export function writeDelete(out: Buffer, at: number, key: Uint8Array): number {
  const bodyAt = at + RECORD_HEADER_SIZE;
  out[bodyAt] = OP_DELETE;
  out.writeUInt16BE(key.length, bodyAt + 1);
  out.set(key, bodyAt + 3);
  return seal(out, at, bodyAt + 3 + key.length);
}

/** Fills in the header of the record whose body ends at `end`. */
function seal(out: Buffer, at: number, end: number): number {
  const bodyAt = at + RECORD_HEADER_SIZE;
  out.writeUInt32BE(end - bodyAt, at);
  // A plain Uint8Array view: cheaper to make than the Buffer that subarray() would.
  out.writeUInt32BE(crc32(new Uint8Array(out.buffer, out.byteOffset + bodyAt, end - bodyAt)), at + 4);
  return end;
}

/**
 * Encodes one mutation as a log record of `version` (default: the current one):
 * `len ‖ crc32(body) ‖ body`, see docs/encoding.md.
 *
 * @example
 * const record = encodeRecord({ op: "delete", key });
 */
export function encodeRecord(mutation: SmstMutation, version: LogVersion = LOG_VERSION): Buffer {
  const out = Buffer.allocUnsafe(
    recordBound(mutation.key.length, mutation.op === "put" ? mutation.value.length : 0),
  );
  const end =
    mutation.op === "put"
      ? writePut(out, 0, mutation.key, mutation.value, mutation.weight, version)
      : writeDelete(out, 0, mutation.key);
  return out.subarray(0, end);
}

/**
 * A record parsed in place: where its key and stored value lie in the buffer it was read from.
 * `encoded` says that the stored value is zero-run encoded and `valueSize` is its decoded size.
 */
export type RecordView = {
  op: "put" | "delete";
  keyStart: number;
  keyEnd: number;
  weight: bigint;
  valueStart: number;
  valueEnd: number;
  encoded: boolean;
  valueSize: number;
  /** Offset just past the record. */
  end: number;
};

/**
 * Parses the record at `offset` in place, or returns undefined when the bytes there are not a whole record
 * of `version` with a matching checksum (a torn write or corruption).
 *
 * @example
 * const view = parseRecord(file, offset, 2);
 */
export function parseRecord(file: Buffer, offset: number, version: LogVersion): RecordView | undefined {
  if (file.length - offset < RECORD_HEADER_SIZE) return undefined;
  const bodySize = file.readUInt32BE(offset);
  const start = offset + RECORD_HEADER_SIZE;
  const end = start + bodySize;
  if (bodySize < 3 || bodySize > MAX_BODY_SIZE || end > file.length) return undefined;
  if (crc32(file.subarray(start, end)) !== file.readUInt32BE(offset + 4)) return undefined;
  const op = file[start] as number;
  const keyStart = start + 3;
  const keyEnd = keyStart + file.readUInt16BE(start + 1);
  if (op === OP_DELETE && keyEnd === end) {
    return {
      op: "delete",
      keyStart,
      keyEnd,
      weight: 0n,
      valueStart: end,
      valueEnd: end,
      encoded: false,
      valueSize: 0,
      end,
    };
  }
  const isPut = op === OP_PUT || (op === OP_PUT_ZRLE && version === 2);
  if (!isPut || keyEnd + 8 > end) return undefined;
  const valueStart = keyEnd + 8;
  const encoded = op === OP_PUT_ZRLE;
  const valueSize = encoded ? zrleSize(file, valueStart, end, keyEnd - keyStart) : end - valueStart;
  if (valueSize < 0 || valueSize > MAX_VALUE_SIZE) return undefined;
  const weight = file.readBigUInt64BE(keyEnd);
  return { op: "put", keyStart, keyEnd, weight, valueStart, valueEnd: end, encoded, valueSize, end };
}

/**
 * The value of a parsed put, decoded into `out` at `at` (room for `view.valueSize` bytes needed).
 *
 * @example
 * const value = new Uint8Array(view.valueSize);
 * readValueInto(file, view, value, 0);
 */
export function readValueInto(file: Buffer, view: RecordView, out: Uint8Array, at: number): void {
  if (!view.encoded) out.set(file.subarray(view.valueStart, view.valueEnd), at);
  else decodeZrle(file, view.valueStart, view.valueEnd, file.subarray(view.keyStart, view.keyEnd), out, at);
}

/**
 * The mutation of a parsed record, as fresh copies that outlive `file`.
 *
 * @example
 * const mutation = mutationOf(file, parseRecord(file, offset, 2));
 */
export function mutationOf(file: Buffer, view: RecordView): SmstMutation {
  const key = new Uint8Array(file.subarray(view.keyStart, view.keyEnd));
  if (view.op === "delete") return { op: "delete", key };
  const value = new Uint8Array(view.valueSize);
  readValueInto(file, view, value, 0);
  return { op: "put", key, value, weight: view.weight };
}

/** A record read back from a log: the mutation and the offset just past it. */
export type DecodedRecord = { mutation: SmstMutation; end: number };

/**
 * Decodes the record at `offset` of a log of `version` (default: the current one), or returns undefined
 * when the bytes there are not a whole record with a matching checksum. The key and value are copies.
 *
 * @example
 * for (let at = LOG_MAGIC.length, r; (r = decodeRecord(file, at)); at = r.end) apply(r.mutation);
 */
export function decodeRecord(
  file: Buffer,
  offset: number,
  version: LogVersion = LOG_VERSION,
): DecodedRecord | undefined {
  const view = parseRecord(file, offset, version);
  return view && { mutation: mutationOf(file, view), end: view.end };
}
