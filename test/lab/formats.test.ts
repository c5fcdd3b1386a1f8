import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readTable, toLatin1, writeTable } from '../../src/lab/table-files.js';
import type { Table } from '../../src/lab/table.js';
import { RollmarkError } from '../../src/errors.js';

let dir: string | undefined;
async function file(name: string): Promise<string> {
  dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'rollmark-lab-'));
  return path.join(dir, name);
}
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const t: Table = {
  header: ['ELECTOR', 'NOMBRE', 'CALLE'],
  rows: [
    ['PNNTJN80010109H100', 'JUAN', 'AV. PEÑA, 12'],
    ['MNZMRA85020209M200', 'MARÍA "LA GÜERA"', 'CALLE\tCON TAB'],
    ['GRCLPE90030309H300', 'JOSÉ', 'LINEA\nDOBLE'],
  ],
};

describe('writeTable / readTable', () => {
  it('round-trips UTF-8 CSV with RFC 4180 quoting', async () => {
    const f = await file('plain.csv');
    await writeTable(t, f);
    const text = await fs.readFile(f, 'utf8');
    expect(text.split('\n')[0]).toBe('ELECTOR,NOMBRE,CALLE');
    expect(text).toContain('"AV. PEÑA, 12"');
    expect(text).toContain('"MARÍA ""LA GÜERA"""');
    expect(await readTable(f)).toEqual(t);
  });

  it('round-trips any table of strings, with each delimiter', async () => {
    const f = await file('prop.csv');
    const cell = fc.string({ unit: fc.constantFrom('a', 'Ñ', ' ', ',', ';', '\t', '"', '\n', '\r\n', 'é'), maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((w) =>
          fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 8 }),
        ),
        fc.constantFrom(',' as const, '\t' as const, ';' as const),
        fc.boolean(),
        async ([header, ...rows], delimiter, crlf) => {
          // A row of one empty cell is an empty line, which readers skip: not a table a leak holds.
          if (header.length === 1 && header[0] === '') return;
          const tbl = { header, rows: rows.filter((r) => r.length > 1 || r[0] !== '') };
          await writeTable(tbl, f, { delimiter, crlf });
          // The delimiter is given: a header like ",\t\t" is ambiguous to any guesser.
          expect(await readTable(f, { delimiter })).toEqual(tbl);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('guesses the delimiter from the first record, ignoring quoted text', async () => {
    const f = await file('guess.txt');
    for (const [text, header] of [
      ['A\tB;C\tD\n1\t2\t3\n', ['A', 'B;C', 'D']],
      ['"A;B;C",D\n1,2\n', ['A;B;C', 'D']],
      ['A;B\n1;2\n', ['A', 'B']],
      ['ONLY\nx\n', ['ONLY']],
    ] as const) {
      await fs.writeFile(f, text);
      expect((await readTable(f)).header).toEqual(header);
    }
  });

  it('writes TSV, semicolons, CRLF, a BOM and no header', async () => {
    const f = await file('variants.tsv');
    await writeTable(t, f, { delimiter: '\t', crlf: true, bom: true });
    const bytes = await fs.readFile(f);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8').slice(1).split('\r\n')[0]).toBe('ELECTOR\tNOMBRE\tCALLE');
    expect(bytes.toString('utf8')).toContain('"CALLE\tCON TAB"');
    expect(await readTable(f)).toEqual(t);

    const g = await file('semi.csv');
    await writeTable(t, g, { delimiter: ';', header: false });
    expect((await fs.readFile(g, 'utf8')).startsWith('PNNTJN80010109H100;JUAN;AV. PEÑA, 12\n')).toBe(true);
    expect(await readTable(g, { header: false })).toEqual({ header: ['c1', 'c2', 'c3'], rows: t.rows });
  });

  it('round-trips Latin-1, Ñ included, and substitutes what Latin-1 cannot hold', async () => {
    const f = await file('latin1.csv');
    const decomposed: Table = { header: ['A', 'B'], rows: [['PEN\u0303A', 'MUÑOZ'], ['€ 5', 'ok']] };
    await writeTable(decomposed, f, { encoding: 'latin1' });
    const bytes = await fs.readFile(f);
    expect(bytes.includes(Buffer.from([0xd1]))).toBe(true); // Ñ is one byte, D1
    expect(bytes.toString('latin1')).toBe('A,B\nPEÑA,MUÑOZ\n? 5,ok\n');
    expect(await readTable(f, { encoding: 'latin1' })).toEqual({
      header: ['A', 'B'],
      rows: [['PEÑA', 'MUÑOZ'], ['? 5', 'ok']],
    });
    expect(toLatin1('X\u0303😀').toString('latin1')).toBe('X??');
    await expect(writeTable(t, f, { encoding: 'latin1', bom: true })).rejects.toThrow(/byte-order mark needs UTF-8/);
  });

  it('round-trips gzip, detected on reading by its magic bytes', async () => {
    const f = await file('leak.csv.gz');
    await writeTable(t, f, { gzip: true, delimiter: '\t', encoding: 'latin1' });
    const bytes = await fs.readFile(f);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(bytes).toString('latin1').split('\n')[0]).toBe('ELECTOR\tNOMBRE\tCALLE');
    expect(await readTable(f, { encoding: 'latin1' })).toEqual(t);
    // Same table, same bytes.
    const g = await file('again.csv.gz');
    await writeTable(t, g, { gzip: true, delimiter: '\t', encoding: 'latin1' });
    expect(await fs.readFile(g)).toEqual(bytes);
  });

  it('reports parse errors with file and line, and missing files', async () => {
    const f = await file('bad.csv');
    await fs.writeFile(f, 'A,B\n1,2\n3,4,5\n');
    const err = await readTable(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollmarkError);
    expect((err as RollmarkError).code).toBe('CSV_COLUMN_COUNT');
    expect((err as RollmarkError).format()).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `));
    const empty = await file('empty.csv');
    await fs.writeFile(empty, '');
    await expect(readTable(empty)).rejects.toMatchObject({ code: 'CSV_EMPTY' });
    await expect(readTable(await file('nope.csv'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
