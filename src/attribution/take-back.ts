/**
 * Taking back what a shard counted that an earlier shard holds.
 *
 * traceDump's workers each read their own shard and de-duplicate within it, with no pass over the
 * bytes before it. A record whose first row in a later shard comes after one of its rows in an
 * earlier shard was then counted where the single reader calls it a duplicate (the first row in
 * file order wins: trace-shard.ts). So a later shard keeps a log of the rows it counted: each
 * one's record id (or canary), 4 bytes a row, its group as runs, and the byte offset of every
 * 8th. Once the earlier shards are read, their bitmaps and canaries name the rows to take back.
 * A record outside the scored share added only counts, which the log gives back; a scored record
 * or a canary added marks, so the block of the log that holds it is read again and its counting
 * undone exactly (ReleaseCore.takeBack). The shard's state is then the one a claim pass would have
 * given, and the report is the single reader's.
 *
 * Most dumps have few such rows: the records a clean copy shares across a cut are those whose
 * 32-bit ids collide (about 1% of a 90M-row registry); a dump merged from several copies has many,
 * and then the scored records of its later shards are read about twice.
 */
import * as fs from 'node:fs';
import { RollmarkError, ioError } from '../errors.js';
import { CsvScanner, delimiterByte } from '../csv/scanner.js';
import type { ByteRange } from '../csv/shards.js';
import type { ReleaseCore } from './trace-core.js';
import type { ShardPlan } from './trace-plan.js';
import { RowFeeder, type RowLog } from './shard-read.js';

/** Counted rows a block of the log (a power of two): the offset of each block's first is kept. */
const STRIDE = 8;
const CHUNK = 1 << 20;
/** A re-read takes consecutive blocks up to about this many bytes at a time. */
const MAX_SPAN = 1 << 20;
/**
 * Group runs kept at most (about 60 bytes each): a sorted dump has a few a section, a shuffled one
 * one a row. Past this the log stops keeping them, and every row taken back is read again.
 */
const MAX_RUNS = 1 << 20;

/** A release's de-duplication bitmap and canaries after a shard, as a shard hands them on. */
export interface ShardRecords {
  seen: Uint8Array;
  canaries: string[];
}

/** What the shards before one hold, for one release: its bitmap and canaries, united. */
export interface EarlierRecords {
  seen: Uint8Array;
  canaries: Set<string>;
}

/** Numbers appended in typed-array chunks: no slack and no copying as the log grows. */
class Chunked<A extends Uint32Array | Float64Array> {
  private readonly full: A[] = [];
  private current: A;
  private at = 0;

  constructor(private readonly make: (n: number) => A) {
    this.current = make(CHUNK);
  }

  push(v: number): void {
    if (this.at === CHUNK) {
      this.full.push(this.current);
      this.current = this.make(CHUNK);
      this.at = 0;
    }
    this.current[this.at++] = v;
  }

  get(i: number): number {
    const c = Math.floor(i / CHUNK);
    return c < this.full.length ? this.full[c][i % CHUNK] : this.current[i % CHUNK];
  }

  get length(): number {
    return this.full.length * CHUNK + this.at;
  }

  /** The values, chunk by chunk. */
  parts(): A[] {
    return [...this.full, this.current.subarray(0, this.at) as A];
  }
}

/** The rows one release's core counted in a shard, in order. */
export class CountedLog implements RowLog {
  private readonly ids = new Chunked((n) => new Uint32Array(n));
  /** Byte offset of counted row j * STRIDE. */
  private readonly offsets = new Chunked((n) => new Float64Array(n));
  /** Rows logged. */
  count = 0;
  /** Counted rows that were canaries: ordinal -> canary key (their id entry is unused). */
  readonly canaries = new Map<number, string>();
  /** Group runs: from counted row runStart[i] on, record rows are of group runGroup[i]. */
  private readonly runStart: number[] = [];
  private readonly runGroup: (string | null)[] = [];
  private runsLost = false;

  /** Logs a counted row: its record id (or canary), its group, and its byte offset. */
  add(recordId: number, canary: string | null, group: string | null, offset: number): void {
    const j = this.count;
    if ((j & (STRIDE - 1)) === 0) this.offsets.push(offset);
    if (canary !== null) this.canaries.set(j, canary);
    else if (!this.runsLost && group !== this.runGroup[this.runGroup.length - 1]) {
      if (this.runStart.length === MAX_RUNS) this.runsLost = true;
      else {
        this.runStart.push(j);
        this.runGroup.push(group);
      }
    }
    this.ids.push(recordId);
    this.count = j + 1;
  }

