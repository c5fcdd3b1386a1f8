import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { RollmarkError } from '../../src/errors.js';
import { ENTIDADES, MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';
import { synthesizeRegistry, writeSyntheticRegistry, type SynthOptions } from '../../src/synth/index.js';
import { rowProblems } from './validator.js';

/** Writes a registry into memory. */
async function csvOf(opts: SynthOptions): Promise<{ bytes: Buffer; rows: number; reported: number }> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const res = await writeSyntheticRegistry(opts, out);
  const bytes = Buffer.concat(chunks);
  return { bytes, rows: res.rows, reported: res.bytes };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const C = Object.fromEntries(MX_INE_COLUMNS.map((c, i) => [c, i])) as Record<(typeof MX_INE_COLUMNS)[number], number>;
const share = (n: number, d: number) => n / d;
const es = new Intl.Collator('es');

describe('a 200,000-row registry', () => {
  const N = 200_000;
  let rows: string[][];
  let header: string[];
  let written: { bytes: Buffer; rows: number; reported: number };

  beforeAll(async () => {
    written = await csvOf({ rows: N, seed: 'test-200k' });
    const records = parse(written.bytes, { relax_column_count: false }) as string[][];
    header = records[0];
    rows = records.slice(1);
  });

  it('is RFC 4180 CSV that csv-parse reads: header, then N records of 27 fields', () => {
    expect(header).toEqual([...MX_INE_COLUMNS]);
    expect(rows.length).toBe(N);
    expect(written.rows).toBe(N);
    expect(written.reported).toBe(written.bytes.length);
    expect(rows.every((r) => r.length === 27)).toBe(true);
    expect(written.bytes.includes('\r')).toBe(false);
    expect(written.bytes[written.bytes.length - 1]).toBe(10);
  });

  it('passes the independent rules on every row (CURP, ELECTOR, EDAD, formats)', () => {
    const problems: string[] = [];
    for (let i = 0; i < rows.length && problems.length < 10; i++) {
      for (const p of rowProblems(rows[i])) problems.push(`row ${i + 2}: ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('has unique ELECTOR, CURP, OCR and FOL_NAC', () => {
    for (const col of [C.ELECTOR, C.CURP, C.OCR, C.FOL_NAC]) {
      expect(new Set(rows.map((r) => r[col])).size, MX_INE_COLUMNS[col]).toBe(N);
    }
  });

  it('mostly uses homoclave 0/A and homonym 00, the next ones only for homonyms', () => {
    const firstCurp = rows.filter((r) => r[C.CURP][16] === '0' || r[C.CURP][16] === 'A').length;
    const firstClave = rows.filter((r) => r[C.ELECTOR].endsWith('00')).length;
    expect(share(firstCurp, N)).toBeGreaterThan(0.97);
    expect(share(firstClave, N)).toBeGreaterThan(0.98);
  });

  it('sizes the entidades by the 2024 lista nominal shares', () => {
    const total = ENTIDADES.reduce((s, e) => s + e.listaNominal2024, 0);
    const count = new Map<string, number>();
    for (const r of rows) count.set(r[C.ENTIDAD], (count.get(r[C.ENTIDAD]) ?? 0) + 1);
    for (const e of ENTIDADES) {
      expect(Math.abs((count.get(e.code) ?? 0) - (N * e.listaNominal2024) / total), e.code).toBeLessThan(1);
    }
  });

  it('has about 52% women', () => {
    const women = rows.filter((r) => r[C.SEXO] === 'M').length;
    expect(Math.abs(share(women, N) - 0.52)).toBeLessThan(0.015);
  });

  it('orders rows by ENTIDAD, MUNICIPIO, SECCION in sections of 100 to 3,000 rows', () => {
    const key = (r: string[]) => `${r[C.ENTIDAD]}|${r[C.MUNICIPIO]}|${r[C.SECCION]}`;
    const seen = new Set<string>();
    const sizes: number[] = [];
    const districts = new Map(ENTIDADES.map((e) => [e.code, e.federalDistricts]));
    const problems: string[] = [];
    let prev = '';
    for (const r of rows) {
      const k = key(r);
      if (k !== prev) {
        if (!(k > prev)) problems.push(`${prev} then ${k}`);
        if (seen.has(`${r[C.ENTIDAD]}|${r[C.SECCION]}`)) problems.push(`section ${k} comes back`);
        seen.add(`${r[C.ENTIDAD]}|${r[C.SECCION]}`);
        sizes.push(0);
        prev = k;
      }
      sizes[sizes.length - 1]++;
      if (Number(r[C.DISTRITO]) > districts.get(r[C.ENTIDAD])!) problems.push(`DISTRITO ${r[C.DISTRITO]} in ${k}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(sizes.every((n) => n >= 100 && n <= 3000)).toBe(true);
    expect(sizes.length).toBeGreaterThan(N / 3000);
  });

  it('numbers rows within a section upwards, with about 3% of numbers unused', () => {
    let skipped = 0;
    let last = 0;
    let section = '';
    for (const r of rows) {
      const s = r[C.ENTIDAD] + r[C.SECCION];
      const n = Number(r[C.CONSECUTIVO]);
      if (s !== section) {
        section = s;
        last = 0;
      }
      if (n <= last) throw new Error(`CONSECUTIVO ${n} after ${last} in ${s}`);
      skipped += n - last - 1;
      last = n;
    }
    expect(share(skipped, N)).toBeGreaterThan(0.02);
    expect(share(skipped, N)).toBeLessThan(0.04);
  });

  it('lists a section alphabetically by surnames', () => {
    let unordered = 0;
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1];
      const b = rows[i];
      if (a[C.ENTIDAD] + a[C.SECCION] !== b[C.ENTIDAD] + b[C.SECCION]) continue;
      const c = es.compare(a[C.APE_PAT], b[C.APE_PAT]) || es.compare(a[C.APE_MAT], b[C.APE_MAT]);
      if (c > 0) unordered++;
    }
    expect(unordered).toBe(0);
  });

  it('draws surnames Zipf-like: HERNANDEZ first, a long tail, ~1% with one surname', () => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r[C.APE_PAT], (counts.get(r[C.APE_PAT]) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1]);
    expect(ranked[0][0]).toBe('HERNANDEZ');
    expect(share(ranked[0][1], N)).toBeGreaterThan(0.025);
    expect(share(ranked[0][1], N)).toBeLessThan(0.07);
    expect(counts.size).toBeGreaterThan(400);
    const single = rows.filter((r) => r[C.APE_MAT] === '').length;
    expect(share(single, N)).toBeGreaterThan(0.006);
    expect(share(single, N)).toBeLessThan(0.016);
  });

  it('has a realistic adult age pyramid', () => {
    const ages = rows.map((r) => Number(r[C.EDAD]));
    const mean = ages.reduce((s, a) => s + a, 0) / N;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(46);
    expect(share(ages.filter((a) => a < 30).length, N)).toBeGreaterThan(0.2);
    expect(share(ages.filter((a) => a >= 65).length, N)).toBeGreaterThan(0.08);
    expect(share(ages.filter((a) => a >= 90).length, N)).toBeLessThan(0.01);
    expect(ages.every((a) => a >= 18 && a <= 100)).toBe(true);
  });

  it('keeps every spelling of the marked words in the mix', () => {
    const starts = (col: number, prefix: string) => rows.filter((r) => r[col].startsWith(prefix)).length;
    const has = (col: number, re: RegExp) => rows.filter((r) => re.test(r[col])).length;
    // Street types, settlement types, given names, numbering and cardinal points.
    for (const p of ['C ', 'CALLE ', 'AV. ', 'AV ', 'AVENIDA ', 'PRIV. ', 'PRIVADA ', 'CDA. ', 'BLVD. ', 'PROL. ']) {
      expect(starts(C.CALLE, p), p).toBeGreaterThan(50);
    }
    for (const p of ['COL ', 'COL. ', 'COLONIA ', 'FRACC ', 'FRACC. ', 'FRACCIONAMIENTO ', 'BARR ', 'BARRIO ', 'U.H. ', 'UH ']) {
      expect(starts(C.COLONIA, p), p).toBeGreaterThan(50);
    }
    expect(starts(C.NOMBRE, 'MA. ')).toBeGreaterThan(500);
    expect(starts(C.NOMBRE, 'MARIA ')).toBeGreaterThan(2000);
    expect(has(C.NOMBRE, /\bGPE\./)).toBeGreaterThan(100);
    expect(has(C.NOMBRE, /^FCO\. /)).toBeGreaterThan(50);
    expect(has(C.NOMBRE, /(^| )J\./)).toBe(0);
    for (const v of ['S/N', 'SN', 'SIN NUMERO']) expect(has(C.NUM_EXT, new RegExp(`^${v}$`)), v).toBeGreaterThan(50);
    for (const v of [/^MZ \d+ LT \d+$/, /^MZ\. \d+ LT\. \d+$/, /^MANZANA \d+ LOTE \d+$/]) expect(has(C.NUM_EXT, v), String(v)).toBeGreaterThan(10);
    for (const v of [/ NTE$/, / NTE\.$/, / NORTE$/, / OTE$/, / PONIENTE$/]) expect(has(C.CALLE, v), String(v)).toBeGreaterThan(20);
    for (const v of [/^DEPTO \d+$/, /^DEPTO\. \d+$/]) expect(has(C.NUM_INT, v), String(v)).toBeGreaterThan(20);
    expect(share(rows.filter((r) => r[C.NUM_INT] === '').length, N)).toBeGreaterThan(0.75);
    expect(share(has(C.NOMBRE, / /), N)).toBeGreaterThan(0.25);
  });

  it('writes rural addresses as DOMICILIO CONOCIDO now and then', () => {
    const dc = rows.filter((r) => r[C.CALLE] === 'DOMICILIO CONOCIDO');
    expect(share(dc.length, N)).toBeGreaterThan(0.01);
    expect(share(dc.length, N)).toBeLessThan(0.08);
    expect(dc.every((r) => r[C.LOCALIDAD] !== '0001')).toBe(true);
  });

  it('has birth states mostly equal to residence, some elsewhere and a few abroad', () => {
    const code = (r: string[]) => r[C.ELECTOR].slice(12, 14);
    const home = rows.filter((r) => code(r) === r[C.ENTIDAD]).length;
    const abroad = rows.filter((r) => code(r) === '87').length;
    expect(share(home, N)).toBeGreaterThan(0.7);
    expect(share(home, N)).toBeLessThan(0.9);
    expect(share(abroad, N)).toBeGreaterThan(0.002);
    expect(share(abroad, N)).toBeLessThan(0.015);
    expect(rows.filter((r) => code(r) === '87').every((r) => r[C.CURP].slice(11, 13) === 'NE')).toBe(true);
  });
});

