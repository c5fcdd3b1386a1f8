import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { BufferedWriter, csvField, csvLine } from '../../src/csv/write.js';
import { RollmarkError } from '../../src/errors.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollmark-write-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('csvField / csvLine', () => {
  it('quotes only what must be quoted', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField(' padded ')).toBe(' padded ');
    expect(csvField('')).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('a\tb', '\t')).toBe('"a\tb"');
    expect(csvField('a,b', '\t')).toBe('a,b');
    expect(csvLine(['1', 'Pérez, Juan', '', 'x"y'])).toBe('1,"Pérez, Juan",,"x""y"');
    expect(csvLine(['a]b', 'c^d'], ']')).toBe('"a]b"]c^d');
  });

  it('matches csv-stringify and round-trips through csv-parse', () => {
    const value = fc.string({ unit: fc.constantFrom('a', 'Ñ', ' ', ',', '"', '\r', '\n', '\t', ';') , maxLength: 8 });
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.constantFrom(',', '\t', ';'), (rows, d) => {
        const text = rows.map((r) => csvLine(r, d) + '\n').join('');
        // csv-stringify leaves a lone CR unquoted when the record delimiter is LF; rollmark
        // quotes it, so that readers that take CR for a line end cannot split the record
        if (!rows.some((r) => r.some((v) => v.includes('\r')))) {
          expect(text).toBe(stringify(rows, { delimiter: d, record_delimiter: '\n' }));
        }
        // a lone empty field writes an empty line, which reads back as one empty field
        expect(parse(text, { delimiter: d, relax_column_count: true })).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });
});

/** A Writable that accepts slowly, to exercise backpressure. */
function slowSink(): { stream: Writable; data: Buffer[] } {
  const data: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      data.push(Buffer.from(chunk));
      setTimeout(cb, 1);
    },
  });
  return { stream, data };
}

describe('BufferedWriter', () => {
  it('counts bytes and hashes exactly what reaches the file', async () => {
    const f = path.join(tmp(), 'out.csv');
    const w = new BufferedWriter(createWriteStream(f), { file: f, bufferSize: 4096 });
    const expected: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const fields = [String(i), `Nombre ${i % 7 === 0 ? 'Ñuñez, "x"' : 'PEREZ'}`, 'é'.repeat(i % 5)];
      if (!w.writeRecord(fields)) await w.drain();
      expected.push(Buffer.from(csvLine(fields) + '\n'));
      if (i % 1000 === 0) {
        const raw = Buffer.from(`raw-${i}\n`);
        w.writeBytes(Buffer.concat([Buffer.from('xx'), raw]), 2);
        expected.push(raw);
      }
    }
    w.write('x'.repeat(10_000)); // larger than the batch
    w.writeByte(10);
    expected.push(Buffer.from('x'.repeat(10_000) + '\n'));
    const s = await w.end();
    const file = readFileSync(f);
    expect(file.equals(Buffer.concat(expected))).toBe(true);
    expect(s.bytes).toBe(file.length);
    expect(s.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  });

  it('waits for drain under backpressure and loses nothing', async () => {
    const { stream, data } = slowSink();
    const w = new BufferedWriter(stream, { bufferSize: 4096 });
    let waits = 0;
    const big = Buffer.alloc(50_000, 0x61);
    for (let i = 0; i < 200; i++) {
      if (!w.writeBytes(big, 0, 1000 + i)) {
        waits++;
        await w.drain();
      }
    }
    const s = await w.end();
    const all = Buffer.concat(data);
    expect(waits).toBeGreaterThan(0);
    expect(all.length).toBe(s.bytes);
    expect(s.bytes).toBe(Array.from({ length: 200 }, (_, i) => 1000 + i).reduce((a, b) => a + b, 0));
  });

  it('reports a stream error as a RollmarkError naming the file', async () => {
    const stream = new Writable({
      write(_c, _e, cb) {
        cb(new Error('disk full'));
      },
    });
    const w = new BufferedWriter(stream, { file: 'copy.csv', bufferSize: 4096 });
    w.write('x'.repeat(5000));
    const err = await w.end().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollmarkError);
    expect((err as RollmarkError).file).toBe('copy.csv');
    expect((err as RollmarkError).message).toContain('disk full');
  });
});
