import { parse } from 'csv-parse/sync';
import { CsvScanner, recordFields, type ScannerOptions } from '../../src/csv/scanner.js';
import { RollmarkError } from '../../src/errors.js';

export interface Scanned {
  fields: string[];
  line: number;
  offset: number;
  start: number;
  end: number;
  next: number;
  raw: string;
}

/** Scans `input` pushed in chunks of the given sizes (cycled), collecting every record. */
export function scanChunks(input: Buffer, sizes: readonly number[] = [input.length || 1], opts: ScannerOptions = {}) {
  const s = new CsvScanner(opts);
  const out: Scanned[] = [];
  const on = (r: Parameters<Parameters<CsvScanner['push']>[1]>[0]) => {
    out.push({
      fields: recordFields(r),
      line: r.line,
      offset: r.offset,
      start: r.start,
      end: r.end,
      next: r.next,
      raw: r.buf.toString('utf8', r.start, r.next),
    });
  };
  let pos = 0;
  let k = 0;
  while (pos < input.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]);
    // copy: the scanner must not depend on the chunk staying untouched after push returns
    const chunk = Buffer.from(input.subarray(pos, pos + n));
    s.push(chunk, on);
    chunk.fill(0x7e);
    pos += n;
  }
  s.end(on);
  return { records: out, scanner: s };
}

/** The scanner's outcome: records' fields, or the error code. */
export function scanOutcome(input: Buffer, sizes?: readonly number[], opts: ScannerOptions = {}): string[][] | string {
  try {
    return scanChunks(input, sizes, opts).records.map((r) => r.fields);
  } catch (err) {
    if (err instanceof RollmarkError) return err.code;
    throw err;
  }
}

const CSV_PARSE_CODES: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'CSV_INVALID_OPENING_QUOTE',
};

/** csv-parse's outcome in the scanner's dialect. */
export function referenceOutcome(input: Buffer, delimiter = ','): string[][] | string {
  try {
    return parse(input, {
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
    }) as string[][];
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'UNKNOWN';
    return CSV_PARSE_CODES[code] ?? code;
  }
}

/** 1 + LFs before `offset`: the physical line of a byte. */
export function lineOf(input: Buffer, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (input[i] === 10) n++;
  return n;
}
