import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CsvScanner,
  fieldEquals,
  fieldInt,
  fieldLength,
  fieldString,
  recordFields,
  type ScannedRecord,
} from '../../src/csv/scanner.js';
import { RollmarkError } from '../../src/errors.js';
import { lineOf, referenceOutcome, scanChunks, scanOutcome } from './support.js';

const b = (s: string) => Buffer.from(s, 'utf8');

function errorOf(fn: () => unknown): RollmarkError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RollmarkError) return err;
    throw err;
  }
  throw new Error('expected a RollmarkError');
}

describe('CsvScanner: records and fields', () => {
  it('reads quoted fields, escaped quotes, embedded delimiters and line ends', () => {
    const input = b('id,name,note\r\n1,"Pérez, Juan","he said ""hi"""\r\n2,"multi\nline\r\nnote",\n3,,"",x\n');
    const { records } = scanChunks(input);
    expect(records.map((r) => r.fields)).toEqual([
      ['id', 'name', 'note'],
      ['1', 'Pérez, Juan', 'he said "hi"'],
      ['2', 'multi\nline\r\nnote', ''],
      ['3', '', '', 'x'],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 6]);
    // `end` excludes the line end, `next` includes it
    expect(input.toString('utf8', records[0].start, records[0].end)).toBe('id,name,note');
    expect(records[0].next - records[0].end).toBe(2);
    expect(records[3].next - records[3].end).toBe(1);
  });

  it('handles a BOM, a final line without newline, empty lines and lone CRs', () => {
    const { records, scanner } = scanChunks(b('\uFEFFa,b\n\nc\rd,e'), [1]);
    expect(scanner.bom).toBe(true);
    expect(records.map((r) => r.fields)).toEqual([['a', 'b'], [''], ['c\rd', 'e']]);
    expect(records[0].offset).toBe(3);
    expect(records[2].line).toBe(3);
    expect(scanChunks(b('')).records).toEqual([]);
    expect(scanChunks(b('\uFEFF')).records).toEqual([]);
    expect(scanChunks(b('a,')).records.map((r) => r.fields)).toEqual([['a', '']]);
    expect(scanChunks(b('""')).records.map((r) => r.fields)).toEqual([['']]);
    expect(scanChunks(b('\uFEFF'), [1]).scanner.bom).toBe(true);
    // a BOM prefix that never completes is data
    const stub = scanChunks(Buffer.from([0xef, 0xbb]), [1]);
    expect(stub.scanner.bom).toBe(false);
    expect(stub.records.map((r) => r.raw)).toEqual([Buffer.from([0xef, 0xbb]).toString()]);
    expect(scanChunks(Buffer.from([0xef, 0xbb, 0x41, 0x0a]), [1]).records.length).toBe(1);
  });

  it('takes a BOM only at the start of the file', () => {
    const { records } = scanChunks(b('\uFEFFa\n\uFEFFb\n'));
    expect(records.map((r) => r.fields)).toEqual([['a'], ['\uFEFFb']]);
    const shard = scanChunks(b('\uFEFFa\n'), undefined, { startOffset: 100, startLine: 7 });
    expect(shard.scanner.bom).toBe(false);
    expect(shard.records[0]).toMatchObject({ fields: ['\uFEFFa'], line: 7, offset: 100 });
  });

  it('reports ragged rows as they are', () => {
    const { records } = scanChunks(b('a,b,c\nd\ne,f,g,h\n'));
    expect(records.map((r) => r.fields.length)).toEqual([3, 1, 4]);
  });

  it('uses any single-byte delimiter (TSV)', () => {
    const { records } = scanChunks(b('a\tb,c\t"d\te"\n'), undefined, { delimiter: '\t' });
    expect(records.map((r) => r.fields)).toEqual([['a', 'b,c', 'd\te']]);
    expect(() => new CsvScanner({ delimiter: '"' })).toThrow(RollmarkError);
    expect(() => new CsvScanner({ delimiter: 'ab' })).toThrow(RollmarkError);
  });

  it('grows past 64 fields and enforces maxFields', () => {
    const row = Array.from({ length: 300 }, (_, i) => `f${i}`).join(',');
    const { records } = scanChunks(b(`${row}\n${row}\n`), [7]);
    expect(records[1].fields).toHaveLength(300);
    expect(records[1].fields[299]).toBe('f299');
    const err = errorOf(() => scanChunks(b(`${row}\n`), undefined, { maxFields: 100, file: 'x.csv' }));
    expect(err.code).toBe('CSV_MALFORMED');
  });

  it('keeps records spanning many chunks linear (one huge quoted field)', () => {
    const big = 'x'.repeat(200_000) + '\n' + 'y'.repeat(200_000);
    const input = b(`a,"${big}",b\nc\n`);
    const t0 = Date.now();
    const { records } = scanChunks(input, [13]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(records.map((r) => r.fields)).toEqual([['a', big, 'b'], ['c']]);
    expect(records[1].line).toBe(3);
  });

  it('field accessors read bytes without strings', () => {
    const s = new CsvScanner();
    const seen: Array<[string, boolean, boolean, number, number]> = [];
    s.push(b('"a""b",abc,"0042",12x,"",é\n'), (r: ScannedRecord) => {
      seen.push([fieldString(r, 0), fieldEquals(r, 0, b('a"b')), fieldEquals(r, 1, b('abc')), fieldInt(r, 2), fieldLength(r, 0)]);
      expect(fieldEquals(r, 1, b('abd'))).toBe(false);
      expect(fieldEquals(r, 0, b('a"bc'))).toBe(false);
      expect(fieldEquals(r, 4, b(''))).toBe(true);
      expect(Number.isNaN(fieldInt(r, 3))).toBe(true);
      expect(Number.isNaN(fieldInt(r, 4))).toBe(true);
      expect(fieldLength(r, 5)).toBe(2);
      expect(r.quoted[0]).toBe(1);
      expect(r.quoted[1]).toBe(0);
    });
    s.end(() => {});
    expect(seen).toEqual([['a"b', true, true, 42, 3]]);
  });

  it('decodes Latin-1 bytes on request', () => {
    const input = Buffer.from([0x4e, 0x55, 0xd1, 0x45, 0x5a, 0x2c, 0x22, 0xc1, 0x22, 0x0a]); // NUÑEZ,"Á"
    const s = new CsvScanner();
    const got: string[][] = [];
    s.push(input, (r) => got.push(recordFields(r, 'latin1')));
    s.end(() => {});
    expect(got).toEqual([['NUÑEZ', 'Á']]);
  });
});

describe('CsvScanner: errors', () => {
  it('an unclosed quote names the line and column where it opened', () => {
    const err = errorOf(() => scanChunks(b('a,b\n"x\ny",z\nq,"open\nmore\n'), [3], { file: 'reg.csv' }));
    expect(err.code).toBe('CSV_QUOTE_NOT_CLOSED');
    expect(err.file).toBe('reg.csv');
    expect(err.line).toBe(4);
    expect(err.column).toBe(3);
    expect(err.format()).toMatch(/^reg\.csv:4:3: .*field 2.* \[CSV_QUOTE_NOT_CLOSED\]$/);
  });

  it('a quote followed by a non-delimiter is CSV_INVALID_CLOSING_QUOTE with line and column', () => {
    const err = errorOf(() => scanChunks(b('a,b\n"m\nl",ok\nñ,"x"y\n'), [1], { file: 'f.csv' }));
    expect(err.code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(err.line).toBe(4);
    expect(err.column).toBe(6); // the "y", counted in characters (ñ is one)
    expect(err.message).toContain('"y"');
    expect(errorOf(() => scanChunks(b('"a"\r'))).code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(errorOf(() => scanChunks(b('"a"\rb\n'))).code).toBe('CSV_INVALID_CLOSING_QUOTE');
  });

  it('a quote inside an unquoted field is CSV_INVALID_OPENING_QUOTE', () => {
    const err = errorOf(() => scanChunks(b('a\nab"c\n')));
    expect(err.code).toBe('CSV_INVALID_OPENING_QUOTE');
    expect(err.line).toBe(2);
    expect(err.column).toBe(3);
  });

  it('a shard without a known line names the byte offset instead', () => {
    const err = errorOf(() => scanChunks(b('a\n"x"y\n'), undefined, { startOffset: 1000, file: 'd.csv' }));
    expect(err.line).toBeUndefined();
    expect(err.message).toContain('at byte 1005');
  });

  it('bounds record size', () => {
    const err = errorOf(() => scanChunks(b(`a\n"${'x'.repeat(5000)}"\n`), [100], { maxRecordBytes: 1000 }));
    expect(err.code).toBe('CSV_MALFORMED');
    expect(err.line).toBe(2);
  });
});

describe('CsvScanner: lenient mode', () => {
  function lenient(input: string, sizes?: number[], extra = {}) {
    const bad: RollmarkError[] = [];
    const { records } = scanChunks(b(input), sizes, { onMalformed: (e) => bad.push(e), ...extra });
    return { rows: records.map((r) => r.fields), lines: records.map((r) => r.line), bad: bad.map((e) => [e.code, e.line]) };
  }

  it('drops a record with a bad closing quote and goes on at the next line', () => {
    for (const sizes of [undefined, [1], [4]]) {
      expect(lenient('a,b\n"x"y,z\nc,d\n', sizes)).toEqual({
        rows: [['a', 'b'], ['c', 'd']], lines: [1, 3], bad: [['CSV_INVALID_CLOSING_QUOTE', 2]],
      });
    }
  });

  it('a stray opening quote costs only its own line', () => {
    for (const sizes of [undefined, [1], [5]]) {
      expect(lenient('1,"ab\n2,x\n3,"y"\n4,z\n', sizes)).toEqual({
        rows: [['2', 'x'], ['3', 'y'], ['4', 'z']], lines: [2, 3, 4], bad: [['CSV_INVALID_CLOSING_QUOTE', 3]],
      });
      expect(lenient('a,b\n"x,y\nc,d\ne,f', sizes)).toEqual({
        rows: [['a', 'b'], ['c', 'd'], ['e', 'f']], lines: [1, 3, 4], bad: [['CSV_QUOTE_NOT_CLOSED', 2]],
      });
    }
  });

  it('keeps a quote inside an unquoted field as data', () => {
    expect(lenient('JUAN "EL" PEREZ,1\n').rows).toEqual([['JUAN "EL" PEREZ', '1']]);
  });

  it('drops oversized records and resynchronises', () => {
    const long = 'y'.repeat(3000);
    const short = 'z'.repeat(500);
    for (const sizes of [undefined, [64], [1000]]) {
      // line 2 opens a quote that swallows everything: dropped; line 3 is fine on its own
      const got = lenient(`a\n"${long}\n${short}\nb\n`, sizes, { maxRecordBytes: 1000 });
      expect(got.rows).toEqual([['a'], [short], ['b']]);
      expect(got.lines).toEqual([1, 3, 4]);
      expect(got.bad).toEqual([['CSV_MALFORMED', 2]]);
      // a single line over the bound is dropped whole
      const one = lenient(`a\n${long}\nb\n`, sizes, { maxRecordBytes: 1000 });
      expect(one.rows).toEqual([['a'], ['b']]);
      expect(one.bad).toEqual([['CSV_MALFORMED', 2]]);
    }
  });
});

// ---- differential: the scanner against csv-parse ----

const pieces = ['a', 'b', 'é', 'Ñ', ',', '"', '""', '\r', '\n', '\r\n', ' ', '\t'];

/** A field value and how to write it: quoted when it must be, sometimes when it need not be. */
const fieldArb = fc
  .tuple(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), fc.boolean())
  .map(([ps, forceQuote]) => {
    const v = ps.join('');
    return /[",\r\n]/.test(v) || forceQuote ? `"${v.replaceAll('"', '""')}"` : v;
  });
const recordArb = fc.array(fieldArb, { minLength: 1, maxLength: 5 });
const fileArb = fc
  .tuple(
    fc.array(fc.tuple(recordArb, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([recs, bom, finalNewline]) => {
    let s = bom ? '\uFEFF' : '';
    recs.forEach(([fields, eol], i) => {
      s += fields.join(',');
      if (i < recs.length - 1 || finalNewline) s += eol;
    });
    return Buffer.from(s, 'utf8');
  });
const rawArb = fc
  .tuple(fc.array(fc.constantFrom(...pieces, '"a"', ',"', '",'), { maxLength: 30 }), fc.boolean())
  .map(([ps, bom]) => Buffer.from((bom ? '\uFEFF' : '') + ps.join(''), 'utf8'));
const chunkArb = fc.oneof(
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
  fc.constant([1 << 20]),
);

describe('CsvScanner: differential against csv-parse', () => {
  it('well-formed files: same records, lines and spans, any chunking', () => {
    fc.assert(
      fc.property(fileArb, chunkArb, (input, sizes) => {
        const ref = referenceOutcome(input);
        const { records } = scanChunks(input, sizes);
        expect(records.map((r) => r.fields)).toEqual(ref);
        for (const r of records) {
          expect(r.line).toBe(lineOf(input, r.offset));
          // the raw span re-scans to the same record
          expect(referenceOutcome(Buffer.from(r.raw, 'utf8'))).toEqual([r.fields]);
        }
        if (records.length > 0) {
          const lastNext = records[records.length - 1].offset + (records[records.length - 1].next - records[records.length - 1].start);
          expect(lastNext).toBeLessThanOrEqual(input.length);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('arbitrary byte soup: same records or the same error code', () => {
    fc.assert(
      fc.property(rawArb, chunkArb, (input, sizes) => {
        expect(scanOutcome(input, sizes)).toEqual(referenceOutcome(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('TSV: same records', () => {
    const tsvArb = fc
      .array(fc.constantFrom('a', '\t', '"', '""', '\n', '\r\n', ','), { maxLength: 25 })
      .map((ps) => Buffer.from(ps.join(''), 'utf8'));
    fc.assert(
      fc.property(tsvArb, chunkArb, (input, sizes) => {
        expect(scanOutcome(input, sizes, { delimiter: '\t' })).toEqual(referenceOutcome(input, '\t'));
      }),
      { numRuns: 1000 },
    );
  });

  it('lenient mode agrees on well-formed input and never throws on soup', () => {
    fc.assert(
      fc.property(fileArb, rawArb, chunkArb, (good, soup, sizes) => {
        expect(scanOutcome(good, sizes, { onMalformed: () => {} })).toEqual(referenceOutcome(good));
        const out = scanOutcome(soup, sizes, { onMalformed: () => {} });
        expect(Array.isArray(out)).toBe(true);
        // chunking never changes what lenient mode makes of the input
        expect(out).toEqual(scanOutcome(soup, undefined, { onMalformed: () => {} }));
      }),
      { numRuns: 1500 },
    );
  });
});
