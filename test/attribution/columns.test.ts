import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  mapColumns, applyTransform, compileTransform, looksLikeColumnName, type ColumnMapping, type MatchIndexProbe,
} from '../../src/attribution/columns.js';
import { openDump } from '../../src/attribution/dump.js';
import {
  profileColumns, profilesToJSON, profilesFromJSON, DATE_LAYOUTS, detectDateFormat, parseDate, normalizeValue, shapeOf,
  ColumnProfiler, type ColumnProfile,
} from '../../src/schema/profile.js';
import { RollmarkError } from '../../src/errors.js';

// A tiny mx-ine-like registry: enough structure (keys derived from names, real-looking frequency
// skew, sections, addresses) for content-based recognition, and small enough to know its truth.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SURNAMES = ('HERNANDEZ GARCIA MARTINEZ LOPEZ GONZALEZ RODRIGUEZ PEREZ SANCHEZ RAMIREZ CRUZ FLORES GOMEZ MORALES VAZQUEZ ' +
  'JIMENEZ REYES DIAZ TORRES GUTIERREZ RUIZ MENDOZA AGUILAR ORTIZ MORENO CASTILLO ROMERO ALVAREZ MENDEZ CHAVEZ RIVERA JUAREZ ' +
  'RAMOS DOMINGUEZ HERRERA MEDINA CASTRO VARGAS GUZMAN VELAZQUEZ MUÑOZ ROJAS DE LA CRUZ CONTRERAS SALAZAR LUNA ORTEGA SANTIAGO ' +
  'GUERRERO BAUTISTA CORTES SOTO ALVARADO ESPINOZA LARA AVILA RIOS CERVANTES SILVA DELGADO VEGA MARQUEZ SANDOVAL CARRILLO LEON ' +
  'MEJIA SOLIS NUÑEZ ROSAS IBARRA VALDEZ ACOSTA NAVARRO PEÑA CAMPOS').split(' ');
const MEN = 'JOSE JUAN LUIS MIGUEL JESUS FRANCISCO ANTONIO ALEJANDRO PEDRO MANUEL RICARDO JORGE CARLOS FERNANDO JAVIER RAUL ROBERTO DAVID SERGIO EDUARDO ARTURO MARIO HECTOR DANIEL ALBERTO'.split(' ');
const WOMEN = 'MARIA GUADALUPE JUANA MARGARITA VERONICA ROSA LETICIA ELIZABETH FRANCISCA ALEJANDRA PATRICIA GABRIELA SILVIA TERESA ADRIANA ANA LAURA MARTHA YOLANDA LETICIA CLAUDIA ALICIA ESTHER IRMA LUCIA'.split(' ');
const STREETS = 'HIDALGO MORELOS JUAREZ ALLENDE ZARAGOZA GUERRERO MADERO INDEPENDENCIA REFORMA ALDAMA VICTORIA OCAMPO MATAMOROS ABASOLO ITURBIDE BRAVO PINO SUAREZ ALVARO OBREGON'.split(' ');
const STREET_TYPES = ['CALLE', 'CALLE', 'AVENIDA', 'PRIVADA', 'CERRADA', 'ANDADOR', ''];
const COLONIAS = 'CENTRO|SAN JUAN|LAS FLORES|LA PURISIMA|EL CARMEN|LOMAS DE SAN MIGUEL|JARDINES DEL VALLE|FRACCIONAMIENTO LAS PALMAS|BENITO JUAREZ|EMILIANO ZAPATA|LA ESPERANZA|SANTA CRUZ|GUADALUPE|EL ROSARIO|VISTA HERMOSA|INDUSTRIAL|LOS PINOS|SAN ANTONIO|LA LOMA|AMPLIACION LA LOMA'.split('|');
const MUNICIPIOS = 'CUAUHTEMOC|IZTAPALAPA|COYOACAN|CULIACAN|MAZATLAN|AHOME|GUASAVE|NAVOLATO|TLALPAN|XOCHIMILCO'.split('|');
const STATES = [['09', 'DF'], ['25', 'SL'], ['15', 'MC']];
const HEADER = ['CONSECUTIVO', 'ELECTOR', 'APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC', 'EDAD', 'SEXO', 'CURP', 'CALLE', 'NUM_EXT',
  'NUM_INT', 'COLONIA', 'CODPOSTAL', 'ENTIDAD', 'DISTRITO', 'MUNICIPIO', 'NOM_MUN', 'SECCION'];

