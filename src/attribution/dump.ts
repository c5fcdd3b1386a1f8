/**
 * Reading a found dump as it is: gzip or not, UTF-8 or Latin-1, comma, tab, semicolon or pipe,
 * with or without a header, with broken lines here and there. Nothing about the dump is assumed;
 * the format is sniffed from its first bytes, and every line that cannot be read is counted and
 * skipped, never fatal: a leak is evidence as found, damage included.
 *
 * Records are framed by physical lines, a quoted field may continue over at most 16 lines. This
 * is why csv-parse is not used here: in relaxed mode a single stray opening quote makes it swallow
 * every following line into one field, and once a record exceeds its size limit it emits nothing
 * more, so one bad quote in a 13 GB dump would lose the rest of it.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { isAscii, isUtf8 } from 'node:buffer';
import { pipeline, type Readable } from 'node:stream';
import { RollmarkError, ioError } from '../errors.js';
import { looksLikeColumnName } from './columns.js';

export type Delimiter = ',' | '\t' | ';' | '|';
export interface DumpFormat {
  gzip: boolean;
  /** Sniffed from the first bytes; a pure-ASCII start is taken as utf8 until a later line says otherwise. */
  encoding: 'utf8' | 'latin1';
  delimiter: Delimiter;
  hasHeader: boolean;
  header: string[] | null;
  /** The usual number of fields a row (rows shorter are padded with empty fields). */
  columns: number;
}
export interface DumpRow { fields: string[]; line: number }
export interface DumpStats {
  /** Data rows read (header excluded) in the last pass of `rows()`, and rows rejected. */
  rowsRead: number;
  rowsRejected: number;
  /** The first ten rejected lines and why. */
  rejectedExamples: { line: number; reason: string }[];
  /** Bytes of the file read so far by `rows()` (compressed bytes for gzip): for progress. */
  bytesRead?: number;
}
export interface DumpSource {
  path: string;
  format: DumpFormat;
  /** The first data rows (about 2,000), decoded: what column mapping looks at. */
  sample: string[][];
  /** Streams every data row; each call reads the file again and resets `stats`. */
  rows(): AsyncGenerator<DumpRow>;
  stats: DumpStats;
  /** SHA-256 (hex) of the file's bytes as found (the compressed bytes of a gzip file). */
  sha256(): Promise<string>;
}
export interface OpenDumpOptions {
  /** Bytes (after decompression) read to sniff the format; default 1 MiB. */
  sampleBytes?: number;
  /** Data rows kept in `sample`; default 2,000. */
  sampleRows?: number;
}

const DELIMITERS: Delimiter[] = [',', '\t', ';', '|'];
const MAX_LINE = 1 << 20;
const MAX_SPAN = 16;

/** Splits one record's text into fields (RFC 4180, relaxed); null while a quoted field is open. */
export function splitFields(s: string, d: string): string[] | null {
  if (s.indexOf('"') < 0) return s.split(d);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let v = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) return null;
        v += s.slice(i, q);
        if (s.charCodeAt(q + 1) === 34) { v += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      // Anything between a closing quote and the delimiter is kept (as Python's csv does).
      const e = s.indexOf(d, i);
      out.push(v + (e < 0 ? s.slice(i) : s.slice(i, e)));
      if (e < 0) return out;
      i = e + 1;
    } else {
      const e = s.indexOf(d, i);
      if (e < 0) { out.push(s.slice(i)); return out; }
      out.push(s.slice(i, e));
      i = e + 1;
    }
  }
}

/** Groups lines into records, letting a quoted field run over up to MAX_SPAN lines. */
function frame(lines: string[], d: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i];
    let f = splitFields(text, d);
    let j = i;
    while (f === null && j + 1 < lines.length && j - i < MAX_SPAN) { text += '\n' + lines[++j]; f = splitFields(text, d); }
    if (f !== null) { out.push(f); i = j; }
  }
  return out;
}

const notTabular = (file: string, why: string): RollmarkError =>
  new RollmarkError('DUMP_NOT_TABULAR', `not a table: ${why}`, { file });

function modal(xs: number[]): [number, number] {
  const c = new Map<number, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  let best = 0, n = 0;
  for (const [x, k] of c) if (k > n || (k === n && x > best)) { best = x; n = k; }
  return [best, xs.length ? n / xs.length : 0];
}

