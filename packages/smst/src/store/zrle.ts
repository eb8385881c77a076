// Zero-run encoding of log values (log format version 2, see docs/encoding.md). A relay's canonical ABI
// encoding is about half zero padding (addresses and small integers left-padded to 32-byte words, signatures
// right-padded) and carries its own relay hash, which is also its tree key: runs of zeros become one byte, the
// key becomes one byte, everything else is copied. Zero runs and literals are scanned and copied four bytes at
// a time where they can be (about 1 µs for a relay, less than a byte-by-byte copy loop).
//
//   token = 0x00..0x7F  literal: the next c + 1 bytes (1..128)
//         | 0x80..0xFE  c - 0x7F zero bytes (1..127)
//         | 0xFF        the record's key

const MAX_LITERAL = 128;
const MAX_ZERO_RUN = 127;
const ZERO_BASE = 0x7f;
const KEY_TOKEN = 0xff;
/** Shorter keys are not worth a token of their own (and a one-byte key would match too often). */
const MIN_KEY_COPY = 4;

/**
 * Encodes `value` into `out` from `at` and returns where the encoding ends, or -1 when it would not be
 * shorter than the value itself (store it raw then). Writes at most `value.length - 1` bytes, so `out` needs
 * no more room than the raw value.
 *
 * @example
 * const end = encodeZrle(value, key, scratch, 0);
 * const stored = end < 0 ? value : scratch.subarray(0, end);
 */
export function encodeZrle(value: Uint8Array, key: Uint8Array, out: Uint8Array, at: number): number {
  const n = value.length;
  const limit = at + n - 1; // the encoding must end by here: strictly shorter than the value
  const keyLength = key.length;
  const keyLead = leadingZeros(key);
  const copyKey = keyLength >= MIN_KEY_COPY && keyLead < keyLength;
  const key0 = copyKey ? (key[0] as number) : 0x100; // 0x100 matches no byte
  const key0x4 = copyKey ? Math.imul(key0, 0x01010101) : 0;
  // Words of 4 bytes where a byte-by-byte loop is not needed: zero runs and literals without zeros or key0.
  const values = new DataView(value.buffer, value.byteOffset, n);
  const outs = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = at;
  let i = 0;
  while (i < n) {
    if (value[i] === key0 && i + keyLength <= n && matches(value, i, key, 0)) {
      if (o >= limit) return -1;
      out[o++] = KEY_TOKEN;
      i += keyLength;
      continue;
    }
    if (value[i] === 0 && i + 1 < n && value[i + 1] === 0) {
      let j = i + 2;
      while (j + 4 <= n && values.getUint32(j) === 0) j += 4;
      while (j < n && value[j] === 0) j++;
      // A key that starts with zeros (a relay hash under a difficulty target does) may end this run.
      if (keyLead > 0 && copyKey && j - i >= keyLead && j - keyLead + keyLength <= n) {
        if (matches(value, j, key, keyLead)) j -= keyLead;
      }
      for (let run = j - i; run > 0; run -= MAX_ZERO_RUN) {
        if (o >= limit) return -1;
        out[o++] = ZERO_BASE + Math.min(run, MAX_ZERO_RUN);
      }
      i = j;
      continue;
    }
    // A literal: copy bytes up to the next run of zeros or key, at most 128, and no further than `limit`.
    const control = o++;
    const first = i;
    let stop = Math.min(n, i + MAX_LITERAL);
    if (stop - i > limit - o) stop = i + limit - o;
    while (i < stop) {
      if (i + 4 <= stop) {
        const w = values.getUint32(i);
        const k = w ^ key0x4;
        // No zero byte and no byte equal to key0 in these four: copy them at once.
        const zeroOrKey0 = ((w - 0x01010101) & ~w) | ((k - 0x01010101) & ~k);
        if ((zeroOrKey0 & 0x80808080) === 0) {
          outs.setUint32(o, w);
          o += 4;
          i += 4;
          continue;
        }
      }
      const b = value[i] as number;
      if (b === 0 && i + 1 < n && value[i + 1] === 0) break;
      if (b === key0 && i + keyLength <= n && matches(value, i, key, 0)) break;
      out[o++] = b;
      i++;
    }
    if (i === first) return -1; // no room left
    out[control] = i - first - 1;
  }
  return o <= limit ? o : -1; // only an empty value gets here with o past the limit
}

/**
 * The size of the value that `data[start, end)` decodes to, or -1 when it is not a well-formed encoding
 * (a literal runs past `end`).
 *
 * @example
 * const size = zrleSize(record, payloadStart, record.length, key.length);
 */
export function zrleSize(data: Uint8Array, start: number, end: number, keyLength: number): number {
  let size = 0;
  for (let i = start; i < end; ) {
    const c = data[i++] as number;
    if (c < 0x80) {
      i += c + 1;
      if (i > end) return -1;
      size += c + 1;
    } else size += c === KEY_TOKEN ? keyLength : c - ZERO_BASE;
  }
  return size;
}

/**
 * Decodes `data[start, end)` into `out` from `at` (which must have room for {@link zrleSize} bytes), filling
 * zero runs and key copies. Returns where the value ends in `out`.
 *
 * @example
 * const value = new Uint8Array(zrleSize(data, start, end, key.length));
 * decodeZrle(data, start, end, key, value, 0);
 */
export function decodeZrle(
  data: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  out: Uint8Array,
  at: number,
): number {
  const from = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const to = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = at;
  for (let i = start; i < end; ) {
    const c = data[i++] as number;
    if (c < 0x80) {
      const stop = i + c + 1;
      for (; i + 4 <= stop; i += 4, o += 4) to.setUint32(o, from.getUint32(i));
      while (i < stop) out[o++] = data[i++] as number;
    } else if (c === KEY_TOKEN) {
      out.set(key, o);
      o += key.length;
    } else {
      out.fill(0, o, o + c - ZERO_BASE);
      o += c - ZERO_BASE;
    }
  }
  return o;
}

function leadingZeros(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return i;
}

/** Whether `value[at - from, at - from + key.length)` is `key`, comparing from key byte `from` on. */
function matches(value: Uint8Array, at: number, key: Uint8Array, from: number): boolean {
  const base = at - from;
  for (let k = from; k < key.length; k++) if (value[base + k] !== key[k]) return false;
  return true;
}
