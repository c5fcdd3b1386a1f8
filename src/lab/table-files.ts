/**
 * Tables to and from files: a leak written as a leaker publishes it (delimiter, encoding, gzip,
 * header or not, BOM, line ends), and a CSV or TSV read back into a table.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import { ioError, RollmarkError, type ErrorCode } from '../errors.js';
import { invalid, type Table } from './table.js';

export interface WriteOptions {
  delimiter?: ',' | '\t' | ';';
  encoding?: 'utf8' | 'latin1';
  gzip?: boolean;
  /** Write the header row (default true); false is the "no header" dump. */
  header?: boolean;
  /** CRLF line ends (default LF). */
  crlf?: boolean;
  /** A UTF-8 byte-order mark, as spreadsheet exports write (UTF-8 only). */
  bom?: boolean;
}

/**
 * Latin-1 text for a string: NFC first (so N + U+0303 becomes Ñ, which Latin-1 has), then '?' for
 * each code point Latin-1 still cannot hold, as iconv's and most exporters' substitution does.
 */
export function toLatin1(s: string): Buffer {
  return Buffer.from(s.normalize('NFC').replace(/[^\u0000-\u00ff]/gu, '?'), 'latin1');
}

function quoteField(v: string, delimiter: string): string {
  if (v.includes('"')) return `"${v.replaceAll('"', '""')}"`;
  if (v.includes(delimiter) || v.includes('\n') || v.includes('\r')) return `"${v}"`;
  return v;
}

/** Writes a table as a leaker publishes it: delimiter, encoding, compression, header or not. */
export async function writeTable(t: Table, file: string, opts: WriteOptions = {}): Promise<void> {
  const delimiter = opts.delimiter ?? ',';
  const encoding = opts.encoding ?? 'utf8';
  if (![',', '\t', ';'].includes(delimiter)) throw invalid(`unsupported delimiter ${JSON.stringify(delimiter)}`);
  if (encoding !== 'utf8' && encoding !== 'latin1') throw invalid(`unsupported encoding '${String(encoding)}'`);
  if (opts.bom && encoding !== 'utf8') throw invalid('a byte-order mark needs UTF-8; Latin-1 has none');
  const eol = opts.crlf ? '\r\n' : '\n';
  const encode = (s: string) => (encoding === 'latin1' ? toLatin1(s) : Buffer.from(s, 'utf8'));
  const line = (r: readonly string[]) => r.map((v) => quoteField(v, delimiter)).join(delimiter) + eol;

  async function* chunks(): AsyncGenerator<Buffer> {
    let text = opts.bom ? '\ufeff' : '';
    if (opts.header !== false) text += line(t.header);
    for (const r of t.rows) {
      text += line(r);
      if (text.length >= 1 << 20) {
        yield encode(text);
        text = '';
      }
    }
    if (text !== '') yield encode(text);
  }

  try {
    if (opts.gzip) await pipeline(Readable.from(chunks()), createGzip(), createWriteStream(file));
    else await pipeline(Readable.from(chunks()), createWriteStream(file));
  } catch (err) {
    throw ioError(err, file);
  }
}

export interface ReadOptions {
  /** Default: guessed from the first line (comma, tab or semicolon, whichever occurs most). */
  delimiter?: ',' | '\t' | ';';
  encoding?: 'utf8' | 'latin1';
  /** Whether the first row is a header (default true); without one, columns are named c1, c2, ... */
  header?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The first bytes of a file, decompressed when it is gzip. */
async function head(file: string, bytes: number): Promise<{ gzip: boolean; text: Buffer }> {
  let fh;
  try {
    fh = await open(file, 'r');
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const raw = buf.subarray(0, bytesRead);
    const gzip = raw.length >= 2 && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
    if (!gzip) return { gzip, text: raw };
    try {
      return { gzip, text: gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH }) };
    } catch {
      return { gzip, text: Buffer.alloc(0) };
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh?.close();
  }
}

/** The delimiter occurring most often outside quotes in the first record (comma on a tie). */
function guessDelimiter(sample: Buffer): ',' | '\t' | ';' {
  const text = sample.toString('latin1');
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === '\t' || ch === ';')) counts[ch]++;
  }
  let best: ',' | '\t' | ';' = ',';
  for (const d of ['\t', ';'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

const CSV_CODES: Record<string, ErrorCode> = {
  CSV_QUOTE_NOT_CLOSED: 'CSV_QUOTE_NOT_CLOSED',
  CSV_INVALID_CLOSING_QUOTE: 'CSV_INVALID_CLOSING_QUOTE',
  CSV_INVALID_OPENING_QUOTE: 'CSV_INVALID_OPENING_QUOTE',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'CSV_COLUMN_COUNT',
  CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH: 'CSV_COLUMN_COUNT',
};

/**
 * Reads a CSV (or TSV) file into a table: UTF-8 with or without a BOM by default, gzip detected
 * by its magic bytes. Every parse error names the file and line.
 */
export async function readTable(file: string, opts: ReadOptions = {}): Promise<Table> {
  const { gzip, text } = await head(file, 64 * 1024);
  const delimiter = opts.delimiter ?? guessDelimiter(text);
  const encoding = opts.encoding ?? 'utf8';
  const parser = parse({
    delimiter,
    bom: encoding === 'utf8',
    encoding: encoding === 'latin1' ? 'latin1' : 'utf8',
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
  const records: string[][] = [];
  try {
    const source = createReadStream(file);
    const collect = async (rows: AsyncIterable<string[]>) => {
      for await (const r of rows) records.push(r);
    };
    if (gzip) await pipeline(source, createGunzip(), parser, collect);
    else await pipeline(source, parser, collect);
  } catch (err) {
    if (err instanceof CsvError) {
      const lines = (err as CsvError & { lines?: unknown }).lines;
      const line = typeof lines === 'number' ? lines : undefined;
      throw new RollmarkError(CSV_CODES[err.code] ?? 'CSV_MALFORMED', err.message.replace(/\s+/g, ' '), { file, line });
    }
    throw ioError(err, file);
  }
  if (opts.header === false) {
    const width = records[0]?.length ?? 0;
    return { header: Array.from({ length: width }, (_, i) => `c${i + 1}`), rows: records };
  }
  const [header, ...rows] = records;
  if (header === undefined) throw new RollmarkError('CSV_EMPTY', 'empty file: no header row', { file });
  return { header, rows };
}
