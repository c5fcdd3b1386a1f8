/**
 * The hot-path CSV reader: a byte-level RFC 4180 scanner over Buffers.
 *
 * It finds records and the raw byte span of every field and makes no string unless asked
 * (`fieldString`). The issue engine copies every byte it does not edit straight from `r.buf`;
 * trace decodes the few fields it needs. Records are delivered through one reused
 * `ScannedRecord`: read what you need inside the callback and keep nothing.
 *
 * Dialect (RFC 4180, as csv-parse reads it with `bom: true, record_delimiter: ['\r\n', '\n']`):
 * - a record ends at LF or CRLF, outside quotes; a lone CR is data;
 * - a field that starts with `"` is quoted: it may hold delimiters, CR and LF, and `""` stands
 *   for one quote; the closing quote must be followed by a delimiter, a line end or the end;
 * - a `"` inside an unquoted field is an error (lenient mode: plain data, as csv-parse's
 *   `relax_quotes`);
 * - a UTF-8 BOM is skipped at the start of the file (only when `startOffset` is 0) and
 *   reported in `bom`;
 * - the last record needs no line end; an empty line is a record of one empty field;
 * - rows may be ragged: `fieldCount` says how many fields a record has, the caller decides.
 * Lines are physical lines: 1 + the number of LF bytes before the record.
 *
 * Chunks: a record that does not end in the chunk it starts in is carried into an internal
 * buffer, which is then fed one physical line at a time from the next chunks. The scan resumes
 * where it stopped (the state of the unfinished record is kept), so a record spread over many
 * chunks or lines is still scanned once: linear time whatever the chunking.
 *
 * Errors are RollmarkErrors naming the file, the line and the (character) column. With
 * `onMalformed` set the scanner is lenient, for found dumps: a malformed record is reported
 * there instead of thrown and the scan starts again at the line after the record's first line,
 * so a stray quote costs the lines it swallowed once, not the rest of the file.
 */
import { createReadStream } from 'node:fs';
import { RollmarkError, ioError, type ErrorCode } from '../errors.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** Default bound on one record's size: far above any real registry row, small enough to keep
 *  the carry buffer bounded and to let `planShards` prove cut points (see shards.ts). */
export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
/** Default bound on fields per record: a binary file fed by mistake fails fast. */
export const DEFAULT_MAX_FIELDS = 10_000;

/** One record, valid only during the `onRecord` call that receives it (the object is reused). */
export interface ScannedRecord {
  /** The buffer holding the record: the pushed chunk, or the carry buffer for records that
   *  crossed a chunk boundary. */
  buf: Buffer;
  /** First byte of the record in `buf`. */
  start: number;
  /** End of the record's content in `buf`, before its CRLF or LF (exclusive). */
  end: number;
  /** First byte after the record's line end (= `end` for a last record without one). */
  next: number;
  /** Physical line (1-based) where the record starts. */
  line: number;
  /** 0-based index of the record among those delivered. */
  index: number;
  /** Absolute byte offset of the record's start in the input (`startOffset` + bytes before). */
  offset: number;
  /** Number of fields; fields 0 .. fieldCount-1 are valid in the arrays below. */
  fieldCount: number;
  /** Raw span of each field in `buf`, quotes included. The arrays may be replaced (grown) between
   *  records: read them from the record every time. */
  fieldStart: Int32Array;
  fieldEnd: Int32Array;
  /** 1 where the field was quoted. */
  quoted: Uint8Array;
}

export type RecordCallback = (r: ScannedRecord) => void;

export interface ScannerOptions {
  /** Field delimiter: one byte, as a number or a one-character string. Default `,`. */
  delimiter?: number | string;
  /** Named in errors. */
  file?: string;
  /** A record with more fields is malformed. Default 10,000. */
  maxFields?: number;
  /** A record longer than this (bytes, line end included) is malformed. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Lenient mode: malformed records are reported here and skipped instead of thrown. */
  onMalformed?: (err: RollmarkError) => void;
  /** Absolute offset of the first pushed byte (a shard's start). Default 0. A BOM is looked
   *  for only at offset 0. */
  startOffset?: number;
  /** Line number of the first pushed byte. Default 1 when `startOffset` is 0. For a shard
   *  that starts elsewhere and has no known line, errors name the byte offset and no line. */
  startLine?: number;
}

