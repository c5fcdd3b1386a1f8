/**
 * Reading rows with the byte scanner (csv/scanner.ts), the hot path of a trace: a byte range of an
 * uncompressed dump, or the whole of a gzip one, scanned into a RowFeeder, which hands the row
 * cores (trace-core.ts) their rows as dump.ts would.
 *
 * The fast reader agrees with dump.ts's general reader on every row of a well-formed dump and on
 * the usual damage (stray quotes, short or long rows, bytes that are not UTF-8, blank lines, a
 * truncated gzip). It differs on quoting that RFC 4180 does not allow: text after a closing quote
 * (`"AB"C`) rejects the record here and is kept by the general reader; a quoted field may span any
 * number of lines here (up to 1 MiB a record), 16 there.
 */
import type { Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { isAscii, isUtf8 } from 'node:buffer';
import { ioError, type RollmarkError } from '../errors.js';
import { CsvScanner, delimiterByte, type ScannedRecord } from '../csv/scanner.js';
import type { ReleaseCore } from './trace-core.js';
import { RecordRowView } from './row-views.js';
import type { Dialect, ShardPlan } from './trace-plan.js';

/** Where a feeder logs the rows a core counted (take-back.ts's CountedLog). */
export interface RowLog {
  add(recordId: number, canary: string | null, group: string | null, offset: number): void;
}

/**
 * What a feeder does with a row: read it into the cores ('observe'; with `logs`, one a core, also
 * log the rows each counted), mark its record as seen ('claim': the bytes before a shard), or
 * hand it to `visit` (a take-back walk).
 */
export type FeedMode = 'observe' | 'claim' | { logs: RowLog[] } | { visit: () => void };

export interface ReadCounters {
  rows: number;
  rowsRejected: number;
  rejectedExamples: { offset: number; line?: number; reason: string }[];
}

/**
 * Turns scanned records into rows for the cores as dump.ts would: per-row decoding (UTF-8, or
 * Latin-1 for rows that are not UTF-8 when the dump allows it), blank lines skipped, the header
 * skipped, rows with too few or too many fields rejected, short rows padded.
 */
export class RowFeeder {
  readonly view = new RecordRowView();
  decoding: Dialect['decoding'];
  private headerPending: boolean;
  private chunkBuf: Uint8Array | null = null;
  private chunkValidEnd = 0;
  private readonly minFields: number;
  private readonly maxFields: number;
  private readonly lineKnown: boolean;
  private sinceProgress = 0;
  private readonly claiming: boolean;
  private readonly logs: RowLog[] | null;
  private readonly visit: (() => void) | null;
  /** Bytes of the file read so far for this feeder's rows (compressed bytes for gzip), for progress. */
  bytes = 0;

  constructor(
    private readonly dialect: Dialect,
    private readonly cores: ReleaseCore[],
    mode: FeedMode,
    private readonly counters: ReadCounters,
    startsFile: boolean,
    private readonly onProgress?: (rows: number, bytes?: number) => void,
  ) {
    this.claiming = mode === 'claim';
    this.logs = typeof mode === 'object' && 'logs' in mode ? mode.logs : null;
    this.visit = typeof mode === 'object' && 'visit' in mode ? mode.visit : null;
    this.decoding = dialect.decoding;
    this.headerPending = startsFile && dialect.hasHeader;
    this.minFields = dialect.columns * 0.5;
    this.maxFields = dialect.columns * 1.5;
    this.lineKnown = startsFile;
  }

  /** Called before each chunk is scanned: rows wholly inside its valid UTF-8 part need no check. */
  chunk(buf: Buffer): void {
    this.chunkBuf = buf;
    this.chunkValidEnd = 0;
    if (this.decoding === 'sniffing') return;
    const last = buf.lastIndexOf(10);
    if (last < 0) return;
    const head = buf.subarray(0, last + 1);
    if (isAscii(head) || isUtf8(head)) this.chunkValidEnd = last + 1;
  }

  private reject(r: { offset: number; line?: number }, reason: string): void {
    if (this.claiming || this.visit !== null) return;
    this.counters.rowsRejected++;
    if (this.counters.rejectedExamples.length < 10) {
      this.counters.rejectedExamples.push(this.lineKnown && r.line !== undefined ? { offset: r.offset, line: r.line, reason } : { offset: r.offset, reason });
    }
  }

  readonly malformed = (err: RollmarkError): void => {
    if (this.claiming || this.visit !== null) return;
    this.counters.rowsRejected++;
    if (this.counters.rejectedExamples.length < 10) {
      this.counters.rejectedExamples.push({ offset: -1, ...(this.lineKnown && err.line !== undefined ? { line: err.line } : {}), reason: err.message });
    }
  };

  /** The decoding of a row the chunk check did not cover; null when the row is rejected. */
  private rowEncoding(r: ScannedRecord): 'utf8' | 'latin1' | null {
    const buf = r.buf;
    let high = false;
    for (let p = r.start; p < r.end; p++) {
      if (buf[p] >= 0x80) {
        high = true;
        break;
      }
    }
    if (!high) return 'utf8';
    if (isUtf8(buf.subarray(r.start, r.end))) {
      if (this.decoding === 'sniffing') this.decoding = 'utf8';
      return 'utf8';
    }
    if (this.decoding === 'latin1') return 'latin1';
    if (this.decoding === 'sniffing') {
      this.decoding = 'latin1';
      return 'latin1';
    }
    return null;
  }

  readonly record = (r: ScannedRecord): void => {
    const encoding = r.buf === this.chunkBuf && r.end <= this.chunkValidEnd ? 'utf8' : this.rowEncoding(r);
    if (encoding === null) {
      this.reject(r, 'not valid UTF-8');
      return;
    }
    if (isBlank(r, encoding)) return;
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    const n = r.fieldCount;
    if (n < this.minFields || n > this.maxFields) {
      this.reject(r, `${n} fields where rows have ${this.dialect.columns}`);
      return;
    }
    const view = this.view;
    view.r = r;
    view.encoding = encoding;
    view.width = n > this.dialect.columns ? n : this.dialect.columns;
    const cores = this.cores;
    if (this.claiming) {
      for (let i = 0; i < cores.length; i++) cores[i].claim(view);
      return;
    }
    if (this.visit !== null) {
      this.visit();
      return;
    }
    this.counters.rows++;
    const logs = this.logs;
    if (logs === null) {
      for (let i = 0; i < cores.length; i++) cores[i].observe(view);
    } else {
      for (let i = 0; i < cores.length; i++) {
        const core = cores[i];
        const before = core.rowsMatched;
        core.observe(view);
        if (core.rowsMatched !== before) logs[i].add(core.rowRecordId(), core.rowCanary(), core.rowGroup(), r.offset);
      }
    }
    if (this.onProgress !== undefined && ++this.sinceProgress === 1 << 16) {
      this.sinceProgress = 0;
      this.onProgress(this.counters.rows, this.bytes);
    }
  };
}

const NOT_SPACE = /\S/;

/** A line of whitespace only, which dump.ts skips as no row at all. */
function isBlank(r: ScannedRecord, encoding: 'utf8' | 'latin1'): boolean {
  const buf = r.buf;
  for (let p = r.start; p < r.end; p++) {
    const b = buf[p];
    if (b === 32 || (b >= 9 && b <= 13)) continue;
    if (b < 0x80) return false;
    return !NOT_SPACE.test(buf.toString(encoding, r.start, r.end));
  }
  return true;
}

const CHUNK = 1 << 20;

/** Reads bytes [start, end) of a file in 1 MiB chunks, the next read in flight while one is used. */
async function readRange(file: string, start: number, end: number, onChunk: (buf: Buffer) => void): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let pos = start;
    let i = 0;
    let pending = pos < end ? fh.read(bufs[0], 0, Math.min(CHUNK, end - pos), pos) : null;
    while (pending !== null) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const cur = bufs[i];
      pos += bytesRead;
      i ^= 1;
      pending = pos < end ? fh.read(bufs[i], 0, Math.min(CHUNK, end - pos), pos) : null;
      onChunk(cur.subarray(0, bytesRead));
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh.close();
  }
}

