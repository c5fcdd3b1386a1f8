import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { readCsv, readCsvFile, readCsvTable, type CsvRow, type ReadCsvOptions } from '../../src/csv/read.js';
import { RollmarkError } from '../../src/errors.js';
import { referenceOutcome, scanChunks } from './support.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function* chunks(input: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let pos = 0;
  let k = 0;
  while (pos < input.length) {
    const n = sizes[k++ % sizes.length];
    yield input.subarray(pos, pos + n);
    pos += n;
  }
}

async function readAll(input: Buffer | string, opts: Partial<ReadCsvOptions> = {}, sizes = [1 << 20]): Promise<CsvRow[]> {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const rows: CsvRow[] = [];
  for await (const row of readCsv(chunks(buf, sizes), { file: 'in.csv', ...opts })) rows.push(row);
  return rows;
}

async function errorOf(p: Promise<unknown>): Promise<RollmarkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RollmarkError) return err;
    throw err;
  }
  throw new Error('expected a RollmarkError');
}

describe('readCsv', () => {
  it('yields fields and the line where each record starts', async () => {
    const rows = await readAll('\uFEFFid,name\r\n1,"Pérez, ""Juan"""\r\n2,"a\r\nb\nc"\n3,x\n', {}, [1, 2, 3]);
    expect(rows).toEqual([
      { fields: ['id', 'name'], line: 1 },
      { fields: ['1', 'Pérez, "Juan"'], line: 2 },
      { fields: ['2', 'a\r\nb\nc'], line: 3 },
      { fields: ['3', 'x'], line: 6 },
    ]);
  });

  it('reads strings and Node streams too', async () => {
    const rows: CsvRow[] = [];
    for await (const r of readCsv(Readable.from(['a,b\n', 'c,', 'd\n']), { file: 's.csv' })) rows.push(r);
    expect(rows.map((r) => r.fields)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('reads TSV', async () => {
    expect((await readAll('a\tb,c\n"x\ty"\tz\n', { delimiter: '\t' })).map((r) => r.fields)).toEqual([
      ['a', 'b,c'],
      ['x\ty', 'z'],
    ]);
  });

  it('checks the column count unless relaxed', async () => {
    const err = await errorOf(readAll('a,b\n"1\n2",3\n4\n', { file: 'reg.csv' }));
    expect(err.code).toBe('CSV_COLUMN_COUNT');
    expect(err.file).toBe('reg.csv');
    expect(err.line).toBe(4);
    expect(err.message).toBe('expected 2 fields (as in the first record), got 1');
    expect((await readAll('a,b\n4\n', { relaxColumnCount: true })).length).toBe(2);
  });

  it('maps quote errors with the file and line', async () => {
    const relax = { relaxColumnCount: true };
    let err = await errorOf(readAll('a\n"x\r\ny",b\nc,"open\n', relax));
    expect(err.code).toBe('CSV_QUOTE_NOT_CLOSED');
    expect(err.line).toBe(4);
    expect(err.format()).toMatch(/^in\.csv:4: .*\[CSV_QUOTE_NOT_CLOSED\]$/);
    err = await errorOf(readAll('a\n"x\ny",b\n"c"d\n', relax));
    expect(err.code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(err.line).toBe(4);
    expect(err.message).toContain('"d"');
    err = await errorOf(readAll('a\nb"c\n'));
    expect(err.code).toBe('CSV_INVALID_OPENING_QUOTE');
    expect(err.line).toBe(2);
  });

  it('decodes Latin-1 on request and rejects invalid UTF-8 otherwise', async () => {
    const latin = Buffer.from([0x41, 0x2c, 0x42, 0x0a, 0x4e, 0x55, 0xd1, 0x45, 0x5a, 0x2c, 0x22, 0xc1, 0x0a, 0x22, 0x0a]);
    expect((await readAll(latin, { encoding: 'latin1' })).map((r) => r.fields)).toEqual([['A', 'B'], ['NUÑEZ', 'Á\n']]);
    const err = await errorOf(readAll(latin));
    expect(err.code).toBe('CSV_ENCODING');
    expect(err.line).toBe(2);
    expect(err.message).toContain('field 1');
    // a real U+FFFD in UTF-8 data is data
    expect((await readAll('a\uFFFDb\n')).map((r) => r.fields)).toEqual([['a\uFFFDb']]);
    // a UTF-8 BOM wins over the requested encoding
    expect((await readAll('\uFEFFÑ\n', { encoding: 'latin1' })).map((r) => r.fields)).toEqual([['Ñ']]);
  });

  it('checks UTF-8 across chunk boundaries and names the record that holds the bad byte', async () => {
    const text = Buffer.from('a,€\nb,😀\n"c\nd",é\n');
    for (const sizes of [[1], [2], [3], [5], [1 << 20]]) {
      expect((await readAll(text, {}, sizes)).map((r) => r.fields[1])).toEqual(['€', '😀', 'é']);
    }
    const bad = Buffer.concat([Buffer.from('a,b\n"x\ny",z\nok,'), Buffer.from([0xe2, 0x82]), Buffer.from('\nlast,1\n')]);
    for (const sizes of [[1], [3], [1 << 20]]) {
      const err = await errorOf(readAll(bad, {}, sizes));
      expect(err.code).toBe('CSV_ENCODING');
      expect(err.line).toBe(4);
      expect(err.message).toContain('field 2');
    }
    // a sequence cut off by the end of the input
    const cut = Buffer.concat([Buffer.from('a\nb'), Buffer.from([0xf0, 0x9f])]);
    expect((await errorOf(readAll(cut, {}, [1])))).toMatchObject({ code: 'CSV_ENCODING', line: 2 });
  });

  it('fuzz: CSV_ENCODING exactly when the input is not UTF-8, at the right record', async () => {
    // well-formed CSV whose fields mix valid multi-byte characters with invalid sequences
    const text = ['a', 'é', '€', '😀', ' '].map((p) => Buffer.from(p));
    const invalid = [[0xff], [0xc3], [0xa9], [0xed, 0xa0, 0x80], [0xe0, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]].map((b) => Buffer.from(b));
    const field = fc
      .tuple(fc.array(fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...text) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) }), { maxLength: 5 }), fc.boolean())
      .map(([ps, q]) => (q ? Buffer.concat([Buffer.from('"'), ...ps, Buffer.from('"')]) : Buffer.concat(ps)));
    const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((fs) => Buffer.concat(fs.flatMap((f, i) => (i ? [Buffer.from(','), f] : [f]))));
    const arb = fc.tuple(
      fc.array(record, { minLength: 1, maxLength: 8 }).map((rs) => rs.flatMap((r) => [r, Buffer.from('\n')])),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([ps, sizes]) => {
        const input = Buffer.concat(ps);
        const records = scanChunks(input).records;
        let got: CsvRow[] | RollmarkError;
        try {
          got = await readAll(input, { relaxColumnCount: true }, sizes);
        } catch (err) {
          got = err as RollmarkError;
        }
        if (isUtf8(input)) {
          expect(got).toEqual(records.map((r) => ({ fields: r.fields, line: r.line })));
        } else {
          expect(got).toBeInstanceOf(RollmarkError);
          const firstBad = records.find((r) => !isUtf8(input.subarray(r.offset, r.offset + (r.next - r.start))));
          expect((got as RollmarkError).code).toBe('CSV_ENCODING');
          expect((got as RollmarkError).line).toBe(firstBad?.line);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('header: an empty input is CSV_EMPTY; readCsvTable splits the header off', async () => {
    expect((await errorOf(readAll('', { header: true }))).code).toBe('CSV_EMPTY');
    expect(await readAll('')).toEqual([]);
    const t = await readCsvTable(chunks(Buffer.from('id,name\n1,a\n2,b\n'), [5]), { file: 't.csv' });
    expect(t.header).toEqual(['id', 'name']);
    const rows: CsvRow[] = [];
    for await (const r of t.rows) rows.push(r);
    expect(rows).toEqual([{ fields: ['1', 'a'], line: 2 }, { fields: ['2', 'b'], line: 3 }]);
    await expect(readCsvTable(chunks(Buffer.alloc(0), [1]), { file: 'e.csv' })).rejects.toMatchObject({ code: 'CSV_EMPTY' });
  });

  it('readCsvFile names the file, and stops cleanly when the loop breaks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollmark-read-'));
    made.push(dir);
    const f = path.join(dir, 'r.csv');
    writeFileSync(f, Array.from({ length: 10000 }, (_, i) => `${i},x`).join('\n'));
    let n = 0;
    for await (const r of readCsvFile(f)) {
      if (++n === 3) {
        expect(r.fields).toEqual(['2', 'x']);
        break;
      }
    }
    const err = await errorOf((async () => {
      for await (const _ of readCsvFile(path.join(dir, 'missing.csv'))) void _;
    })());
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.file).toBe(path.join(dir, 'missing.csv'));
  });

  it('agrees with the scanner (and csv-parse) on fuzzed input, records, lines and error codes', async () => {
    const pieces = ['a', 'é', ',', '"', '""', '\r', '\n', '\r\n', '"x"', ',"'];
    const arb = fc.tuple(
      fc.array(fc.constantFrom(...pieces), { maxLength: 25 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([ps, bom, sizes]) => {
        const input = Buffer.from((bom ? '\uFEFF' : '') + ps.join(''), 'utf8');
        let scanned: { fields: string[]; line: number }[] | string;
        try {
          scanned = scanChunks(input).records.map((r) => ({ fields: r.fields, line: r.line }));
        } catch (err) {
          scanned = (err as RollmarkError).code;
        }
        let read: CsvRow[] | string;
        try {
          read = await readAll(input, { relaxColumnCount: true }, sizes);
        } catch (err) {
          read = (err as RollmarkError).code;
        }
        expect(read).toEqual(scanned);
        const ref = referenceOutcome(input);
        expect(typeof read === 'string' ? read : read.map((r) => r.fields)).toEqual(ref);
      }),
      { numRuns: 600 },
    );
  });
});