/** Checks a delimiter option once: a single byte that cannot be confused with quoting or line
 *  ends. */
export function delimiterByte(d: number | string | undefined): number {
  if (d === undefined) return 44;
  let b: number;
  if (typeof d === 'number') b = d;
  else {
    const bytes = Buffer.from(d, 'utf8');
    if (bytes.length !== 1) {
      throw new RollmarkError('USAGE', `the delimiter must be one single-byte character, got ${JSON.stringify(d)}`);
    }
    b = bytes[0];
  }
  if (!Number.isInteger(b) || b < 0 || b > 127 || b === QUOTE || b === LF || b === CR) {
    throw new RollmarkError('USAGE', `the delimiter must be an ASCII character other than '"', CR and LF, got ${JSON.stringify(d)}`);
  }
  return b;
}

// Scanner modes. FIELD: at the start of a field. PLAIN: inside an unquoted field. QUOTED: inside
// a quoted field. SKIP: lenient resynchronisation, dropping bytes up to the next LF.
const FIELD = 0;
const PLAIN = 1;
const QUOTED = 2;
const SKIP = 3;

export class CsvScanner {
  /** True once a UTF-8 BOM was found (and skipped) at the start of the input. */
  bom = false;
  /** Records delivered so far. */
  records = 0;
  /** Malformed records reported (lenient mode). */
  malformedCount = 0;

  private readonly delim: number;
  private readonly file: string | undefined;
  private readonly maxFields: number;
  private readonly maxRecordBytes: number;
  private readonly onMalformed: ((err: RollmarkError) => void) | undefined;
  private readonly lineKnown: boolean;
  private readonly startOffset: number;

  private readonly rec: ScannedRecord;
  private fs: Int32Array;
  private fe: Int32Array;
  private qd: Uint8Array;

  // Carry buffer for a record that crossed a chunk boundary.
  private acc: Buffer = Buffer.alloc(0);
  private accLen = 0;
  /** Absolute offset of the byte at index 0 of the buffer being scanned. */
  private base = 0;
  /** Bytes pushed so far. */
  private total = 0;
  private bomPending: boolean;
  private bomStash: Buffer | null = null;
  private ended = false;

  // State of the unfinished record, positions relative to the buffer being scanned.
  private mode = FIELD;
  private pos = 0;
  private nf = 0;
  private fStart = 0;
  private recStart = 0;
  private recLine: number;
  private line: number;
  private quoteLine = 0;

  constructor(opts: ScannerOptions = {}) {
    this.delim = delimiterByte(opts.delimiter);
    this.file = opts.file;
    this.maxFields = opts.maxFields ?? DEFAULT_MAX_FIELDS;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.onMalformed = opts.onMalformed;
    this.startOffset = opts.startOffset ?? 0;
    this.lineKnown = opts.startLine !== undefined || this.startOffset === 0;
    this.line = this.recLine = opts.startLine ?? 1;
    this.bomPending = this.startOffset === 0;
    const cap = Math.min(64, this.maxFields);
    this.fs = new Int32Array(cap);
    this.fe = new Int32Array(cap);
    this.qd = new Uint8Array(cap);
    this.rec = {
      buf: this.acc,
      start: 0,
      end: 0,
      next: 0,
      line: 0,
      index: 0,
      offset: 0,
      fieldCount: 0,
      fieldStart: this.fs,
      fieldEnd: this.fe,
      quoted: this.qd,
    };
  }

