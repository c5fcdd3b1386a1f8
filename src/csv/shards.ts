/**
 * Splitting a CSV file into byte ranges at record boundaries, one per worker thread, without
 * reading the file: each cut reads one window of about `maxRecordBytes` after its target offset.
 *
 * The difficulty is quoting: an LF inside a quoted field is not a record boundary, and from the
 * middle of a file the quote parity (inside or outside a quoted field) is unknown. The rule used
 * here, for RFC 4180 input (scanner.ts dialect):
 *
 * 1. Along the window, the state flips at every quote, so it is known everywhere once it is
 *    known at one point. A run of quotes fixes it when a neighbour is an ordinary byte (not the
 *    delimiter, CR, LF or a quote):
 *    - `x"` : a quote cannot open a field after content, so the run starts INSIDE a field;
 *    - `"x` : a quote followed by content is an opening quote or an escaped one, so the run ends
 *      INSIDE a field.
 *    Only runs with structural bytes on both sides (`,"",`, `,"\n`) say nothing.
 * 2. Failing that, a stretch of `maxRecordBytes` bytes without a single quote after the target
 *    is OUTSIDE quotes: a quoted field covering it would make a record longer than the bound
 *    (the scanner rejects such records). A stretch that reaches the end of the file is OUTSIDE
 *    too (a valid file does not end inside quotes).
 * 3. The cut is just after the first LF at or after the target whose state is OUTSIDE. When the
 *    window proves nothing, that cut is dropped and its neighbours' shards merge: fewer shards,
 *    never a wrong one.
 *
 * Should the input break the assumptions anyway (a record over the bound, invalid quoting),
 * the damage is visible, not silent: the shard before a cut made inside quotes ends inside
 * quotes, which the strict scanner reports as CSV_QUOTE_NOT_CLOSED.
 */
import { promises as fsp } from 'node:fs';
import { ioError } from '../errors.js';
import { DEFAULT_MAX_RECORD_BYTES, delimiterByte } from './scanner.js';

export interface ByteRange {
  /** First byte (inclusive). The first range starts at 0 and so holds the BOM and the header. */
  start: number;
  /** Last byte (exclusive). */
  end: number;
}

export interface PlanShardsOptions {
  /** The file's delimiter (a byte or a one-character string); default `,`. */
  delimiter?: number | string;
  /** Bound on one record's length, the same as the scanner's; default 1 MiB. */
  maxRecordBytes?: number;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Plans up to `n` ranges that cover the file exactly, each starting at a record boundary.
 * Returns fewer when the file is small or a cut cannot be placed with certainty.
 */
export async function planShards(file: string, n: number, opts: PlanShardsOptions = {}): Promise<ByteRange[]> {
  const delim = delimiterByte(opts.delimiter);
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const size = (await fh.stat()).size;
    const cuts = [0];
    if (n > 1 && size > 0) {
      const head = Buffer.alloc(3);
      await fh.read(head, 0, 3, 0);
      const bomLen = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
      const window = Buffer.allocUnsafe(maxRecord + 2);
      for (let k = 1; k < n; k++) {
        const target = Math.floor((k * size) / n);
        const prev = cuts[cuts.length - 1];
        if (target <= prev || target <= bomLen) continue;
        const from = target - 1;
        const want = Math.min(window.length, size - from);
        const { bytesRead } = await fh.read(window, 0, want, from);
        const cut = findCut(window.subarray(0, bytesRead), from, target, size, bomLen, delim, maxRecord);
        if (cut > prev && cut < size) cuts.push(cut);
      }
    }
    const ranges: ByteRange[] = [];
    for (let i = 0; i < cuts.length; i++) {
      ranges.push({ start: cuts[i], end: i + 1 < cuts.length ? cuts[i + 1] : size });
    }
    return ranges;
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh.close();
  }
}

/**
 * The first sure record boundary at or after `target`, or -1. `w` holds the file from offset
 * `base` = target - 1 (one byte of left context).
 */
export function findCut(
  w: Uint8Array,
  base: number,
  target: number,
  size: number,
  bomLen: number,
  delim: number,
  maxRecord: number,
): number {
  const t = target - base; // index of the target in w
  const wEnd = w.length;
  const atEof = base + wEnd >= size;
  const structural = (b: number) => b === delim || b === LF || b === CR;

  // Find the state at t (0 outside, 1 inside) from the first informative quote run.
  let s0 = -1;
  let parity = 0;
  let firstQuote = -1;
  for (let i = t; i < wEnd; i++) {
    if (w[i] !== QUOTE) continue;
    if (firstQuote === -1) firstQuote = i;
    let j = i;
    while (j < wEnd && w[j] === QUOTE) j++;
    const k = j - i;
    const pAbs = base + i - 1;
    const p = w[i - 1];
    const pRegular = pAbs >= bomLen && p !== QUOTE && !structural(p);
    const fRegular = j < wEnd && !structural(w[j]);
    if (pRegular) {
      s0 = 1 ^ parity; // the run starts inside a field
      break;
    }
    if (fRegular) {
      s0 = (1 ^ (k & 1)) ^ parity; // the run ends inside a field
      break;
    }
    if (j === wEnd && atEof) {
      s0 = (k & 1) ^ parity; // the run ends the file, which ends outside quotes
      break;
    }
    parity ^= k & 1;
    i = j - 1;
  }

  let limit = wEnd;
  if (s0 === -1) {
    // Rule 2: a quote-free stretch longer than any record (or reaching the end) is outside.
    const stretch = (firstQuote === -1 ? wEnd : firstQuote) - t;
    const reachesEof = firstQuote === -1 && atEof;
    if (!(reachesEof || stretch >= maxRecord)) return -1;
    s0 = 0;
    limit = firstQuote === -1 ? wEnd : firstQuote;
  }

  // Walk from t tracking the state; cut after the first LF outside quotes.
  let state = s0;
  for (let i = t; i < limit; i++) {
    const b = w[i];
    if (b === QUOTE) state ^= 1;
    else if (b === LF && state === 0) return base + i + 1;
  }
  return -1;
}

/** The physical line (1-based) at a byte offset: counts LFs before it (reads the file up to
 *  there; meant for error messages from a shard that started without a known line). */
export async function lineAtOffset(file: string, offset: number): Promise<number> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let line = 1;
    let pos = 0;
    while (pos < offset) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(LF, 0); i !== -1 && i < bytesRead; i = buf.indexOf(LF, i + 1)) line++;
      pos += bytesRead;
    }
    return line;
  } finally {
    await fh.close();
  }
}
