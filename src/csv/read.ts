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

  // BOM: handled here rather than by csv-parse so that fields stay Buffers (`encoding: null`)
  // and can be checked for valid UTF-8 before decoding.
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
    if (head !== null && head.length > 0) yield head;
  }

  // Records are taken synchronously from `on_record` (and dropped from the stream) and every
  // chunk is written with its own callback: the records a chunk completes are yielded in order,
  // and an error comes after the records that preceded it, with their lines counted.
  const pending: (Buffer | string)[][] = [];
  const pendingLines: number[] = [];
  const parser = parse({
    delimiter,
    record_delimiter: ['\r\n', '\n'],
    encoding: null,
    bom: false,
    relax_column_count: opts.relaxColumnCount ?? false,
    on_record: (record: (Buffer | string)[], context: { lines: number }) => {
      pending.push(record);
      pendingLines.push(context.lines);
      return null;
    },
  });
  parser.on('error', () => {}); // reported through the write and end callbacks
  parser.resume();
  const write = (chunk: Buffer | null) =>
    new Promise<Error | null>((resolve) => {
      if (chunk === null) parser.end((err?: Error | null) => resolve(err ?? null));
      else parser.write(chunk, (err?: Error | null) => resolve(err ?? null));
    });

  // Physical lines are counted here from the fields' own LFs (an LF outside quotes always ends a
  // record), because csv-parse's `info.lines` also counts every CR inside quotes as a line
  // break. `parsedLines` is csv-parse's count at the end of the last record, kept only to place
  // an error that csv-parse reports by its own count.
  let line = 1;
  let parsedLines = 0;
  let records = 0;
  const input_ = bytes();
  try {
    for (;;) {
      const next = await input_.next().catch((err: unknown) => {
        throw ioError(err, file);
      });
      const err = await write(next.done ? null : next.value);
      for (let r = 0; r < pending.length; r++) {
        const raw = pending[r];
        const fields = new Array<string>(raw.length);
        let newlines = 0;
        for (let i = 0; i < raw.length; i++) {
          const f = decode(raw[i], encoding, file, line + newlines, i);
          fields[i] = f;
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
      if (err) throw mapError(err, file, line, parsedLines);
      if (next.done) break;
    }
  } finally {
    parser.destroy();
    await input_.return(undefined);
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

function decode(v: Buffer | string, encoding: 'utf8' | 'latin1', file: string, line: number, field: number): string {
  if (typeof v === 'string') return v;
  const s = v.toString(encoding);
  // A U+FFFD in the text is either in the data or a replaced invalid sequence; only then is the
  // (fast, native) validity check worth running.
  if (encoding === 'utf8' && s.indexOf('\uFFFD') !== -1 && !isUtf8(v)) {
    throw new RollmarkError('CSV_ENCODING',
      `field ${field + 1} is not valid UTF-8 (is the file Latin-1? read it with encoding latin1)`, { file, line });
  }
  return s;
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
