/**
 * The general CSV path, over csv-parse: one array of strings per record, with the physical line
 * where the record starts. Slower than the scanner (a string per field), but for everything
 * that is not the per-row hot path: recipients, headers, samples, odd dialects.
 *
 * Same dialect as the scanner (scanner.ts): LF or CRLF line ends, RFC 4180 quoting, a UTF-8 BOM
 * skipped. Every csv-parse error becomes a RollmarkError with a CSV_* code, the file and the
 * line where the record starts, in one line.
 *
 * Encoding: `utf8` (default) or `latin1`; a UTF-8 BOM means UTF-8 whatever was asked. In UTF-8
 * an invalid byte sequence is an error (CSV_ENCODING), not a silent U+FFFD: the data would
 * not match what the issuer wrote, and Latin-1 is the usual reason (say so in the message).
 */
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { parse, CsvError } from 'csv-parse';
import { RollmarkError, ioError, type ErrorCode } from '../errors.js';
import { delimiterByte } from './scanner.js';

export interface CsvRow {
  /** The record's fields, unquoted. */
  fields: string[];
  /** Physical line (1-based) where the record starts. */
  line: number;
}

export interface ReadCsvOptions {
  /** Named in errors. */
  file: string;
  /** One single-byte character; default `,`. */
  delimiter?: string;
  /** How bytes are decoded when there is no UTF-8 BOM; default `utf8`. */
  encoding?: 'utf8' | 'latin1';
  /** Accept records whose field count differs from the first record's. Default false:
   *  CSV_COLUMN_COUNT. */
  relaxColumnCount?: boolean;
  /** The first record is a header: an input without any record is CSV_EMPTY. The header is
   *  still the first row yielded (see `readCsvTable` to get it apart). */
  header?: boolean;
}

type Chunk = Buffer | Uint8Array | string;

/**
 * Reads CSV records from a stream or async iterable of chunks. Breaking out of the loop stops
 * reading and releases the input.
 */