function zipf<T>(r: () => number, xs: T[]): T {
  return xs[Math.min(xs.length - 1, Math.floor(xs.length * r() ** 2.2))];
}
const isVowel = (c: string): boolean => 'AEIOU'.includes(c);
function inner(s: string, vowel: boolean): string {
  const t = s.replace(/[^A-ZÑ]/g, '').replace(/Ñ/g, 'X');
  for (let i = 1; i < t.length; i++) if (isVowel(t[i]) === vowel) return t[i];
  return 'X';
}

function makeRegistry(rows: number, seed: number): string[][] {
  const r = rng(seed);
  const out: string[][] = [];
  for (let k = 0; k < rows; k++) {
    const st = STATES[Math.floor((k / rows) * STATES.length)];
    const sex = r() < 0.5 ? 'H' : 'M';
    const pat = zipf(r, SURNAMES);
    const mat = zipf(r, SURNAMES);
    const nom = zipf(r, sex === 'H' ? MEN : WOMEN) + (r() < 0.2 ? ' ' + zipf(r, sex === 'H' ? MEN : WOMEN) : '');
    const y = 1935 + Math.floor(r() * 72);
    const m = 1 + Math.floor(r() * 12);
    const d = 1 + Math.floor(r() * 28);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const ymd = `${p2(y % 100)}${p2(m)}${p2(d)}`;
    const key = [pat, mat, nom].map((n) => n.replace(/[^A-Z]/g, '')[0] + inner(n, false)).join('');
    const elector = key + ymd + st[0] + sex + String(Math.floor(r() * 1000)).padStart(3, '0');
    const curp = pat[0] + inner(pat, true) + mat[0] + nom[0] + ymd + sex + st[1] + inner(pat, false) + inner(mat, false) +
      inner(nom, false) + (y < 2000 ? String(Math.floor(r() * 10)) : 'A') + String(Math.floor(r() * 10));
    const section = Math.floor((k / rows) * 40);
    const mun = Math.floor(section / 4);
    const streetType = zipf(r, STREET_TYPES);
    out.push([
      String(k + 1), elector, pat, mat, nom, `${y}${p2(m)}${p2(d)}`, String(2026 - y - (m > 1 ? 1 : 0)), sex, curp,
      `${streetType} ${zipf(r, STREETS)}`.trim(), r() < 0.1 ? 'S/N' : String(1 + Math.floor(r() * 400)), r() < 0.8 ? '' : String.fromCharCode(65 + Math.floor(r() * 4)),
      COLONIAS[(section * 7 + Math.floor(r() * 3)) % COLONIAS.length], `0${1000 + section * 100 + Math.floor(r() * 5) * 10}`.slice(-5),
      st[0], String(1 + (mun % 12)), String(mun * 3 + 1), MUNICIPIOS[mun % MUNICIPIOS.length], String(100 + section * 37),
    ]);
  }
  return out;
}