  /** The record id of counted row j. */
  id(j: number): number {
    return this.ids.get(j);
  }

  /** The byte offsets where the block of counted row j starts and the next block starts (or `end`). */
  block(j: number, end: number): { start: number; next: number } {
    const b = Math.floor(j / STRIDE);
    return { start: this.offsets.get(b), next: b + 1 < this.offsets.length ? this.offsets.get(b + 1) : end };
  }

  /**
   * The groups of counted record rows, asked in increasing order: a cursor over the runs.
   * Null when the runs were not all kept.
   */
  groups(): ((j: number) => string | null) | null {
    if (this.runsLost) return null;
    let r = 0;
    return (j) => {
      while (r + 1 < this.runStart.length && this.runStart[r + 1] <= j) r++;
      return r < this.runGroup.length && this.runStart[r] <= j ? this.runGroup[r] : null;
    };
  }

  /** The ordinals of the counted rows the earlier shards hold, in order (`mask`: the bitmap's). */
  conflicts(earlier: EarlierRecords, mask: number): Uint32Array {
    const seen = earlier.seen;
    let out = new Uint32Array(1024);
    let n = 0;
    let j = 0;
    for (const chunk of this.ids.parts()) {
      for (let i = 0; i < chunk.length; i++, j++) {
        const bit = (chunk[i] & mask) >>> 0;
        if ((seen[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
        if (n === out.length) {
          const grown = new Uint32Array(2 * n);
          grown.set(out);
          out = grown;
        }
        out[n++] = j;
      }
    }
    // Canary rows hold no record id: their entries go, and those whose canary is held come in.
    const canaries = [...this.canaries].filter(([, key]) => earlier.canaries.has(key)).map(([k]) => k);
    canaries.sort((a, b) => a - b);
    const records = out.subarray(0, n).filter((k) => !this.canaries.has(k));
    if (canaries.length === 0) return records;
    const merged = new Uint32Array(records.length + canaries.length);
    let a = 0;
    let b = 0;
    for (let o = 0; o < merged.length; o++) merged[o] = b === canaries.length || (a < records.length && records[a] < canaries[b]) ? records[a++] : canaries[b++];
    return merged;
  }
}

/**
 * Takes back, in `core`, the rows of `range` its log shows were counted although an earlier
 * shard holds their record or canary. Returns how many rows were taken back and how many of them
 * were read again.
 */
export function takeBackShard(plan: ShardPlan, core: ReleaseCore, log: CountedLog, range: ByteRange, earlier: EarlierRecords): { taken: number; reread: number } {
  const conflicts = log.conflicts(earlier, core.seenMask);
  // Rows that added only counts are given back from the log; the others are read again.
  const groupOf = log.groups();
  const todo: number[] = [];
  for (const j of conflicts) {
    if (groupOf !== null && !log.canaries.has(j) && !core.scored(log.id(j) | 0)) core.takeBackUnscored(groupOf(j));
    else todo.push(j);
  }
  if (todo.length > 0) reread(plan, core, log, range, todo);
  return { taken: conflicts.length, reread: todo.length };
}

function reread(plan: ShardPlan, core: ReleaseCore, log: CountedLog, range: ByteRange, todo: number[]): void {
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
      const first = log.block(todo[i], range.end);
      let next = first.next;
      let k = i + 1;
      while (k < todo.length) {
        const b = log.block(todo[k], range.end);
        if (b.start > next || b.next - first.start > MAX_SPAN) break;
        next = b.next;
        k++;
      }
      const bytes = readSpan(fd, plan.file, first.start, next);
      walk(plan, core, log, bytes, first.start, todo[i] - (todo[i] % STRIDE), todo, i, k);
      i = k;
    }
  } finally {
    fs.closeSync(fd);
  }
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
function walk(plan: ShardPlan, core: ReleaseCore, log: CountedLog, bytes: Buffer, offset: number, ordinal: number, todo: number[], from: number, to: number): void {
  let j = ordinal;
  let t = from;
  const visit = (): void => {
    if (t === to) return;
    const view = feeder.view;
    if (!core.isCountedRow(view, log.id(j), log.canaries.get(j) ?? null)) return;
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
  add(records: ShardRecords[]): void {
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