export async function* readCsv(
  input: NodeJS.ReadableStream | AsyncIterable<Chunk>,
  opts: ReadCsvOptions,
): AsyncGenerator<CsvRow, void, undefined> {
  const file = opts.file;
  const delimiter = String.fromCharCode(delimiterByte(opts.delimiter));
  let encoding: 'utf8' | 'latin1' = opts.encoding ?? 'utf8';

  // The BOM is handled here rather than by csv-parse: its encoding decides how to decode and
  // whether to check UTF-8, before the parser exists.
  let bomChecked = false;
  async function* bytes(): AsyncGenerator<Buffer> {
    let head: Buffer | null = null;
    for await (const c of input as AsyncIterable<Chunk>) {
      let b: Buffer;
      if (typeof c === 'string') {
        // Text already decoded by the caller: re-encode as UTF-8 and decode it the same way.
        b = Buffer.from(c, 'utf8');
        if (!bomChecked) encoding = 'utf8';
      } else {
        b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
      if (bomChecked) {
        yield b;
        continue;
      }
      head = head === null ? b : Buffer.concat([head, b]);
      if (head.length < 3 && isBomStart(head)) continue;
      bomChecked = true;
      if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
        encoding = 'utf8';
        head = head.subarray(3);
      }
      if (head.length > 0) yield head;
      head = null;
    }
    bomChecked = true;
    if (head !== null && head.length > 0) yield head;
  }

  // Records are taken synchronously from `on_record` (and dropped from the stream) and every
  // chunk is written with its own callback: the records a chunk completes are yielded in order,
  // and an error comes after the records that preceded it, with their lines counted.
  const pending: string[][] = [];
  const pendingLines: number[] = [];
  const pendingEnds: number[] = [];
  let parser: ReturnType<typeof parse> | null = null;
  const makeParser = () => {
    const p = parse({
      delimiter,
      record_delimiter: ['\r\n', '\n'],
      encoding,
      bom: false,
      relax_column_count: opts.relaxColumnCount ?? false,
      on_record: (record: string[], context: { lines: number; bytes: number }) => {
        pending.push(record);
        pendingLines.push(context.lines);
        pendingEnds.push(context.bytes);
        return null;
      },
    });
    p.on('error', () => {}); // reported through the write and end callbacks
    p.resume();
    return p;
  };
  const write = (p: ReturnType<typeof parse>, chunk: Buffer | null) =>
    new Promise<Error | null>((resolve) => {
      if (chunk === null) p.end((err?: Error | null) => resolve(err ?? null));
      else p.write(chunk, (err?: Error | null) => resolve(err ?? null));
    });

  // Physical lines are counted here from the fields' own LFs (an LF outside quotes always ends a
  // record), because csv-parse's `info.lines` also counts every CR inside quotes as a line
  // break. `parsedLines` is csv-parse's count at the end of the last record, kept only to place
  // an error that csv-parse reports by its own count.
  let line = 1;
  let parsedLines = 0;
  let records = 0;
  // UTF-8 is checked on the raw chunks (native, fast); the first invalid byte's offset is then
  // matched to the record that holds it, by csv-parse's byte count.
  const utf8 = new Utf8Check();
  let fed = 0;
  let badOffset = -1;
  const source = bytes();
  try {
    for (;;) {
      const next = await source.next().catch((err: unknown) => {
        throw ioError(err, file);
      });
      parser ??= makeParser();
      if (encoding === 'utf8' && badOffset < 0) {
        const k = next.done ? utf8.end() : utf8.push(next.value);
        if (k !== null) badOffset = fed + k;
      }
      if (!next.done) fed += next.value.length;
      const err = await write(parser, next.done ? null : next.value);
      for (let r = 0; r < pending.length; r++) {
        const fields = pending[r];
        if (badOffset >= 0 && pendingEnds[r] > badOffset) throw encodingError(fields, file, line);
        let newlines = 0;
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i];
          if (f.length > 0 && f.indexOf('\n') !== -1) newlines += countLf(f);
        }
        const row: CsvRow = { fields, line };
        line += 1 + newlines;
        parsedLines = pendingLines[r];
        records++;
        yield row;
      }
      pending.length = 0;
      pendingLines.length = 0;
      pendingEnds.length = 0;
      if (err) throw mapError(err, file, line, parsedLines);
      if (next.done) break;
    }
  } finally {
    parser?.destroy();
    await source.return(undefined);
  }
  if (records === 0 && opts.header) {
    throw new RollmarkError('CSV_EMPTY', 'the file is empty: no header row', { file });
  }
}

/** `readCsv` over a file (named in errors by its path unless `file` says otherwise). */
export async function* readCsvFile(
  path: string,
  opts: Omit<ReadCsvOptions, 'file'> & { file?: string } = {},
): AsyncGenerator<CsvRow, void, undefined> {
  const file = opts.file ?? path;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    yield* readCsv(stream, { ...opts, file });
  } finally {
    stream.destroy();
  }
}

/** A CSV with a header row: the header, then the data rows. */
export interface CsvTable {
  header: string[];
  headerLine: number;
  rows: AsyncGenerator<CsvRow, void, undefined>;
}

/** Reads the header (CSV_EMPTY when there is none) and returns it with the remaining rows. */
export async function readCsvTable(
  input: NodeJS.ReadableStream | AsyncIterable<Chunk>,
  opts: ReadCsvOptions,
): Promise<CsvTable> {
  const it = readCsv(input, { ...opts, header: true });
  const first = await it.next();
  if (first.done) throw new RollmarkError('CSV_EMPTY', 'the file is empty: no header row', { file: opts.file });
  return { header: first.value.fields, headerLine: first.value.line, rows: it };
}

function isBomStart(b: Buffer): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb);
}