let dir: string;
let registry: string[][];
let profiles: ColumnProfile[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollmark-columns-'));
  registry = makeRegistry(12000, 7);
  profiles = profileColumns(HEADER, registry);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The dump's column k comes from registry column `cols[k]`. */
function project(rows: string[][], cols: number[], f: (v: string, c: number) => string = (v) => v): string[][] {
  return rows.map((row) => cols.map((c) => f(row[c], c)));
}
const byDump = (m: ColumnMapping): (string | null)[] => m.columns.map((c) => c.registry);
const idx = (name: string): number => HEADER.indexOf(name);
/** Columns recognised by content alone whatever else is in the dump. */
const DISTINCTIVE = ['ELECTOR', 'CURP', 'NOMBRE', 'FNAC', 'SEXO', 'CALLE', 'COLONIA', 'CODPOSTAL', 'NOM_MUN', 'EDAD'];

describe('profiles', () => {
  it('normalises for comparison: case, accents, Ñ as N, spaces, trailing dots', () => {
    expect(normalizeValue('  María   Guadalupe ')).toBe('MARIA GUADALUPE');
    expect(normalizeValue('Muñoz')).toBe('MUNOZ');
    expect(normalizeValue('Av.')).toBe('AV');
    expect(shapeOf('GOMA800101HDFRRN09')).toBe('A4D6A6D2');
    expect(shapeOf(registry[0][1])).toBe('A6D8A1D3');
  });

  it('capture shapes, frequent values, dates, digits and CURP/ELECTOR links', () => {
    const p = (n: string): ColumnProfile => profiles.find((x) => x.name === n)!;
    expect(p('ELECTOR').shapes[0]).toEqual(['A6D8A1D3', 1]);
    expect(p('ELECTOR').unique).toBeGreaterThan(0.9);
    expect(p('ELECTOR').top).toEqual([]);
    expect(p('FNAC').date?.format).toBe('YYYYMMDD');
    expect(p('CODPOSTAL').digits).toMatchObject({ fixed: 5 });
    expect(p('CODPOSTAL').digits!.leadingZero).toBeGreaterThan(0);
    expect(p('APE_PAT').top.slice(0, 3).map(([v]) => v)).toContain('HERNANDEZ');
    expect(p('APE_PAT').known).toBeGreaterThan(0.9);
    const links = (n: string): string[] => p(n).links.map((l) => `${l.column}@${l.pos}:${l.feature}`);
    expect(links('APE_PAT')).toEqual(expect.arrayContaining(['CURP@0:first', 'ELECTOR@0:first']));
    expect(links('APE_MAT')).toEqual(expect.arrayContaining(['CURP@2:first', 'ELECTOR@2:first']));
    expect(links('APE_MAT')).not.toContain('CURP@0:first');
  });

  it('round-trip through their compact JSON form, and reject a malformed one', () => {
    const text = profilesToJSON(profiles);
    expect(text.length).toBeLessThan(400_000);
    expect(profilesFromJSON(text)).toEqual(profiles);
    const bad = (): unknown => profilesFromJSON('{"version":1,"columns":[{"name":"X"}]}', 'vault/manifest.json');
    expect(bad).toThrow(RollmarkError);
    expect(bad).toThrow(/column 1 is malformed/);
  });

  it('stream in bounded memory with progressive sampling, keeping the frequent values', () => {
    const prof = new ColumnProfiler(HEADER, { budget: 2000 });
    for (const row of registry) prof.add(row);
    const p = prof.finish();
    const pat = p.find((x) => x.name === 'APE_PAT')!;
    expect(pat.rows).toBeGreaterThan(10_000);
    expect(pat.top.slice(0, 5).map(([v]) => v)).toContain('HERNANDEZ');
  });
});

describe('dates and transforms', () => {
  it('every date layout round-trips to the registry format', () => {
    const dates = registry.slice(0, 300).map((r) => r[idx('FNAC')]);
    const ymd = dates.map((v) => parseDate(v, 'YYYYMMDD')!);
    const mon = ['ENE', 'FEB', 'MAR', 'ABR', 'MAY', 'JUN', 'JUL', 'AGO', 'SEP', 'OCT', 'NOV', 'DIC'];
    for (const layout of DATE_LAYOUTS) {
      const written = ymd.map(([y, m, d]) => layout.name.replace(/YYYY|YY|MON|MM|DD/g, (t) =>
        t === 'YYYY' ? String(y) : t === 'YY' ? String(y % 100).padStart(2, '0') : t === 'MON' ? mon[m - 1]
          : String(t === 'MM' ? m : d).padStart(2, '0')));
      const found = detectDateFormat(written);
      expect(found, layout.name).not.toBeNull();
      // Layouts that read every value alike (no day above 12) are interchangeable; the round trip is what counts.
      const t = found!.format === 'YYYYMMDD' ? undefined : `date:${found!.format}>YYYYMMDD`;
      expect(written.map((v) => applyTransform(t, v)), layout.name).toEqual(dates);
    }
  });

  it('reads unpadded and time-stamped variants, and leaves non-dates alone', () => {
    expect(applyTransform('date:DD/MM/YYYY>YYYYMMDD', '5/3/1980')).toBe('19800305');
    expect(applyTransform('date:YYYY-MM-DD>YYYYMMDD', '1980-03-05T00:00:00')).toBe('19800305');
    expect(applyTransform('date:DD/MM/YYYY>YYYYMMDD', 'no date')).toBe('no date');
    expect(applyTransform('pad:5+upper', '6600')).toBe('06600');
    expect(applyTransform('unpad', '0042')).toBe('42');
    expect(applyTransform('upper+deaccent', 'Muñoz Ramírez')).toBe('MUÑOZ RAMIREZ');
    expect(() => compileTransform('rot13')).toThrow(/unknown column transform/);
    expect(detectDateFormat(['12345', '67890', '11111'])).toBeNull();
  });
});

describe('mapColumns', () => {
  it('maps a dump in registry order with its header', () => {
    const m = mapColumns(registry.slice(0, 2000), HEADER, profiles, HEADER);
    const names = byDump(m);
    for (const n of [...DISTINCTIVE, 'APE_PAT', 'APE_MAT']) expect(names[idx(n)], n).toBe(n);
    expect(m.columns[idx('ELECTOR')].score).toBeGreaterThan(0.9);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('gzip + Latin-1 + TSV + no header + shuffled, dropped, reformatted columns', async () => {
    const cols = ['FNAC', 'COLONIA', 'NOMBRE', 'CURP', 'APE_MAT', 'SEXO', 'CODPOSTAL', 'APE_PAT', 'CALLE', 'EDAD'].map(idx);
    const part = registry.slice(4000, 7000);
    const rows = project(part, cols, (v, c) => {
      if (c === idx('FNAC')) return `${v.slice(6)}/${v.slice(4, 6)}/${v.slice(0, 4)}`;
      if (c === idx('CODPOSTAL')) return String(Number(v));
      if (c === idx('NOMBRE')) return v.toLowerCase();
      return v;
    });
    const file = join(dir, 'leak.tsv.gz');
    writeFileSync(file, gzipSync(Buffer.from(rows.map((r) => r.join('\t')).join('\n') + '\n', 'latin1')));
    const dump = await openDump(file);
    expect(dump.format).toMatchObject({ gzip: true, encoding: 'latin1', delimiter: '\t', hasHeader: false, columns: cols.length });
    expect(dump.sample.some((r) => r.some((v) => v.includes('Ñ')))).toBe(true);
    const m = mapColumns(dump.sample, dump.format.header, profiles, HEADER);
    expect(byDump(m)).toEqual(cols.map((c) => HEADER[c]));
    const fnac = m.columns[0];
    expect(fnac.transform).toBe('date:DD/MM/YYYY>YYYYMMDD');
    expect(m.columns[6].transform).toBe('pad:5');
    expect(m.columns[2].transform).toBe('upper');
    // APE_MAT before APE_PAT in the dump: the CURP's letters settle which is which.
    expect(m.columns[4]).toMatchObject({ registry: 'APE_MAT', resolvedBy: 'co-occurrence' });
    expect(m.columns[4].ambiguousWith ?? []).toEqual([]);
    for (const c of m.columns) {
      const k = cols[c.dump];
      const back = part.map((r) => r[k]);
      const seen = rows.map((r) => applyTransform(c.transform, r[c.dump]));
      expect(seen, HEADER[k]).toEqual(back);
    }
  });

  it('uses renamed headers only to break ties, and says when twins stay ambiguous', () => {
    const cols = ['NOMBRE', 'APE_PAT', 'APE_MAT', 'FNAC'].map(idx);
    const rows = project(registry.slice(0, 2000), cols);
    const plain = mapColumns(rows, null, profiles, HEADER);
    expect(byDump(plain)).toEqual(['NOMBRE', 'APE_PAT', 'APE_MAT', 'FNAC']);
    expect(plain.columns[1]).toMatchObject({ ambiguousWith: ['APE_MAT'], resolvedBy: 'position' });
    expect(plain.columns[2]).toMatchObject({ ambiguousWith: ['APE_PAT'], resolvedBy: 'position' });
    // Translated headers, listed materno first: the header decides, the ambiguity is still stated.
    const named = mapColumns(rows, ['first name', 'Apellido Materno', 'Apellido Paterno', 'Fecha de nacimiento'], profiles, HEADER);
    expect(byDump(named)).toEqual(['NOMBRE', 'APE_MAT', 'APE_PAT', 'FNAC']);
    expect(named.columns[1]).toMatchObject({ resolvedBy: 'header', ambiguousWith: ['APE_PAT'] });
    // A misleading header loses against content: with the clave de elector present, its letters decide.
    const withKey = project(registry.slice(0, 2000), [...cols, idx('ELECTOR')]);
    const lying = mapColumns(withKey, ['NOMBRE', 'APE_MAT', 'APE_PAT', 'FNAC', 'ID'], profiles, HEADER);
    expect(byDump(lying)).toEqual(['NOMBRE', 'APE_PAT', 'APE_MAT', 'FNAC', 'ELECTOR']);
    expect(lying.columns[1].resolvedBy).toBe('co-occurrence');
  });

  it('recognises a lone maternal surname by its CURP letters', () => {
    const rows = project(registry.slice(100, 2100), [idx('CURP'), idx('APE_MAT'), idx('SEXO')]);
    const m = mapColumns(rows, null, profiles, HEADER);
    expect(byDump(m)).toEqual(['CURP', 'APE_MAT', 'SEXO']);
    expect(m.columns[1].resolvedBy).toBe('co-occurrence');
  });

  it('leaves foreign and empty columns unmapped', () => {
    const r = rng(3);
    const rows = registry.slice(0, 1000).map((row) => [row[idx('ELECTOR')], `${Math.floor(r() * 1e9)}@mail.test`, '', row[idx('NOMBRE')]]);
    const m = mapColumns(rows, null, profiles, HEADER);
    expect(byDump(m)).toEqual(['ELECTOR', null, null, 'NOMBRE']);
  });

  it('works on any registry, not only mx-ine (US-style columns, ISO dates written MM/DD/YYYY)', () => {
    const r = rng(11);
    const first = 'JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID ELIZABETH WILLIAM BARBARA'.split(' ');
    const last = 'SMITH JOHNSON WILLIAMS BROWN JONES MILLER DAVIS WILSON ANDERSON TAYLOR THOMAS MOORE'.split(' ');
    const cities = ['COLUMBUS', 'DAYTON', 'AKRON', 'TOLEDO', 'CANTON'];
    const us = ['voter_id', 'first_name', 'last_name', 'birth_date', 'street', 'city', 'zip', 'precinct'];
    const reg = Array.from({ length: 6000 }, (_, i) => {
      const y = 1940 + Math.floor(r() * 60), m = 1 + Math.floor(r() * 12), d = 1 + Math.floor(r() * 28);
      return [`OH${String(10_000_000 + i * 7).padStart(10, '0')}`, zipf(r, first), zipf(r, last),
        `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, `${1 + Math.floor(r() * 9999)} ${zipf(r, ['MAIN', 'OAK', 'ELM', 'HIGH', 'PARK'])} ${zipf(r, ['ST', 'AVE', 'RD', 'BLVD'])}`,
        cities[Math.floor(i / 1200)], String(43000 + Math.floor(i / 300)), `PCT ${Math.floor(i / 150)}${'ABC'[i % 3]}`];
    });
    const prof = profileColumns(us, reg);
    const cols = [2, 6, 0, 1, 3, 5];
    const rows = project(reg.slice(1000, 2500), cols, (v, c) => (c === 3 ? `${v.slice(5, 7)}/${v.slice(8)}/${v.slice(0, 4)}` : v));
    const m = mapColumns(rows, null, prof, us);
    expect(byDump(m)).toEqual(cols.map((c) => us[c]));
    expect(m.columns[4].transform).toBe('date:MM/DD/YYYY>YYYY-MM-DD');
  });

  it('recognises a column-name cell', () => {
    expect(looksLikeColumnName('Apellido Paterno')).toBe(true);
    expect(looksLikeColumnName('voter_id')).toBe(true);
    expect(looksLikeColumnName('HERNANDEZ')).toBe(false);
  });

  it('recovers every surviving distinctive column under permutation, drops and rewriting (property)', () => {
    const pool = registry.slice(6000, 12000);
    const layouts = ['YYYYMMDD', 'DD/MM/YYYY', 'YYYY-MM-DD', 'DD-MM-YY', 'MM/DD/YYYY'];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(HEADER.map((_, i) => i), { minLength: 3 }),
        fc.integer({ min: 0, max: pool.length - 1500 }),
        fc.integer({ min: 100, max: 1500 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(...layouts),
        (cols, start, size, withHeader, lower, layout) => {
          const part = pool.slice(start, start + size);
          const rows = project(part, cols, (v, c) => {
            if (HEADER[c] === 'FNAC') return layout.replace(/YYYY|YY|MM|DD/g, (t) => (t === 'YYYY' ? v.slice(0, 4) : t === 'YY' ? v.slice(2, 4) : t === 'MM' ? v.slice(4, 6) : v.slice(6)));
            if (HEADER[c] === 'CODPOSTAL') return String(Number(v));
            return lower ? v.toLowerCase() : v;
          });
          const header = withHeader ? cols.map((c) => `col${c}`) : null;
          const m = mapColumns(rows, header, profiles, HEADER);
          const got = byDump(m);
          cols.forEach((c, k) => {
            if (!DISTINCTIVE.includes(HEADER[c])) return;
            expect(got[k], `${HEADER[c]} in ${cols.map((x) => HEADER[x])}`).toBe(HEADER[c]);
            const back = rows.map((r) => applyTransform(m.columns[k].transform, r[k]));
            expect(back, `${HEADER[c]} transform ${m.columns[k].transform}`).toEqual(part.map((r) => r[c]));
          });
          // Twins land on one of the pair; with a CURP or clave present, on the right one.
          const keyed = cols.some((c) => HEADER[c] === 'CURP' || HEADER[c] === 'ELECTOR');
          cols.forEach((c, k) => {
            if (HEADER[c] !== 'APE_PAT' && HEADER[c] !== 'APE_MAT') return;
            if (keyed) expect(got[k]).toBe(HEADER[c]);
            else expect(['APE_PAT', 'APE_MAT']).toContain(got[k]);
          });
        },
      ),
      { numRuns: 60, seed: 20260211 },
    );
  });
});

/**
 * A stand-in for the release's match index (the real one is tested in columns-index.test.ts): the
 * registry rows' normalised APE_PAT+APE_MAT+NOMBRE+FNAC, and the dump sample's first rows.
 */
const MATCH_SET = ['APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC'];
function fakeProbe(reg: string[][], sample: string[][], maxRows = 500): MatchIndexProbe {
  const key = (vs: string[]): string => vs.map(normalizeValue).join('|');
  const known = new Set(reg.map((r) => key(MATCH_SET.map((n) => r[idx(n)]))));
  const judged = sample.slice(0, maxRows);
  return {
    sets: [MATCH_SET],
    rows: judged.length,
    hits(s, cols) {
      const found = new Set<string>();
      for (const r of judged) {
        const k = key(cols.map((c) => applyTransform(c.transform, r[c.dump] ?? '')));
        if (known.has(k)) found.add(k);
      }
      return found.size;
    },
  };
}

/** Scrambles a value's digits (as the lab's fabricated rows do): mostly no valid date any more. */
function scrambleDigits(v: string, r: () => number): string {
  return v.replace(/\d/g, (d) => String((Number(d) + 1 + Math.floor(r() * 9)) % 10));
}

describe('mapColumns with the match index (id-less dumps)', () => {
  // No CURP, no clave de elector, no header: content cannot tell the surnames apart.
  const order = ['FNAC', 'APE_MAT', 'SEXO', 'NOMBRE', 'CALLE', 'APE_PAT', 'COLONIA', 'EDAD', 'SECCION'];
  const cols = order.map(idx);

  it('settles the twin surnames by the reading that finds the records, not by position', () => {
    const rows = project(registry.slice(2000, 2300), cols);
    const plain = mapColumns(rows, null, profiles, HEADER);
    // Content keeps the registry's order: the first surname column is taken for APE_PAT (wrong here).
    expect(byDump(plain).slice(0, 6)).toEqual(['FNAC', 'APE_PAT', 'SEXO', 'NOMBRE', 'CALLE', 'APE_MAT']);
    const probe = fakeProbe(registry, rows);
    // Namesakes of both surnames (GARCIA GARCIA) match either way round: some rows do even so.
    const at = (n: string): { dump: number } => ({ dump: order.indexOf(n) });
    expect(probe.hits(0, [at('APE_MAT'), at('APE_PAT'), at('NOMBRE'), at('FNAC')])).toBeGreaterThanOrEqual(3);
    expect(probe.hits(0, [at('APE_PAT'), at('APE_MAT'), at('NOMBRE'), at('FNAC')])).toBeGreaterThan(250);
    const m = mapColumns(rows, null, profiles, HEADER, { matchIndex: probe });
    expect(byDump(m)).toEqual(order);
    expect(m.columns[1]).toMatchObject({ registry: 'APE_MAT', resolvedBy: 'match-index' });
    expect(m.columns[5]).toMatchObject({ registry: 'APE_PAT', resolvedBy: 'match-index' });
    expect(m.columns[1].ambiguousWith).toBeUndefined();
    // In the registry's order the index confirms what position guessed, and says so.
    const inOrder = project(registry.slice(2000, 2300), ['NOMBRE', 'APE_PAT', 'APE_MAT', 'FNAC'].map(idx));
    const confirmed = mapColumns(inOrder, null, profiles, HEADER, { matchIndex: fakeProbe(registry, inOrder) });
    expect(byDump(confirmed)).toEqual(['NOMBRE', 'APE_PAT', 'APE_MAT', 'FNAC']);
    expect(confirmed.columns[1].resolvedBy).toBe('match-index');
  });

  it('overrides a header that lies, and finds the records among foreign rows', () => {
    const real = project(registry.slice(5000, 5150), cols);
    const foreign = project(makeRegistry(150, 99), cols);
    const rows = real.flatMap((r, k) => [r, foreign[k]]);
    const lying = order.map((n) => (n === 'APE_PAT' ? 'Apellido Materno' : n === 'APE_MAT' ? 'Apellido Paterno' : n));
    expect(byDump(mapColumns(rows, lying, profiles, HEADER)).slice(0, 6)).toEqual(['FNAC', 'APE_PAT', 'SEXO', 'NOMBRE', 'CALLE', 'APE_MAT']);
    expect(byDump(mapColumns(rows, lying, profiles, HEADER, { matchIndex: fakeProbe(registry, rows) }))).toEqual(order);
  });

  it('changes nothing when the index finds no record, or only a few by chance', () => {
    const rows = project(registry.slice(2000, 2300), cols);
    const plain = mapColumns(rows, null, profiles, HEADER);
    const none = mapColumns(rows, null, profiles, HEADER, { matchIndex: fakeProbe(makeRegistry(3000, 5), rows) });
    expect(none).toEqual(plain);
    // Two rows of 300 found under the other reading: below what rules out chance.
    const few = fakeProbe(registry.slice(2000, 2002).map((r) => {
      const x = r.slice();
      [x[idx('APE_PAT')], x[idx('APE_MAT')]] = [r[idx('APE_MAT')], r[idx('APE_PAT')]];
      return x;
    }), rows);
    expect(mapColumns(rows, null, profiles, HEADER, { matchIndex: few })).toEqual(plain);
  });
});

describe('mapColumns tolerates values that do not read', () => {
  it('a birth-date column half made up (no valid date) still maps to FNAC, in its layout', () => {
    const r = rng(21);
    const part = registry.slice(3000, 3400);
    const cols = ['NOMBRE', 'APE_PAT', 'FNAC', 'SEXO', 'CALLE', 'EDAD'].map(idx);
    for (const layout of ['YYYYMMDD', 'DD/MM/YYYY']) {
      const rows = project(part, cols, (v, c) => {
        if (HEADER[c] !== 'FNAC') return v;
        const w = layout === 'YYYYMMDD' ? v : `${v.slice(6)}/${v.slice(4, 6)}/${v.slice(0, 4)}`;
        return r() < 0.5 ? scrambleDigits(w, r) : w;
      });
      const valid = rows.filter((x) => parseDate(x[2], layout) !== null).length / rows.length;
      expect(valid, layout).toBeLessThan(0.7);
      const m = mapColumns(rows, null, profiles, HEADER);
      expect(byDump(m)[2], layout).toBe('FNAC');
      expect(m.columns[2].transform, layout).toBe(layout === 'YYYYMMDD' ? undefined : `date:${layout}>YYYYMMDD`);
      // The dates that read come back as the registry wrote them; the others stay as found.
      rows.forEach((x, k) => {
        if (parseDate(x[2], layout)) expect(applyTransform(m.columns[2].transform, x[2])).toBe(part[k][idx('FNAC')]);
      });
      expect(byDump(m)).toEqual(['NOMBRE', 'APE_PAT', 'FNAC', 'SEXO', 'CALLE', 'EDAD']);
    }
  });

  it('placeholders (NULL, N/A, -, 0000-00-00) in half the cells compare as empty cells', () => {
    const r = rng(8);
    const part = registry.slice(3000, 3400);
    const cols = ['NOMBRE', 'APE_PAT', 'FNAC', 'SEXO', 'CALLE', 'EDAD', 'CODPOSTAL', 'COLONIA', 'SECCION'].map(idx);
    const junk = ['NULL', 'N/A', '-', '0000-00-00'];
    const rows = project(part, cols, (v) => (r() < 0.5 ? junk[Math.floor(r() * junk.length)] : v));
    const m = mapColumns(rows, null, profiles, HEADER);
    expect(byDump(m)).toEqual(cols.map((c) => HEADER[c]));
    expect(m.columns[6].transform).toBeUndefined();
  });

  it('numbers that only sometimes read as dates are not taken for one', () => {
    const r = rng(5);
    const rows = registry.slice(0, 400).map((row) => [row[idx('NOMBRE')], String(10_000_000 + Math.floor(r() * 89_999_999))]);
    expect(byDump(mapColumns(rows, null, profiles, HEADER))[1]).not.toBe('FNAC');
  });
});
