import * as fs from 'node:fs';
import { RollmarkError, ioError } from '../errors.js';
import { CsvScanner, recordFields, type ScannedRecord } from '../csv/scanner.js';

/**
 * Reads a registry with the byte scanner, strictly (a malformed line stops the run naming the
 * file and line). The header goes to `onHeader`, every data row to `onRow` (a reused record:
 * read it inside the call), and after each ~1 MB chunk `afterChunk` may pause the read, which is
 * how the writers' backpressure reaches the reader; `onChunk` sees every byte read, before it is
 * scanned (the registry's sha256). Blank lines are skipped; a row with the wrong
 * number of fields is CSV_COLUMN_COUNT.
 */
export async function readRegistry(
  file: string,
  onHeader: (header: string[], line: number) => void,
  onRow: (r: ScannedRecord) => void,
  afterChunk?: () => Promise<void> | void,
  onChunk?: (chunk: Buffer) => void,
): Promise<void> {
  const scanner = new CsvScanner({ file });
  let columns = -1;
  const onRecord = (r: ScannedRecord) => {
    if (columns < 0) {
      const header = recordFields(r).map((h) => h.trim());
      columns = header.length;
      onHeader(header, r.line);
      return;
    }
    if (r.fieldCount !== columns) {
      if (r.fieldCount === 1 && r.fieldEnd[0] === r.fieldStart[0]) return;
      throw new RollmarkError('CSV_COLUMN_COUNT', `expected ${columns} fields like the header, got ${r.fieldCount}`, { file, line: r.line });
    }
    onRow(r);
  };
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    for await (const chunk of stream) {
      onChunk?.(chunk as Buffer);
      scanner.push(chunk as Buffer, onRecord);
      if (afterChunk) await afterChunk();
    }
    scanner.end(onRecord);
    if (afterChunk) await afterChunk();
  } catch (err) {
    if (err instanceof RollmarkError) throw err;
    throw ioError(err, file);
  }
  if (columns < 0) throw new RollmarkError('CSV_EMPTY', 'the registry is empty', { file });
}