function countLf(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function encodingError(fields: string[], file: string, line: number): RollmarkError {
  let field = fields.findIndex((f) => f.indexOf('\uFFFD') !== -1);
  let newlines = 0;
  for (let i = 0; i < Math.max(field, 0); i++) newlines += countLf(fields[i]);
  if (field === -1) field = 0;
  return new RollmarkError('CSV_ENCODING',
    `field ${field + 1} is not valid UTF-8 (is the file Latin-1? read it with encoding latin1)`,
    { file, line: line + newlines });
}

/**
 * Streaming UTF-8 validation: `push` returns the offset, relative to that chunk, of the first
 * invalid byte (negative when it is in a sequence begun in the previous chunk), or null. A
 * sequence cut by the chunk's end is kept for the next chunk.
 */
class Utf8Check {
  private tail: Buffer | null = null;

  push(chunk: Buffer): number | null {
    const carried = this.tail === null ? 0 : this.tail.length;
    const data = this.tail === null ? chunk : Buffer.concat([this.tail, chunk]);
    const end = completeEnd(data);
    this.tail = end < data.length ? Buffer.from(data.subarray(end)) : null;
    if (isUtf8(data.subarray(0, end))) return null;
    return firstInvalidUtf8(data, end) - carried;
  }

  /** At the end of the input: a sequence left incomplete is invalid. */
  end(): number | null {
    if (this.tail === null) return null;
    const n = this.tail.length;
    this.tail = null;
    return -n;
  }
}

/** Where the last complete UTF-8 sequence of `b` ends (before an incomplete one at the end). */
function completeEnd(b: Buffer): number {
  const len = b.length;
  for (let k = 1; k <= 3 && k <= len; k++) {
    const c = b[len - k];
    if (c < 0x80) return len;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return k >= need ? len : len - k;
    }
  }
  return len;
}

/** Index of the first byte that does not start a valid UTF-8 sequence (RFC 3629), or `to`. */
function firstInvalidUtf8(b: Buffer, to: number): number {
  let i = 0;
  while (i < to) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= to) return i; // cut short
    const c1 = b[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let j = 2; j <= n; j++) {
      const cj = b[i + j];
      if (cj < 0x80 || cj > 0xbf) return i;
    }
    i += n + 1;
  }
  return to;
}

const CODES: Record<string, ErrorCode> = {
  CSV_QUOTE_NOT_CLOSED: 'CSV_QUOTE_NOT_CLOSED',
  CSV_INVALID_CLOSING_QUOTE: 'CSV_INVALID_CLOSING_QUOTE',
  INVALID_OPENING_QUOTE: 'CSV_INVALID_OPENING_QUOTE',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'CSV_COLUMN_COUNT',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'CSV_COLUMN_COUNT',
};

/**
 * A csv-parse error as a RollmarkError. `line` is where the failing record starts (exact, by our
 * count); an error inside the record is placed by csv-parse's own count relative to that start.
 */
function mapError(err: unknown, file: string, line: number, parsedLines: number): RollmarkError {
  if (err instanceof RollmarkError) return err;
  if (!(err instanceof CsvError)) return ioError(err, file);
  const e = err as CsvError & { lines?: number; column?: number | string | null; record?: unknown[] };
  const code = CODES[e.code] ?? 'CSV_MALFORMED';
  const field = typeof e.column === 'number' ? e.column + 1 : undefined;
  const within = typeof e.lines === 'number' ? Math.max(0, e.lines - (parsedLines + 1)) : 0;
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new RollmarkError(code,
        `the quote opening field ${field ?? '?'} of the record starting here is not closed by the end of the file`,
        { file, line });
    case 'CSV_INVALID_CLOSING_QUOTE': {
      const got = /got "(.*?)" at line/s.exec(e.message)?.[1];
      return new RollmarkError(code,
        `the quote closing field ${field ?? '?'} is followed by ${got ? JSON.stringify(got) : 'a character'} instead of a delimiter or a line end`,
        { file, line: line + within });
    }
    case 'CSV_INVALID_OPENING_QUOTE':
      return new RollmarkError(code,
        `a quote inside unquoted field ${field ?? '?'}: quote the whole field and double the quote`,
        { file, line: line + within });
    case 'CSV_COLUMN_COUNT': {
      const m = /expect (\d+), got (\d+)/.exec(e.message);
      const what = m ? `expected ${m[1]} fields (as in the first record), got ${m[2]}` : 'wrong number of fields';
      return new RollmarkError(code, what, { file, line });
    }
    default:
      return new RollmarkError(code, e.message.replace(/\s+/g, ' '), { file, line: line + within });
  }
}