const kind = (v: string): string => {
  const t = v.trim();
  const letters = /\p{L}/u.test(t);
  return t === '' ? 'empty' : /\d/.test(t) ? (letters ? 'mixed' : 'number') : 'text';
};

/** A first row is a header when its cells read as names rather than values like those below. */
function isHeader(first: string[], rest: string[][]): boolean {
  let score = 0;
  for (let c = 0; c < first.length; c++) {
    const cell = first[c].trim();
    if (cell === '') { score -= 0.5; continue; }
    const k = kind(cell);
    if (k === 'number') return false;
    if (looksLikeColumnName(cell)) score += 2;
    const vals = rest.map((r) => (r[c] ?? '').trim()).filter((v) => v !== '');
    if (!vals.length) continue;
    const kinds = ['number', 'mixed', 'text'];
    const [dominant, share] = modal(vals.map((v) => kinds.indexOf(kind(v))));
    if (share >= 0.8 && kinds[dominant] !== k) score += 1.5;
    if (vals.includes(cell)) score -= 1;
    if (cell !== cell.toUpperCase() && vals.every((v) => v === v.toUpperCase())) score += 0.5;
    const [len, lenShare] = modal(vals.map((v) => v.length));
    if (lenShare >= 0.9 && cell.length !== len) score += 0.5;
  }
  return score > 0;
}

interface Sniffed { format: DumpFormat; settled: boolean; eol: number }

/** Works out the format from the first bytes (after decompression). */
function sniff(file: string, gzip: boolean, head: Buffer, more: boolean): Sniffed {
  let b = head;
  const bom = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
  if (bom) b = b.subarray(3);
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) throw notTabular(file, 'UTF-16 text (re-encode it as UTF-8)');
  let control = 0;
  for (let i = 0; i < b.length; i++) if ((b[i] < 32 && b[i] !== 9 && b[i] !== 10 && b[i] !== 13) || b[i] === 127) control++;
  if (control > 0.01 * b.length) throw notTabular(file, 'binary data, not text');
  const cut = more ? Math.max(b.lastIndexOf(10), b.lastIndexOf(13)) : -1;
  if (cut > 0) b = b.subarray(0, cut);
  // Encoding by majority of the lines that hold non-ASCII bytes: one damaged line does not make
  // a UTF-8 file Latin-1, and a Latin-1 line is almost never valid UTF-8.
  let valid = 0, invalid = 0;
  for (let i = 0; i < b.length;) {
    let e = b.indexOf(10, i);
    if (e < 0) e = b.length;
    const line = b.subarray(i, e);
    if (!isAscii(line)) { if (isUtf8(line)) valid++; else invalid++; }
    i = e + 1;
  }
  const settled = bom || valid + invalid > 0;
  const encoding = !bom && invalid > valid ? 'latin1' : 'utf8';
  const text = b.toString(encoding === 'latin1' ? 'latin1' : 'utf8');
  if (text.trim() === '') throw notTabular(file, 'the file is empty');
  const eol = text.includes('\n') || !text.includes('\r') ? 10 : 13;
  const lines = text.split(eol === 10 ? /\r?\n/ : '\r').filter((l) => l.trim() !== '').slice(0, 1000);
  let best: { d: Delimiter; m: number; share: number; recs: string[][] } | null = null;
  for (const d of DELIMITERS) {
    const recs = frame(lines, d);
    const [m, share] = modal(recs.map((r) => r.length));
    if (m < 2 || share < 0.7) continue;
    if (!best || share > best.share + 0.05 || (share > best.share - 0.05 && m > best.m)) best = { d, m, share, recs };
  }
  if (!best) {
    // One column of short values (a list of keys) is a table; prose is not.
    const free = DELIMITERS.find((d) => !text.includes(d));
    const short = lines.filter((l) => l.length <= 64 && l.trim().split(/\s+/).length <= 3).length;
    if (!free || short < 0.9 * lines.length) throw notTabular(file, 'no delimiter (comma, tab, semicolon, pipe) splits its lines consistently');
    best = { d: free, m: 1, share: 1, recs: frame(lines, free) };
  }
  const words = best.recs.flatMap((r) => r.map((c) => c.trim().split(/\s+/).length)).sort((x, y) => x - y);
  if (words[words.length >> 1] > 4) throw notTabular(file, 'its lines read as prose, not as rows of values');
  const hasHeader = best.recs.length > 0 && isHeader(best.recs[0], best.recs.slice(1, 501));
  return {
    format: {
      gzip, encoding, delimiter: best.d, hasHeader,
      header: hasHeader ? best.recs[0].map((c) => c.trim()) : null,
      columns: best.m,
    },
    settled,
    eol,
  };
}