  /** Scans a chunk; calls `onRecord` for every record completed by it. */
  push(chunk: Uint8Array, onRecord: RecordCallback): void {
    if (this.ended) throw new Error('CsvScanner.push after end');
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return;
    let start = 0;
    if (this.bomPending) {
      // The BOM test needs the first three bytes, which may come in more than one chunk.
      if (this.bomStash !== null) {
        buf = Buffer.concat([this.bomStash, buf]);
        this.total -= this.bomStash.length;
        this.bomStash = null;
      }
      if (buf.length < 3 && isBomPrefix(buf)) {
        this.bomStash = Buffer.from(buf);
        this.total += buf.length;
        return;
      }
      this.bomPending = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        this.bom = true;
        start = 3;
      }
    }
    const chunkBase = this.startOffset + this.total;
    this.total += buf.length;
    let off = start;
    // Finish a carried record first, one physical line at a time.
    while (this.accLen > 0 && off < buf.length) {
      const nl = buf.indexOf(LF, off);
      const pieceEnd = nl === -1 ? buf.length : nl + 1;
      this.append(buf, off, pieceEnd);
      off = pieceEnd;
      const done = this.run(this.acc, this.accLen, false, onRecord);
      this.carry(this.acc, done, this.accLen);
    }
    if (off < buf.length) {
      this.base = chunkBase;
      if (this.mode === FIELD || this.mode === SKIP) {
        this.pos = off;
        if (this.mode === FIELD) this.recStart = off;
      }
      const done = this.run(buf, buf.length, false, onRecord);
      this.carry(buf, done, buf.length);
    }
  }

  /** Ends the input: delivers the last record, or reports an unclosed quote. */
  end(onRecord: RecordCallback): void {
    if (this.ended) return;
    if (this.bomStash !== null) {
      // Fewer than three bytes in all: too short for a BOM, scan them as they are.
      const stash = this.bomStash;
      this.bomStash = null;
      this.bomPending = false;
      this.total -= stash.length;
      this.push(stash, onRecord);
    }
    this.ended = true;
    if (this.accLen > 0) {
      this.run(this.acc, this.accLen, true, onRecord);
      this.accLen = 0;
    }
  }

  private append(src: Buffer, from: number, to: number): void {
    const n = to - from;
    this.reserve(this.accLen + n);
    src.copy(this.acc, this.accLen, from, to);
    this.accLen += n;
  }

  private reserve(n: number): void {
    if (this.acc.length >= n) return;
    let cap = Math.max(this.acc.length * 2, 64 * 1024);
    while (cap < n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.acc.copy(next, 0, 0, this.accLen);
    this.acc = next;
  }

  /** Keeps bytes [done, len) of `buf` (an unfinished record) at the start of the carry buffer
   *  and rebases the saved positions on it. */
  private carry(buf: Buffer, done: number, len: number): void {
    const n = len - done;
    if (n <= 0) {
      this.accLen = 0;
      return;
    }
    if (buf === this.acc) {
      if (done > 0) this.acc.copyWithin(0, done, len);
    } else {
      this.accLen = 0;
      this.reserve(n);
      buf.copy(this.acc, 0, done, len);
    }
    this.accLen = n;
    this.base += done;
    this.pos -= done;
    this.fStart -= done;
    this.recStart -= done;
    for (let i = 0; i < this.nf; i++) {
      this.fs[i] -= done;
      this.fe[i] -= done;
    }
  }

  /**
   * Scans `buf` from the saved position up to `len`; delivers complete records and returns the
   * start of the unfinished one (or `len`). The loop keeps its state in locals and saves it on
   * exit; the rare paths (errors, growth) live in methods.
   */
  private run(buf: Buffer, len: number, final: boolean, onRecord: RecordCallback): number {
    const D = this.delim;
    const lenient = this.onMalformed !== undefined;
    const r = this.rec;
    r.buf = buf;
    let fs = this.fs;
    let fe = this.fe;
    let qd = this.qd;
    let mode = this.mode;
    let pos = this.pos;
    let nf = this.nf;
    let fStart = this.fStart;
    let recStart = this.recStart;
    let recLine = this.recLine;
    let line = this.line;
    // The field just scanned: its end, whether it was quoted, whether it ends the record; and
    // the record's content end.
    let fEnd = 0;
    let q = 0;
    let last = false;
    let end = 0;
    // Where a lenient restart goes (-1: skip to the next LF), set when a record is dropped.
    let restart = 0;

    for (;;) {
      if (mode === SKIP) {
        const k = buf.indexOf(LF, pos);
        if (k === -1 || k >= len) {
          pos = len;
          break;
        }
        pos = k + 1;
        line++;
        mode = FIELD;
        nf = 0;
        recStart = pos;
        recLine = line;
        continue;
      }
      if (mode === FIELD) {
        if (pos >= len) {
          // Out of data between fields: after a line end there is no record; after a
          // delimiter, at the end of the input, the record's last field is empty.
          if (!final || nf === 0) break;
          fStart = pos;
          mode = PLAIN;
        } else {
          fStart = pos;
          if (buf[pos] === QUOTE) {
            mode = QUOTED;
            this.quoteLine = line;
            pos++;
          } else {
            mode = PLAIN;
          }
        }
      }
      if (mode === PLAIN) {
        let c = 0;
        // Fast path: runs of unquoted fields, most of any registry, in one tight loop.
        for (;;) {
          while (pos < len) {
            c = buf[pos];
            if (c === D || c === LF || c === QUOTE) break;
            pos++;
          }
          if (c !== D || pos >= len || nf === fs.length) break;
          fs[nf] = fStart;
          fe[nf] = pos;
          qd[nf++] = 0;
          fStart = ++pos;
          if (pos >= len || buf[pos] === QUOTE) {
            mode = FIELD;
            break;
          }
        }
        if (mode === FIELD) continue;
        if (pos >= len) {
          if (!final) break;
          fEnd = end = len; // the last record has no line end
          last = true;
        } else if (c === QUOTE) {
          if (lenient) {
            pos++; // a quote inside an unquoted field is data
            continue;
          }
          throw this.error('CSV_INVALID_OPENING_QUOTE',
            `a quote inside unquoted field ${nf + 1}: quote the whole field and double the quote`,
            buf, pos, line, recStart);
        } else if (c === D) {
          fEnd = pos++;
          last = false;
        } else {
          fEnd = end = pos > fStart && buf[pos - 1] === CR ? pos - 1 : pos;
          pos++;
          line++;
          last = true;
        }
        q = 0;
      } else {
        // QUOTED
        while (pos < len) {
          const c = buf[pos];
          if (c === QUOTE) break;
          if (c === LF) line++;
          pos++;
        }
        if (pos >= len) {
          if (!final) break;
          restart = this.malformed('CSV_QUOTE_NOT_CLOSED',
            `the quote opening field ${nf + 1} is not closed by the end of the file`,
            buf, fStart, this.quoteLine, recStart);
        } else {
          const p1 = pos + 1;
          restart = 0;
          if (p1 >= len) {
            if (!final) break;
            pos = end = p1; // the closing quote ends the input
            last = true;
          } else {
            const n1 = buf[p1];
            if (n1 === QUOTE) {
              pos += 2; // "" stands for one quote
              continue;
            }
            if (n1 === D) {
              pos = p1 + 1;
              last = false;
            } else if (n1 === LF) {
              end = p1;
              pos = p1 + 1;
              line++;
              last = true;
            } else if (n1 === CR && p1 + 1 < len && buf[p1 + 1] === LF) {
              end = p1;
              pos = p1 + 2;
              line++;
              last = true;
            } else if (n1 === CR && p1 + 1 >= len && !final) {
              break; // a CR at the end of the data: wait for the next byte
            } else {
              restart = this.malformed('CSV_INVALID_CLOSING_QUOTE',
                `the quote closing field ${nf + 1} is followed by ${describeByte(n1)} instead of a delimiter or a line end`,
                buf, p1, line, recStart);
            }
          }
          fEnd = p1;
        }
        q = 1;
      }

      if (restart === 0) {
        if (nf === fs.length) {
          restart = this.grow(nf, buf, fStart, line, recStart);
          fs = this.fs;
          fe = this.fe;
          qd = this.qd;
        }
        if (restart === 0) {
          fs[nf] = fStart;
          fe[nf] = fEnd;
          qd[nf++] = q;
          if (!last) {
            mode = FIELD;
            continue;
          }
          if (pos - recStart > this.maxRecordBytes) {
            restart = this.malformed('CSV_MALFORMED',
              `record longer than ${this.maxRecordBytes} bytes (maxRecordBytes)`,
              buf, recStart, recLine, recStart);
          }
        }
      }
      if (restart !== 0) {
        // Lenient: the record is dropped; go on after its first line.
        restart = this.restartAt(restart, buf, len);
        pos = restart === -1 ? len : restart;
        line = recLine + (restart === -1 ? 0 : 1);
        mode = restart === -1 ? SKIP : FIELD;
        restart = 0;
        nf = 0;
        recStart = pos;
        recLine = line;
        continue;
      }

      r.start = recStart;
      r.end = end;
      r.next = pos;
      r.line = recLine;
      r.index = this.records++;
      r.offset = this.base + recStart;
      r.fieldCount = nf;
      onRecord(r);
      mode = FIELD;
      nf = 0;
      recStart = pos;
      recLine = line;
    }

    this.mode = mode;
    this.pos = pos;
    this.nf = nf;
    this.fStart = fStart;
    this.recStart = recStart;
    this.recLine = recLine;
    this.line = line;
    if (mode === SKIP) return len;
    // Out of data inside a record: bound what is carried before keeping it.
    if (!final && len - recStart > this.maxRecordBytes) {
      const k = this.restartAt(this.malformed('CSV_MALFORMED',
        `record longer than ${this.maxRecordBytes} bytes (maxRecordBytes)`,
        buf, recStart, recLine, recStart), buf, len);
      this.mode = k === -1 ? SKIP : FIELD;
      this.nf = 0;
      this.pos = this.recStart = k === -1 ? len : k;
      this.line = this.recLine = recLine + (k === -1 ? 0 : 1);
      return k === -1 ? len : this.run(buf, len, final, onRecord);
    }
    return recStart;
  }

  /**
   * A malformed record: thrown in strict mode. In lenient mode it is reported and the result is
   * a restart marker for `restartAt`: the record's start + 1 (never 0, which means "no error").
   */
  private malformed(code: ErrorCode, message: string, buf: Buffer, at: number, atLine: number, recStart: number): number {
    const err = this.error(code, message, buf, at, atLine, recStart);
    if (this.onMalformed === undefined) throw err;
    this.malformedCount++;
    this.onMalformed(err);
    return recStart + 1;
  }

  /** Where to start again after dropping the record that starts at `marker - 1`: after the first
   *  LF of that record, or -1 (skip up to the next LF) when that LF is not in the data yet. */
  private restartAt(marker: number, buf: Buffer, len: number): number {
    const k = buf.indexOf(LF, marker - 1);
    return k === -1 || k >= len ? -1 : k + 1;
  }

  private grow(nf: number, buf: Buffer, at: number, line: number, recStart: number): number {
    if (nf >= this.maxFields) {
      return this.malformed('CSV_MALFORMED', `more than ${this.maxFields} fields in a record (maxFields)`,
        buf, at, line, recStart);
    }
    const cap = Math.min(this.fs.length * 2, this.maxFields);
    const fs = new Int32Array(cap);
    const fe = new Int32Array(cap);
    const qd = new Uint8Array(cap);
    fs.set(this.fs);
    fe.set(this.fe);
    qd.set(this.qd);
    this.fs = this.rec.fieldStart = fs;
    this.fe = this.rec.fieldEnd = fe;
    this.qd = this.rec.quoted = qd;
    return 0;
  }

  private error(code: ErrorCode, message: string, buf: Buffer, at: number, atLine: number, recStart: number): RollmarkError {
    const lineStart = Math.max(recStart, at > 0 ? buf.lastIndexOf(LF, at - 1) + 1 : 0);
    const column = buf.toString('utf8', lineStart, Math.min(at, buf.length)).length + 1;
    if (this.lineKnown) return new RollmarkError(code, message, { file: this.file, line: atLine, column });
    return new RollmarkError(code, `${message} (at byte ${this.base + at})`, { file: this.file });
  }
}

