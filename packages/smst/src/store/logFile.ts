import { readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { SmstError } from "../errors.js";
import { LOG_MAGIC, type LogVersion, MAX_BODY_SIZE, RECORD_HEADER_SIZE } from "./record.js";

// File-level helpers of LogStore: the header, reading one record back, making a new file durable.

/** Bytes read at once when reading a record back: a relay's record fits. */
const READ_AHEAD = 1024;

/**
 * The bytes of the record at file offset `at` of the file open as `fd` (fewer at the end of the file): one
 * read for a record of up to 1 KiB, two for a larger one. The caller parses (and checks) them.
 *
 * @example
 * const view = parseRecord(readRecordAt(fd, ref), 0, version);
 */
export function readRecordAt(fd: number, at: number): Buffer {
  let bytes = Buffer.allocUnsafe(READ_AHEAD);
  let length = readSync(fd, bytes, 0, bytes.length, at);
  const size = length >= RECORD_HEADER_SIZE ? RECORD_HEADER_SIZE + bytes.readUInt32BE(0) : 0;
  if (size > length && length === bytes.length && size <= RECORD_HEADER_SIZE + MAX_BODY_SIZE) {
    const whole = Buffer.allocUnsafe(size);
    bytes.copy(whole, 0, 0, length);
    length += readSync(fd, whole, length, size - length, at + length);
    bytes = whole;
  }
  return bytes.subarray(0, length);
}

/**
 * The format version of a log whose first `length` bytes are `head`; throws when it is not a log this code reads.
 *
 * @example
 * const version = versionOf(head, bytesRead, path); // 1 or 2
 */
export function versionOf(head: Buffer, length: number, path: string): LogVersion {
  if (length < LOG_MAGIC.length || !LOG_MAGIC.subarray(0, 7).every((b, i) => head[i] === b)) {
    throw new SmstError(`${path} is not an SMST log`, "point the store at a file it wrote, or at a new path");
  }
  const version = head[7];
  if (version !== 1 && version !== 2) {
    throw new SmstError(
      `${path} is an SMST log of format version ${version}, which this code cannot read`,
      "open it with the version of @decai/smst that wrote it",
    );
  }
  return version;
}

/**
 * Makes the directory entry of a new file durable, where the platform allows.
 *
 * @example
 * await syncDirectory("data/session-42.smst");
 */
export async function syncDirectory(path: string): Promise<void> {
  // Makes the new directory entry durable; not every platform can open a directory, and that is fine.
  let dir: FileHandle | undefined;
  try {
    dir = await open(dirname(path), "r");
    await dir.sync();
  } catch {
    // best effort
  } finally {
    await dir?.close();
  }
}