/** Turns byte chunks into rows: line framing, decoding, quoting, column-count checks. */
class RowReader {
  private leftover: Buffer | null = null;
  private discarding = false;
  private line = 0;
  private pending: { lines: string[]; start: number } | null = null;
  private headerPending: boolean;
  private started = false;
  private out: DumpRow[] = [];

  get lines(): number {
    return this.line;
  }

  constructor(private readonly src: DumpSourceImpl, private readonly stats: DumpStats) {
    this.headerPending = src.format.hasHeader;
  }

  push(chunk: Buffer, final = false): DumpRow[] {
    let buf = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
    this.leftover = null;
    if (!this.started) {
      if (buf.length < 3 && !final) { this.leftover = buf; return []; }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const eol = this.src.eol;
    let start = 0;
    for (let nl = buf.indexOf(eol, start); nl >= 0; nl = buf.indexOf(eol, start)) {
      if (this.discarding) { this.discarding = false; this.line++; start = nl + 1; continue; }
      const end = eol === 10 && nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      this.decode(buf.subarray(start, end));
      start = nl + 1;
    }
    if (start < buf.length && !this.discarding) {
      this.leftover = Buffer.from(buf.subarray(start));
      if (this.leftover.length > MAX_LINE) {
        this.flushAll();
        this.reject(this.line + 1, `line longer than ${MAX_LINE} bytes`);
        this.leftover = null;
        this.discarding = true;
      }
    }
    return this.drain();
  }

  end(cutOff?: string): DumpRow[] {
    const early = this.started ? [] : this.push(Buffer.alloc(0), true);
    if (this.leftover && !this.discarding) {
      const last = this.leftover;
      this.leftover = null;
      if (cutOff) { this.flushAll(); this.reject(this.line + 1, cutOff); } else this.decode(last);
    } else if (cutOff) {
      this.flushAll();
      this.reject(this.line + 1, cutOff);
    }
    this.flushAll();
    return [...early, ...this.drain()];
  }

  private drain(): DumpRow[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  private decode(bytes: Buffer): void {
    const n = ++this.line;
    const src = this.src;
    let text: string;
    if (isAscii(bytes)) text = bytes.toString('latin1');
    // A Latin-1 dump may have UTF-8 lines merged in: those read as UTF-8.
    else if (isUtf8(bytes)) { text = bytes.toString('utf8'); src.settled = true; }
    else if (src.format.encoding === 'latin1') text = bytes.toString('latin1');
    else if (!src.settled) { src.format.encoding = 'latin1'; src.settled = true; text = bytes.toString('latin1'); }
    else { this.flushAll(); this.reject(n, 'not valid UTF-8'); return; }
    this.frame(text, n);
  }

  private frame(text: string, n: number): void {
    if (!this.pending && !/\S/.test(text)) return;
    const p = this.pending ?? { lines: [], start: n };
    p.lines.push(text);
    const fields = splitFields(p.lines.length === 1 ? text : p.lines.join('\n'), this.src.format.delimiter);
    this.pending = p;
    // A quoted field over several lines must leave the row whole; if not, the quote was stray.
    if (fields !== null && (p.lines.length === 1 || fields.length === this.src.format.columns)) {
      this.pending = null;
      this.emit(fields, p.start);
    } else if (fields !== null || p.lines.length >= MAX_SPAN) this.flushPending();
  }

  /** An open quote that never closed: reject its first line and read the lines after it afresh. */
  private flushPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.reject(p.start, 'unbalanced quote');
    p.lines.slice(1).forEach((t, k) => this.frame(t, p.start + 1 + k));
  }

  private flushAll(): void {
    while (this.pending) this.flushPending();
  }

  private emit(fields: string[], line: number): void {
    if (this.headerPending) { this.headerPending = false; return; }
    const m = this.src.format.columns;
    if (fields.length < m * 0.5 || fields.length > m * 1.5) {
      this.reject(line, `${fields.length} fields where rows have ${m}`);
      return;
    }
    while (fields.length < m) fields.push('');
    this.stats.rowsRead++;
    this.out.push({ fields, line });
  }

  private reject(line: number, reason: string): void {
    this.stats.rowsRejected++;
    if (this.stats.rejectedExamples.length < 10) this.stats.rejectedExamples.push({ line, reason });
  }
}

function byteStream(path: string, gzip: boolean): Readable & { fileBytes?: () => number } {
  const src = createReadStream(path, { highWaterMark: 1 << 16 });
  if (!gzip) return src;
  const gz = createGunzip();
  pipeline(src, gz, () => {});
  return Object.assign(gz, { fileBytes: () => src.bytesRead });
}

const zlibFailure = (err: unknown): string | null => {
  const code = (err as { code?: string })?.code;
  if (code === 'Z_BUF_ERROR') return 'gzip stream ends early (truncated file): last line cut off';
  if (code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') return 'gzip data corrupt: the rest of the file is unreadable';
  return null;
};

class DumpSourceImpl implements DumpSource {
  sample: string[][] = [];
  stats: DumpStats = { rowsRead: 0, rowsRejected: 0, rejectedExamples: [] };
  private hash: Promise<string> | null = null;

  constructor(readonly path: string, readonly format: DumpFormat, public settled: boolean, readonly eol: number) {}

  rows(): AsyncGenerator<DumpRow> {
    const s = this.stats;
    s.rowsRead = 0;
    s.rowsRejected = 0;
    s.rejectedExamples = [];
    s.bytesRead = 0;
    return this.read(s);
  }

  /** Reads rows; `maxLines` stops early (the sample pass must not read a hopeless dump to its end). */
  async *read(stats: DumpStats, maxLines = Infinity): AsyncGenerator<DumpRow> {
    const reader = new RowReader(this, stats);
    const stream = byteStream(this.path, this.format.gzip);
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await it.next();
        } catch (err) {
          const why = this.format.gzip ? zlibFailure(err) : null;
          if (why === null) throw ioError(err, this.path);
          yield* reader.end(why);
          return;
        }
        if (next.done) break;
        stats.bytesRead = stream.fileBytes !== undefined ? stream.fileBytes() : (stats.bytesRead ?? 0) + next.value.length;
        yield* reader.push(next.value);
        if (reader.lines > maxLines) return;
      }
      yield* reader.end();
    } finally {
      stream.destroy();
    }
  }

  sha256(): Promise<string> {
    this.hash ??= new Promise((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(this.path)
        .on('data', (c) => h.update(c))
        .on('error', (err) => reject(ioError(err, this.path)))
        .on('end', () => resolve(h.digest('hex')));
    });
    return this.hash;
  }
}

