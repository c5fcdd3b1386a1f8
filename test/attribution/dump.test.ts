import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { openDump, splitFields, type DumpSource, type DumpRow } from '../../src/attribution/dump.js';
import { RollmarkError } from '../../src/errors.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'rollmark-dump-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer, name = `f${n++}.csv`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
async function all(d: DumpSource): Promise<DumpRow[]> {
  const out: DumpRow[] = [];
  for await (const r of d.rows()) out.push(r);
  return out;
}
async function notTabular(p: string): Promise<RollmarkError> {
  const err = await openDump(p).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RollmarkError);
  const e = err as RollmarkError;
  expect(e.code).toBe('DUMP_NOT_TABULAR');
  expect(e.file).toBe(p);
  expect(e.format()).not.toContain('\n');
  expect(e.format()).toContain(p);
  return e;
}

const PEOPLE = [
  ['GOMR800101HDFRRN09', 'GOMEZ', 'RAMIREZ', 'MARIA', '19800101', 'M', '06600'],
  ['HEMJ750315HDFRRN01', 'HERNANDEZ', 'MUÑOZ', 'JUAN', '19750315', 'H', '01000'],
  ['LOPP900720HDFRRN03', 'LOPEZ', 'PEÑA', 'PEDRO', '19900720', 'H', '80000'],
  ['GAAL851111HDFRRN05', 'GARCIA', 'ALVAREZ', 'LUISA', '19851111', 'M', '80010'],
];
const HEAD = ['ELECTOR', 'APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC', 'SEXO', 'CODPOSTAL'];
const many = (k: number): string[][] => Array.from({ length: k }, (_, i) => PEOPLE[i % PEOPLE.length].map((v, c) => (c === 0 ? v.slice(0, 15) + String(i).padStart(3, '0') : v)));

