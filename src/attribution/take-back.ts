/**
 * Taking back what a shard counted that an earlier shard holds.
 *
 * traceDump's workers each read their own shard and de-duplicate within it, with no pass over the
 * bytes before it. A record whose first row in a later shard comes after one of its rows in an
 * earlier shard was then counted where the single reader calls it a duplicate (the first row in
 * file order wins: trace-shard.ts). So a later shard keeps a log of the rows it counted: each
 * one's de-duplication bit (or canary), 4 bytes a row, and the byte offset of every 32nd. Once the
 * earlier shards are read, their bitmaps and canaries name the rows to take back; only the blocks
 * of the log that hold them are read again, and each such row's counting is undone exactly
 * (ReleaseCore.takeBack). The shard's state is then the one a claim pass would have given, and
 * the report is the single reader's.
 *
 * Most dumps have few such rows: the records a clean copy shares across a cut are those whose
 * 32-bit ids collide (about 1% of a 90M-row registry); a dump merged from several copies has many,
 * and then its later shards are read about twice, as a claim pass would have read them.
 */
import * as fs from 'node:fs';
import { RollmarkError, ioError } from '../errors.js';
import { CsvScanner, delimiterByte } from '../csv/scanner.js';
import type { ByteRange } from '../csv/shards.js';
import type { ReleaseCore } from './trace-core.js';
import type { ShardPlan } from './trace-plan.js';
import { RowFeeder, type RowLog } from './shard-read.js';

/** Counted rows a block of the log (a power of two): the offset of each block's first is kept. */
const STRIDE = 32;
const CHUNK = 1 << 20;
/** A re-read takes consecutive blocks up to about this many bytes at a time. */
const MAX_SPAN = 1 << 20;

/** What the shards before one hold, for one release: its bitmap and canaries, united. */
export interface EarlierRecords {
  seen: Uint8Array;
  canaries: Set<string>;
}

/** The rows one release's core counted in a shard, in order. */
export class CountedLog implements RowLog {
  private readonly chunks: Uint32Array[] = [];
  private current = new Uint32Array(CHUNK);
  private at = 0;
  /** Rows logged. */
  count = 0;
  /** Byte offset of counted row j * STRIDE. */
  readonly offsets: number[] = [];
  /** Counted rows that were canaries: ordinal -> canary key (their bit entry is unused). */
  readonly canaries = new Map<number, string>();

  /** Logs a counted row: its record's bit (or its canary) and its byte offset. */
  add(bit: number, canary: string | null, offset: number): void {
    const j = this.count;
    if ((j & (STRIDE - 1)) === 0) this.offsets.push(offset);
    if (canary !== null) this.canaries.set(j, canary);
    if (this.at === CHUNK) {
      this.chunks.push(this.current);
      this.current = new Uint32Array(CHUNK);
      this.at = 0;
    }
    this.current[this.at++] = bit;
    this.count = j + 1;
  }

  /** The bit of counted row j. */
  bit(j: number): number {
    const c = Math.floor(j / CHUNK);
    return c < this.chunks.length ? this.chunks[c][j % CHUNK] : this.current[j % CHUNK];
  }

  /** The ordinals of the counted rows the earlier shards hold, in order. */
  conflicts(earlier: EarlierRecords): Uint32Array {
    const seen = earlier.seen;
    const held = (bit: number): boolean => (seen[bit >>> 3] & (1 << (bit & 7))) !== 0;
    const parts = [...this.chunks, this.current.subarray(0, this.at)];
    // Counted first, then filled: a dump merged from copies can hold tens of millions.
    let n = 0;
    for (const chunk of parts) for (let i = 0; i < chunk.length; i++) if (held(chunk[i])) n++;
    const records = new Uint32Array(n);
    n = 0;
    let j = 0;
    for (const chunk of parts) {
      for (let i = 0; i < chunk.length; i++, j++) if (held(chunk[i]) && !this.canaries.has(j)) records[n++] = j;
    }
    const canaries = [...this.canaries].filter(([, key]) => earlier.canaries.has(key)).map(([k]) => k);
    if (canaries.length === 0) return records.subarray(0, n);
    canaries.sort((a, b) => a - b);
    const out = new Uint32Array(n + canaries.length);
    let a = 0;
    let b = 0;
    for (let o = 0; o < out.length; o++) out[o] = b === canaries.length || (a < n && records[a] < canaries[b]) ? records[a++] : canaries[b++];
    return out;
  }
}

