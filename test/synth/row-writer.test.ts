import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvBytes, StringRows, type RowWriter } from '../../src/synth/row-writer.js';

/** Writes rows of fields through a RowWriter, as the generator does. */
function feed(w: RowWriter, rows: string[][]): void {
  for (const r of rows) {
    r.forEach((f, i) => {
      w.text(f);
      if (i < r.length - 1) w.next();
    });
    w.end();
  }
}

describe('CsvBytes', () => {
  const tricky = [
    ['plain', 'MUÑOZ', ''],
    ['a,b', 'say "hi"', 'two\nlines'],
    ['cr\rhere', '"', ',,'],
    ['€ and 𝄞', 'ÁÉÍ', 'x'],
  ];

  it('quotes only the fields that need it and round-trips through csv-parse', () => {
    const w = new CsvBytes(16);
    feed(w, tricky);
    const bytes = w.take();
    expect(parse(bytes)).toEqual(tricky);
    expect(bytes.toString('utf8').split('\n')[0]).toBe('plain,MUÑOZ,');
    expect(bytes.toString('utf8')).toContain('"say ""hi"""');
  });

  it('quotes a field whose special character comes in a later piece', () => {
    const w = new CsvBytes(64);
    w.text('AV. ');
    w.text('5, DE MAYO');
    w.next();
    w.text('X');
    w.end();
    expect(w.take().toString()).toBe('"AV. 5, DE MAYO",X\n');
  });

  it('writes integers, zero-padded on request, up to 13 digits and beyond 2^31', () => {
    const w = new CsvBytes(8);
    for (const [n, width] of [[0, 0], [7, 3], [42, 0], [999, 2], [1234, 0], [4294967295, 10], [660467470929, 13], [123, 10]]) {
      w.int(n, width);
      w.next();
    }
    w.end();
    expect(w.take().toString()).toBe('0,007,42,999,1234,4294967295,0660467470929,0000000123,\n');
  });

  it('writes a repeated run of whole fields from its cached encoding', () => {
    const w = new CsvBytes(32);
    const place = ['09', 'IZTAPALAPA, CDMX', '0451'];
    for (let i = 0; i < 3; i++) {
      w.int(i);
      w.next();
      w.fields(place);
      w.text('END');
      w.end();
    }
    expect(parse(w.take())).toEqual([0, 1, 2].map((i) => [String(i), ...place, 'END']));
  });

  it('hands over whole rows and starts afresh', () => {
    const w = new CsvBytes(1024);
    feed(w, [['A']]);
    expect(w.length).toBe(2);
    expect(w.take().toString()).toBe('A\n');
    expect(w.length).toBe(0);
    feed(w, [['B']]);
    expect(w.take().toString()).toBe('B\n');
  });
});

describe('StringRows', () => {
  it('collects the same fields', () => {
    const got: string[][] = [];
    const w = new StringRows((f) => got.push(f));
    feed(w, [['a', 'b'], ['', 'c']]);
    w.int(5, 3);
    w.next();
    w.fields(['x', 'y']);
    w.end();
    expect(got).toEqual([['a', 'b'], ['', 'c'], ['005', 'x', 'y', '']]);
  });
});