function isBomPrefix(b: Buffer): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb);
}

function describeByte(b: number): string {
  if (b >= 0x20 && b < 0x7f) return JSON.stringify(String.fromCharCode(b));
  if (b === CR) return 'a lone CR';
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

// ---- field access: all allocation-free except fieldString ----

/** The field's value as a string: quotes removed and `""` turned into `"`. */
export function fieldString(r: ScannedRecord, i: number, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  let s = r.fieldStart[i];
  let e = r.fieldEnd[i];
  if (r.quoted[i] === 0) return r.buf.toString(encoding, s, e);
  s++;
  e--;
  const v = r.buf.toString(encoding, s, e);
  const q = r.buf.indexOf(QUOTE, s);
  return q !== -1 && q < e ? v.replaceAll('""', '"') : v;
}

/** All fields as strings (allocates: for headers and tests, not for the per-row path). */
export function recordFields(r: ScannedRecord, encoding: 'utf8' | 'latin1' = 'utf8'): string[] {
  const out = new Array<string>(r.fieldCount);
  for (let i = 0; i < r.fieldCount; i++) out[i] = fieldString(r, i, encoding);
  return out;
}

/** Byte length of the field's value (quotes removed, `""` counted once). */
export function fieldLength(r: ScannedRecord, i: number): number {
  const s = r.fieldStart[i];
  const e = r.fieldEnd[i];
  if (r.quoted[i] === 0) return e - s;
  let n = e - s - 2;
  for (let p = s + 1; p < e - 1; p++) if (r.buf[p] === QUOTE) { n--; p++; }
  return n;
}

/** True when the field's value (unquoted) equals `bytes`. */
export function fieldEquals(r: ScannedRecord, i: number, bytes: Uint8Array): boolean {
  const buf = r.buf;
  let s = r.fieldStart[i];
  let e = r.fieldEnd[i];
  if (r.quoted[i] !== 0) {
    s++;
    e--;
    const q = buf.indexOf(QUOTE, s);
    if (q !== -1 && q < e) {
      // escaped quotes: walk both sides
      let j = 0;
      for (let p = s; p < e; p++, j++) {
        if (j >= bytes.length || buf[p] !== bytes[j]) return false;
        if (buf[p] === QUOTE) p++;
      }
      return j === bytes.length;
    }
  }
  if (e - s !== bytes.length) return false;
  for (let j = 0; j < bytes.length; j++) if (buf[s + j] !== bytes[j]) return false;
  return true;
}

/** The field as a non-negative decimal integer, or NaN when it is anything else (empty, signed,
 *  spaced, too long to be exact). Reads bytes: no string is made. */
export function fieldInt(r: ScannedRecord, i: number): number {
  const buf = r.buf;
  let s = r.fieldStart[i];
  let e = r.fieldEnd[i];
  if (r.quoted[i] !== 0) {
    s++;
    e--;
  }
  if (e <= s || e - s > 15) return NaN;
  let v = 0;
  for (let p = s; p < e; p++) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

// ---- stream faces ----

/** Scans an async iterable of chunks (a fs ReadStream, a gunzip stream ...) to the end. */
export async function scanStream(
  input: AsyncIterable<Uint8Array | string>,
  onRecord: RecordCallback,
  opts: ScannerOptions = {},
): Promise<CsvScanner> {
  const scanner = new CsvScanner(opts);
  for await (const chunk of input) {
    scanner.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk, onRecord);
  }
  scanner.end(onRecord);
  return scanner;
}

export interface ScanFileOptions extends Omit<ScannerOptions, 'startOffset' | 'file'> {
  /** Byte range to scan (a shard from `planShards`); default the whole file. */
  start?: number;
  end?: number;
  /** Read size. Default 1 MiB. */
  highWaterMark?: number;
}

/** Scans a file, or a byte range of it, named in errors by its path. */
export async function scanFile(path: string, onRecord: RecordCallback, opts: ScanFileOptions = {}): Promise<CsvScanner> {
  const start = opts.start ?? 0;
  if (opts.end !== undefined && opts.end <= start) {
    const s = new CsvScanner({ ...opts, file: path, startOffset: start });
    s.end(onRecord);
    return s;
  }
  const stream = createReadStream(path, {
    start,
    end: opts.end === undefined ? undefined : opts.end - 1,
    highWaterMark: opts.highWaterMark ?? 1 << 20,
  });
  try {
    return await scanStream(stream as AsyncIterable<Buffer>, onRecord, { ...opts, file: path, startOffset: start });
  } catch (err) {
    throw ioError(err, path);
  } finally {
    stream.destroy();
  }
}