/** Reads up to `limit` bytes of the file's content (decompressed); `more` when there is more. */
async function readHead(path: string, gzip: boolean, limit: number): Promise<{ head: Buffer; more: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  const stream = byteStream(path, gzip);
  try {
    for await (const c of stream) {
      parts.push(c as Buffer);
      size += (c as Buffer).length;
      if (size >= limit) return { head: Buffer.concat(parts).subarray(0, limit), more: true };
    }
  } catch (err) {
    if (!gzip || zlibFailure(err) === null) throw ioError(err, path);
    if (size === 0) throw notTabular(path, 'gzip data that cannot be decompressed');
  } finally {
    stream.destroy();
  }
  return { head: Buffer.concat(parts), more: false };
}

/**
 * Opens a found dump: sniffs compression, encoding, delimiter and header from its first bytes and
 * reads a sample of rows. Throws DUMP_NOT_TABULAR (naming the file) when it is not a table at all.
 */
export async function openDump(path: string, opts: OpenDumpOptions = {}): Promise<DumpSource> {
  let magic: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      magic = Buffer.alloc(2);
      const { bytesRead } = await fh.read(magic, 0, 2, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw ioError(err, path);
  }
  const gzip = magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const { head, more } = await readHead(path, gzip, opts.sampleBytes ?? 1 << 20);
  const sniffed = sniff(path, gzip, head, more);
  const src = new DumpSourceImpl(path, sniffed.format, sniffed.settled, sniffed.eol);
  const limit = opts.sampleRows ?? 2000;
  const scratch: DumpStats = { rowsRead: 0, rowsRejected: 0, rejectedExamples: [] };
  if (limit > 0) {
    for await (const r of src.read(scratch, 20 * limit + 10_000)) {
      src.sample.push(r.fields);
      if (src.sample.length >= limit) break;
    }
  }
  return src;
}
