import { crc32 } from "node:zlib";
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from "../encoding.js";
import type { SmstMutation } from "./types.js";

/**
 * First bytes of every log file: "SMSTLOG" and format version 1.
 *
 * @example
 * const isLog = LOG_MAGIC.every((b, i) => file[i] === b);
 */
export const LOG_MAGIC: Uint8Array = new Uint8Array([0x53, 0x4d, 0x53, 0x54, 0x4c, 0x4f, 0x47, 0x01]);

/**
 * Bytes before a record's body: body length (uint32 BE) ‖ crc32 of the body (uint32 BE).
 *
 * @example
 * const bodySize = file.readUInt32BE(offset); // body starts at offset + RECORD_HEADER_SIZE
 */
export const RECORD_HEADER_SIZE = 8;

const OP_PUT = 1;
const OP_DELETE = 2;
const MAX_BODY_SIZE = 1 + 2 + MAX_KEY_SIZE + 8 + MAX_VALUE_SIZE;

/**
 * Encodes one mutation as a log record: `len ‖ crc32(body) ‖ body`, with
 * body = `op (1 put, 2 delete) ‖ keyLen (uint16 BE) ‖ key ‖ [weight (uint64 BE) ‖ value]`.
 *
 * @example
 * const record = encodeRecord({ op: "delete", key });
 */
export function encodeRecord(mutation: SmstMutation): Buffer {
  const { key } = mutation;
  const bodySize = 3 + key.length + (mutation.op === "put" ? 8 + mutation.value.length : 0);
  const record = Buffer.allocUnsafe(RECORD_HEADER_SIZE + bodySize);
  record.writeUInt32BE(bodySize, 0);
  let offset = RECORD_HEADER_SIZE;
  record[offset++] = mutation.op === "put" ? OP_PUT : OP_DELETE;
  record.writeUInt16BE(key.length, offset);
  record.set(key, offset + 2);
  offset += 2 + key.length;
  if (mutation.op === "put") {
    record.writeBigUInt64BE(mutation.weight, offset);
    record.set(mutation.value, offset + 8);
  }
  record.writeUInt32BE(crc32(record.subarray(RECORD_HEADER_SIZE)), 4);
  return record;
}

/** A record read back from a log: the mutation and the offset just past it. */
export type DecodedRecord = { mutation: SmstMutation; end: number };

/**
 * Decodes the record at `offset`, or returns undefined when the bytes there are not a whole record with
 * a matching checksum (a torn write or corruption). The mutation's key and value are plain
 * Uint8Array copies, so the file buffer can be dropped.
 *
 * @example
 * for (let at = LOG_MAGIC.length, r; (r = decodeRecord(file, at)); at = r.end) apply(r.mutation);
 */
export function decodeRecord(file: Buffer, offset: number): DecodedRecord | undefined {
  if (file.length - offset < RECORD_HEADER_SIZE) return undefined;
  const bodySize = file.readUInt32BE(offset);
  const start = offset + RECORD_HEADER_SIZE;
  const end = start + bodySize;
  if (bodySize < 3 || bodySize > MAX_BODY_SIZE || end > file.length) return undefined;
  const body = file.subarray(start, end);
  if (crc32(body) !== file.readUInt32BE(offset + 4)) return undefined;
  const keySize = body.readUInt16BE(1);
  const key = new Uint8Array(body.subarray(3, 3 + keySize));
  if (body[0] === OP_DELETE && bodySize === 3 + keySize) return { mutation: { op: "delete", key }, end };
  if (body[0] === OP_PUT && bodySize >= 3 + keySize + 8) {
    const weight = body.readBigUInt64BE(3 + keySize);
    return {
      mutation: { op: "put", key, value: new Uint8Array(body.subarray(3 + keySize + 8)), weight },
      end,
    };
  }
  return undefined;
}