/** Reads bytes [start, end) of a file into a hash. */
export async function hashRange(file: string, start: number, end: number, hash: Hash): Promise<void> {
  await readRange(file, start, end, (buf) => hash.update(buf));
}

const zlibFailure = (err: unknown): string | null => {
  const code = (err as { code?: string })?.code;
  if (code === 'Z_BUF_ERROR') return 'gzip stream ends early (truncated file): last line cut off';
  if (code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') return 'gzip data corrupt: the rest of the file is unreadable';
  return null;
};

/** Scans bytes [start, end) of an uncompressed dump into the feeder. */
export async function scanRange(plan: ShardPlan, feeder: RowFeeder, start: number, end: number, hash: Hash | null): Promise<void> {
  const scanner = new CsvScanner({
    delimiter: delimiterByte(plan.dialect.delimiter),
    file: plan.file,
    startOffset: start,
    onMalformed: feeder.malformed,
  });
  await readRange(plan.file, start, end, (buf) => {
    hash?.update(buf);
    feeder.bytes += buf.length;
    feeder.chunk(buf);
    scanner.push(buf, feeder.record);
  });
  scanner.end(feeder.record);
}

/** Scans a gzip dump (the whole of it) into the feeder. */
export async function scanGzip(plan: ShardPlan, feeder: RowFeeder, counters: ReadCounters): Promise<void> {
  const scanner = new CsvScanner({ delimiter: delimiterByte(plan.dialect.delimiter), file: plan.file, onMalformed: feeder.malformed });
  const raw = createReadStream(plan.file, { highWaterMark: CHUNK });
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (err) => gz.destroy(err));
  raw.pipe(gz);
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      feeder.bytes = raw.bytesRead;
      feeder.chunk(chunk);
      scanner.push(chunk, feeder.record);
    }
  } catch (err) {
    if (zlibFailure(err) === null) throw ioError(err, plan.file);
    // As dump.ts: the cut-off last line is one rejected row, and nothing after it can be read.
    counters.rowsRejected++;
    if (counters.rejectedExamples.length < 10) counters.rejectedExamples.push({ offset: -1, reason: zlibFailure(err)! });
    return;
  } finally {
    raw.destroy();
    gz.destroy();
  }
  scanner.end(feeder.record);
}
