import { readSync } from "node:fs";
import {
  type LogVersion,
  MAX_BODY_SIZE,
  parseRecord,
  RECORD_HEADER_SIZE,
  type RecordView,
} from "./record.js";

/** One record met by {@link scanRecords}: its view into `buffer`, and its offset in the file. */
export type ScannedRecord = { buffer: Buffer; view: RecordView; offset: number };

const CHUNK_SIZE = 1 << 20;

/**
 * Reads the records of a log from file offset `from` on, in order, through a buffer of about 1 MiB (more only
 * for a record that does not fit), so that replaying a large log does not load it whole. Stops at the end of
 * the file or at the first record that is incomplete, fails its checksum or does not parse; returns the
 * offset just past the last good record. A yielded record is valid until the next step: its buffer is reused.
 *
 * @example
 * const records = scanRecords(fd, 2, LOG_MAGIC.length);
 * for (let r = records.next(); !r.done; r = records.next()) count++;
 */
export function* scanRecords(
  fd: number,
  version: LogVersion,
  from: number,
): Generator<ScannedRecord, number> {
  let buffer = Buffer.allocUnsafeSlow(CHUNK_SIZE);
  let base = from; // file offset of buffer[0]
  let length = 0; // bytes of the file in buffer
  let at = 0; // the next record, in buffer
  let eof = false;
  // Makes `need` bytes from `at` available, unless the file ends first.
  const fill = (need: number): boolean => {
    while (length - at < need && !eof) {
      if (at > 0) {
        buffer.copyWithin(0, at, length);
        length -= at;
        base += at;
        at = 0;
      }
      if (need > buffer.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, 2 * buffer.length));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, base + length);
      if (read === 0) eof = true;
      length += read;
    }
    return length - at >= need;
  };
  for (;;) {
    if (!fill(RECORD_HEADER_SIZE)) break;
    const bodySize = buffer.readUInt32BE(at);
    if (bodySize > MAX_BODY_SIZE || !fill(RECORD_HEADER_SIZE + bodySize)) break;
    // Only bytes [0, length) are the file's: parse a view that ends there.
    const view = parseRecord(length === buffer.length ? buffer : buffer.subarray(0, length), at, version);
    if (!view) break;
    yield { buffer, view, offset: base + at };
    at = view.end;
  }
  return base + at;
}