/**
 * Takes back, in `core`, the rows of `range` its log shows were counted although an earlier
 * shard holds their record or canary. Returns how many rows were taken back.
 */
export function takeBackShard(plan: ShardPlan, core: ReleaseCore, log: CountedLog, range: ByteRange, earlier: EarlierRecords): number {
  const todo = log.conflicts(earlier);
  if (todo.length === 0) return 0;
  const block = (j: number): number => Math.floor(j / STRIDE);
  const blockStart = (b: number): number => log.offsets[b];
  const blockEnd = (b: number): number => (b + 1 < log.offsets.length ? log.offsets[b + 1] : range.end);
  let fd: number;
  try {
    fd = fs.openSync(plan.file, 'r');
  } catch (err) {
    throw ioError(err, plan.file);
  }
  try {
    let i = 0;
    while (i < todo.length) {
      // Consecutive blocks holding rows to take back are read in one go, up to MAX_SPAN bytes.
      const first = block(todo[i]);
      let last = first;
      let k = i + 1;
      while (k < todo.length) {
        const b = block(todo[k]);
        if (b > last + 1 || blockEnd(b) - blockStart(first) > MAX_SPAN) break;
        last = b;
        k++;
      }
      const start = blockStart(first);
      const bytes = readSpan(fd, plan.file, start, blockEnd(last));
      walk(plan, core, log, bytes, start, first * STRIDE, todo, i, k);
      i = k;
    }
  } finally {
    fs.closeSync(fd);
  }
  return todo.length;
}

function readSpan(fd: number, file: string, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let got = 0;
  try {
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
  } catch (err) {
    throw ioError(err, file);
  }
  return buf.subarray(0, got);
}

/**
 * Walks the rows of `bytes` (starting at counted row `ordinal`) as the shard's read saw them, and
 * takes back the counted rows todo[from..to).
 */
function walk(plan: ShardPlan, core: ReleaseCore, log: CountedLog, bytes: Buffer, offset: number, ordinal: number, todo: Uint32Array, from: number, to: number): void {
  let j = ordinal;
  let t = from;
  const visit = (): void => {
    if (t === to) return;
    const view = feeder.view;
    if (!core.isCountedRow(view, log.bit(j), log.canaries.get(j) ?? null)) return;
    if (j === todo[t]) {
      core.takeBack(view);
      t++;
    }
    j++;
  };
  // Rows are decoded, skipped and rejected as in the shard's read: the same feeder, not counting.
  const feeder = new RowFeeder(plan.dialect, [], { visit }, { rows: 0, rowsRejected: 0, rejectedExamples: [] }, false);
  const scanner = new CsvScanner({ delimiter: delimiterByte(plan.dialect.delimiter), file: plan.file, startOffset: offset, onMalformed: feeder.malformed });
  feeder.chunk(bytes);
  scanner.push(bytes, feeder.record);
  scanner.end(feeder.record);
  if (t !== to) throw new RollmarkError('INTERNAL', `take-back lost its place in bytes [${offset}, ${offset + bytes.length}): ${to - t} rows not found`);
}

/**
 * The records of the shards before one, united in shard order: add each shard's (ShardRun
 * `records`) in turn, and `get` gives what the next one takes back against.
 */
export class EarlierUnion {
  private acc: EarlierRecords[] | null = null;

  /** Adds the next shard's records. The first shard's bitmaps are taken over, not copied. */
  add(records: { seen: Uint8Array; canaries: string[] }[]): void {
    if (this.acc === null) {
      this.acc = records.map((r) => ({ seen: r.seen, canaries: new Set(r.canaries) }));
      return;
    }
    this.acc.forEach((a, i) => {
      orInto(a.seen, records[i].seen);
      for (const c of records[i].canaries) a.canaries.add(c);
    });
  }

  get(): EarlierRecords[] {
    if (this.acc === null) throw new RollmarkError('INTERNAL', 'no shard records to take back against');
    return this.acc;
  }
}

function orInto(a: Uint8Array, b: Uint8Array): void {
  if (a.length !== b.length) throw new RollmarkError('INTERNAL', 'shard bitmaps differ in size');
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const a32 = new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
    const b32 = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
    for (let i = 0; i < a32.length; i++) a32[i] |= b32[i];
    return;
  }
  for (let i = 0; i < a.length; i++) a[i] |= b[i];
}
