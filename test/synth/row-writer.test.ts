import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { Atoms, CsvBytes, StringRows, type RowWriter } from '../../src/synth/row-writer.js';

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
    const w = new CsvBytes(16, new Atoms());
    feed(w, tricky);
    const bytes = w.take();
    expect(parse(bytes)).toEqual(tricky);
    expect(bytes.toString('utf8').split('\n')[0]).toBe('plain,MUÑOZ,');
    expect(bytes.toString('utf8')).toContain('"say ""hi"""');
  });

  it('quotes a field whose special character comes in a later piece', () => {
    const w = new CsvBytes(64, new Atoms());
    w.text('AV. ');
    w.text('5, DE MAYO');
    w.next();
    w.text('X');
    w.end();
    expect(w.take().toString()).toBe('"AV. 5, DE MAYO",X\n');
  });

  it('writes integers, zero-padded on request, up to 13 digits and beyond 2^31', () => {
    const w = new CsvBytes(8, new Atoms());
    for (const [n, width] of [[0, 0], [7, 3], [42, 0], [999, 2], [1234, 0], [4294967295, 10], [660467470929, 13], [123, 10]]) {
      w.int(n, width);
      w.next();
    }
    w.end();
    expect(w.take().toString()).toBe('0,007,42,999,1234,4294967295,0660467470929,0000000123,\n');
  });

  it('writes a repeated run of whole fields from its cached encoding', () => {
    const w = new CsvBytes(32, new Atoms());
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

  it('writes atoms as their UTF-8 bytes, and one that needs quoting as quoted text', () => {
    const atoms = new Atoms();
    const ids = ['MUÑOZ', 'C ', 'a,b', 'MUÑOZ'].map((s) => atoms.id(s));
    expect(ids[0]).toBe(ids[3]);
    for (let i = 0; i < 3000; i++) atoms.id(`WORD${i}`);
    const w = new CsvBytes(8, atoms);
    w.atom(ids[1]);
    w.atom(ids[0]);
    w.next();
    w.atom(ids[2]);
    w.next();
    w.atom(atoms.id('WORD2999'));
    w.end();
    expect(w.take().toString('utf8')).toBe('C MUÑOZ,"a,b",WORD2999\n');
  });

  it('copies ASCII bytes, in StringRows too', () => {
    const src = Uint8Array.from(Buffer.from('xxPELJ850312HDFRPN09yy', 'latin1'));
    const atoms = new Atoms();
    const w = new CsvBytes(4, atoms);
    w.ascii(src, 2, 20);
    w.end();
    expect(w.take().toString()).toBe('PELJ850312HDFRPN09\n');
    const got: string[][] = [];
    const s = new StringRows(atoms, (f) => got.push(f));
    s.ascii(src, 2, 20);
    s.end();
    expect(got).toEqual([['PELJ850312HDFRPN09']]);
  });

  it('hands over whole rows and starts afresh', () => {
    const w = new CsvBytes(1024, new Atoms());
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
    const atoms = new Atoms();
    const w = new StringRows(atoms, (f) => got.push(f));
    feed(w, [['a', 'b'], ['', 'c']]);
    w.int(5, 3);
    w.next();
    w.fields(['x', 'y']);
    w.atom(atoms.id('MUÑOZ'));
    w.end();
    expect(got).toEqual([['a', 'b'], ['', 'c'], ['005', 'x', 'y', 'MUÑOZ']]);
  });
});