describe('openDump: format sniffing', () => {
  it('reads a plain CSV with a header', async () => {
    const rows = many(50);
    const text = [HEAD, ...rows].map((r) => r.join(',')).join('\n') + '\n';
    const d = await openDump(file(text));
    expect(d.format).toEqual({ gzip: false, encoding: 'utf8', delimiter: ',', hasHeader: true, header: HEAD, columns: 7 });
    expect(d.sample).toEqual(rows);
    const got = await all(d);
    expect(got.map((r) => r.fields)).toEqual(rows);
    expect(got[0].line).toBe(2);
    // bytesRead: the file's bytes read by rows(), for progress against its size.
    expect(d.stats).toEqual({ rowsRead: 50, rowsRejected: 0, rejectedExamples: [], bytesRead: Buffer.byteLength(text) });
  });

  it('gzip + Latin-1 + TSV without a header, with commas inside fields', async () => {
    const rows = many(40).map((r, i) => [...r, i % 3 ? 'CALLE 5, INT 3' : 'AV. JUAREZ']);
    const p = file(gzipSync(Buffer.from(rows.map((r) => r.join('\t')).join('\n'), 'latin1')), 'x.tsv.gz');
    const d = await openDump(p);
    expect(d.format).toMatchObject({ gzip: true, encoding: 'latin1', delimiter: '\t', hasHeader: false, header: null, columns: 8 });
    expect((await all(d)).map((r) => r.fields)).toEqual(rows);
    expect(d.sample[1][2]).toBe('MUÑOZ');
    // A gzip dump's progress counts the compressed bytes, against the file's size.
    expect(d.stats.bytesRead).toBe(readFileSync(p).length);
    expect(await d.sha256()).toBe(createHash('sha256').update(readFileSync(p)).digest('hex'));
  });

  it('strips a UTF-8 BOM and handles CRLF', async () => {
    const rows = many(10);
    const p = file('\ufeff' + [HEAD, ...rows].map((r) => r.join(';')).join('\r\n') + '\r\n');
    const d = await openDump(p);
    expect(d.format).toMatchObject({ encoding: 'utf8', delimiter: ';', hasHeader: true, header: HEAD });
    const got = await all(d);
    expect(got.map((r) => r.fields)).toEqual(rows);
    expect(got.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
  });

  it('detects pipes, renamed lowercase headers, and headerless dumps of names only', async () => {
    const renamed = ['clave', 'paterno', 'materno', 'nombre(s)', 'fecha nac', 'sexo', 'cp'];
    const d1 = await openDump(file([renamed, ...many(20)].map((r) => r.join('|')).join('\n')));
    expect(d1.format).toMatchObject({ delimiter: '|', hasHeader: true, header: renamed });
    const names = many(30).map((r) => [r[1], r[2], r[3]]);
    const d2 = await openDump(file(names.map((r) => r.join(',')).join('\n')));
    expect(d2.format).toMatchObject({ hasHeader: false, columns: 3 });
    expect(d2.sample[0]).toEqual(names[0]);
  });

  it('reads quoted fields: delimiters, doubled quotes, newlines inside', async () => {
    const text = 'a,b,c\n1,"x, y",2\n3,"say ""hi""",4\n5,"two\nlines",6\n7,8,9\n';
    const d = await openDump(file(text));
    const got = await all(d);
    expect(got.map((r) => r.fields)).toEqual([['1', 'x, y', '2'], ['3', 'say "hi"', '4'], ['5', 'two\nlines', '6'], ['7', '8', '9']]);
    expect(got.map((r) => r.line)).toEqual([2, 3, 4, 6]);
    expect(splitFields('"ab"c,d', ',')).toEqual(['abc', 'd']);
    expect(splitFields('a,"open', ',')).toBeNull();
  });

  it('takes an ASCII start as UTF-8 and switches to Latin-1 when a later line says so', async () => {
    const rows = many(4000).map((r) => [r[0], r[1], r[3]]);
    const latin = Buffer.concat([
      Buffer.from(rows.map((r) => r.join(',')).join('\n') + '\n'),
      Buffer.from('XXXX000000HDFRRN99,MUÑOZ,ÑANDU\n', 'latin1'),
    ]);
    const d = await openDump(file(latin), { sampleBytes: 512, sampleRows: 10 });
    expect(d.format.encoding).toBe('utf8');
    const got = await all(d);
    expect(got.at(-1)!.fields).toEqual(['XXXX000000HDFRRN99', 'MUÑOZ', 'ÑANDU']);
    expect(d.format.encoding).toBe('latin1');
    expect(d.stats.rowsRejected).toBe(0);
  });

  it('accepts one column of keys', async () => {
    const d = await openDump(file(many(30).map((r) => r[0]).join('\n')));
    expect(d.format.columns).toBe(1);
    expect((await all(d)).length).toBe(30);
  });
});

describe('openDump: damage is counted, never fatal', () => {
  it('rejects rows with the wrong column count, stray quotes and bad UTF-8, and reads the rest', async () => {
    const good = many(60);
    const lines = good.map((r) => r.join(','));
    lines.splice(10, 0, 'SHORT,ROW');
    lines.splice(20, 0, [...good[0], ...good[1]].join(','));
    lines.splice(30, 0, 'GOMR800101HDFRRN09,"GOMEZ,RAMIREZ,MARIA,19800101,M,06600');
    const bytes = Buffer.concat([
      Buffer.from([HEAD.join(','), ...lines].join('\n') + '\n'),
      Buffer.from([0x42, 0x41, 0x44, 0x2c, 0xff, 0xfe, 0x2c, 0x31, 0x0a]),
      Buffer.from(good[0].join(',') + '\n'),
    ]);
    const d = await openDump(file(bytes));
    expect(d.format).toMatchObject({ encoding: 'utf8', columns: 7, hasHeader: true });
    const got = await all(d);
    expect(got.length).toBe(61);
    expect(got.map((r) => r.fields)).toEqual([...good, good[0]]);
    expect(d.stats.rowsRead).toBe(61);
    expect(d.stats.rowsRejected).toBe(4);
    expect(d.stats.rejectedExamples).toEqual([
      { line: 12, reason: '2 fields where rows have 7' },
      { line: 22, reason: '14 fields where rows have 7' },
      { line: 32, reason: 'unbalanced quote' },
      { line: 65, reason: 'not valid UTF-8' },
    ]);
    // A second pass reads the same and resets the counts.
    expect((await all(d)).length).toBe(61);
    expect(d.stats.rowsRejected).toBe(4);
  });

  it('keeps only the first ten examples, and survives a line longer than 1 MiB', async () => {
    const lines = many(100).map((r) => r.join(','));
    for (let i = 0; i < 15; i++) lines.splice(5 + i * 5, 0, 'A,B');
    lines.splice(50, 0, 'Z'.repeat(3 << 20));
    const d = await openDump(file(lines.join('\n')));
    const got = await all(d);
    expect(got.length).toBe(100);
    expect(d.stats.rowsRejected).toBe(16);
    expect(d.stats.rejectedExamples.length).toBe(10);
    expect(d.stats.rejectedExamples.map((e) => e.reason)).toContain('line longer than 1048576 bytes');
  });

  it('reads a truncated gzip up to the cut', async () => {
    const rows = many(20000);
    const gz = gzipSync(Buffer.from(rows.map((r) => r.join(',')).join('\n') + '\n'));
    const d = await openDump(file(gz.subarray(0, Math.floor(gz.length * 0.7)), 'cut.csv.gz'));
    const got = await all(d);
    expect(got.length).toBeGreaterThan(1000);
    expect(got.length).toBeLessThan(20000);
    expect(got.map((r) => r.fields)).toEqual(rows.slice(0, got.length));
    expect(d.stats.rowsRejected).toBe(1);
    expect(d.stats.rejectedExamples[0].reason).toMatch(/gzip stream ends early/);
  });
});

describe('openDump: not a table', () => {
  it('empty, blank, binary, gzip of binary, UTF-16, prose', async () => {
    await notTabular(file(''));
    await notTabular(file('\n\n  \n'));
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    await notTabular(file(junk));
    await notTabular(file(gzipSync(junk), 'junk.gz'));
    await notTabular(file(Buffer.from('\ufeffa,b\n1,2\n', 'utf16le')));
    const prose = [
      'It was the best of times, it was the worst of times, it was the age of wisdom,',
      'it was the age of foolishness; it was the epoch of belief, it was the epoch of incredulity,',
      'it was the season of Light, it was the season of Darkness, it was the spring of hope,',
      'it was the winter of despair, we had everything before us, we had nothing before us;',
      'we were all going direct to Heaven, we were all going direct the other way - in short,',
      'the period was so far like the present period, that some of its noisiest authorities insisted',
      'on its being received, for good or for evil, in the superlative degree of comparison only.',
    ].join('\n');
    expect((await notTabular(file(prose))).message).toMatch(/no delimiter/);
    // Regular enough to split, yet prose: every line one comma.
    const verse = prose.split('\n').map((l) => l.replace(/[,;]/g, '').replace(/ it /, ', it ').replace(/ we /, ', we ').replace(/ that /, ', that ').replace(/ for /, ', for ')).join('\n');
    expect((await notTabular(file(verse))).message).toMatch(/prose/);
  });

  it('a missing file is FILE_NOT_FOUND', async () => {
    await expect(openDump(join(dir, 'nope.csv'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('openDump: tiny files', () => {
  it('reads a file of two bytes', async () => {
    const d = await openDump(file('a\n'));
    expect(d.format.columns).toBe(1);
    expect((await all(d)).map((r) => r.fields)).toEqual([['a']]);
  });
});