describe('synthesizeRegistry and writeSyntheticRegistry', () => {
  it('give the same bytes for the same options and different bytes for another seed', async () => {
    const a = await csvOf({ rows: 20_000, seed: 'same' });
    const b = await csvOf({ rows: 20_000, seed: 'same' });
    const c = await csvOf({ rows: 20_000, seed: 'other' });
    expect(sha(a.bytes)).toBe(sha(b.bytes));
    expect(sha(a.bytes)).not.toBe(sha(c.bytes));
    const d = await csvOf({ rows: 2_000 });
    const e = await csvOf({ rows: 2_000, seed: 'rollmark', asOf: '2026-01-01' });
    expect(sha(d.bytes)).toBe(sha(e.bytes));
  });

  it('yield as rows exactly what is written as CSV', async () => {
    const opts = { rows: 5_000, seed: 'both' };
    const fromCsv = (parse((await csvOf(opts)).bytes) as string[][]).slice(1);
    expect([...synthesizeRegistry(opts)]).toEqual(fromCsv);
  });

  it('limit the registry to --states, keeping their relative shares', async () => {
    const rows = (parse((await csvOf({ rows: 20_000, states: ['31', '4'] })).bytes) as string[][]).slice(1);
    const yuc = rows.filter((r) => r[C.ENTIDAD] === '31').length;
    expect(rows.every((r) => r[C.ENTIDAD] === '31' || r[C.ENTIDAD] === '04')).toBe(true);
    expect(Math.abs(yuc - (20_000 * 1744586) / (1744586 + 687667))).toBeLessThan(1);
    expect(rows.flatMap((r) => rowProblems(r))).toEqual([]);
    // The peninsula: numbered streets with their crossings, and Maya surnames.
    const crossing = rows.filter((r) => /^(C|CALLE) \d+( A)? X \d+ Y \d+$/.test(r[C.CALLE])).length;
    expect(share(crossing, rows.length)).toBeGreaterThan(0.3);
    const maya = new Set(['CHAN', 'PECH', 'CANUL', 'MAY', 'CANCHE', 'DZUL', 'KU', 'UC', 'POOT', 'TUN', 'EK']);
    expect(share(rows.filter((r) => maya.has(r[C.APE_PAT])).length, rows.length)).toBeGreaterThan(0.08);
  });

  it('compute EDAD on the as-of date', async () => {
    const rows = [...synthesizeRegistry({ rows: 3_000, seed: 'later', asOf: '2030-06-15' })];
    expect(rows.flatMap((r) => rowProblems(r, '2030-06-15'))).toEqual([]);
  });

  it('handle registries smaller than a section', () => {
    expect([...synthesizeRegistry({ rows: 1 })].length).toBe(1);
    const rows = [...synthesizeRegistry({ rows: 50, seed: 'tiny' })];
    expect(rows.length).toBe(50);
    expect(rows.flatMap((r) => rowProblems(r))).toEqual([]);
  });

  it('refuse bad options with a usage error', () => {
    const bad = (o: SynthOptions) => () => synthesizeRegistry(o);
    expect(bad({ rows: 0 })).toThrow(RollmarkError);
    expect(bad({ rows: 1.5 })).toThrow(/rows/);
    expect(bad({ rows: 10, states: ['09', '99'] })).toThrow(/'99'/);
    expect(bad({ rows: 10, asOf: '2026-02-30' })).toThrow(/as-of/);
    try {
      bad({ rows: 10, states: ['ZZ'] })();
    } catch (err) {
      expect((err as RollmarkError).code).toBe('USAGE');
    }
  });

  it('respect backpressure of a slow stream', async () => {
    let bytes = 0;
    let pending = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        pending++;
        expect(pending).toBe(1);
        setTimeout(() => {
          pending--;
          cb();
        }, 1);
      },
    });
    const res = await writeSyntheticRegistry({ rows: 30_000, seed: 'slow' }, out);
    await new Promise<void>((resolve) => out.end(resolve));
    expect(res.bytes).toBe(bytes);
    expect(res.rows).toBe(30_000);
  });

  it('reject when the stream fails', async () => {
    const out = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('disk full'));
      },
    });
    out.on('error', () => undefined);
    await expect(writeSyntheticRegistry({ rows: 20_000 }, out)).rejects.toThrow(/disk full/);
  });
});
