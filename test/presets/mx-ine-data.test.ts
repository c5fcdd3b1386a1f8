import { describe, expect, it } from 'vitest';
import { BUILTIN_ROBUST_FAMILIES } from '../../src/schema/families/index.js';
import { ENTIDADES, MX_INE_COLUMNS, curpStateForCode } from '../../src/presets/mx-ine/columns.js';
import * as addresses from '../../src/presets/mx-ine/data/addresses.js';
import { GIVEN_NAMES, SECOND_NAMES } from '../../src/presets/mx-ine/data/given-names.js';
import { HEROES, MUNICIPIOS, SAINTS, TOPONYMS } from '../../src/presets/mx-ine/data/municipios.js';
import { MAYA_SURNAMES, NATIONAL_SURNAMES, NORTHEAST_SURNAMES, TOP20 } from '../../src/presets/mx-ine/data/surnames.js';
import * as variants from '../../src/presets/mx-ine/data/variants.js';

describe('mx-ine columns and entidades', () => {
  it('has the 27 columns in the contract order', () => {
    expect(MX_INE_COLUMNS.join(',')).toBe(
      'CONSECUTIVO,ELECTOR,FOL_NAC,OCR,APE_PAT,APE_MAT,NOMBRE,FNAC,EDAD,SEXO,CURP,OCUPACION,CALLE,NUM_EXT,NUM_INT,' +
        'COLONIA,CODPOSTAL,TIEMPRES,ENTIDAD,DISTRITO,MUNICIPIO,NOM_MUN,SECCION,LOCALIDAD,MANZANA,EMISIONCRE,CONS_LC',
    );
  });
  it('embeds the 32 entidades with the 2024 lista nominal and 300 districts', () => {
    expect(ENTIDADES.map((e) => e.code)).toEqual(Array.from({ length: 32 }, (_, i) => String(i + 1).padStart(2, '0')));
    expect(ENTIDADES.reduce((s, e) => s + e.federalDistricts, 0)).toBe(300);
    const total = ENTIDADES.reduce((s, e) => s + e.listaNominal2024, 0);
    expect(total).toBeGreaterThan(98.2e6);
    expect(total).toBeLessThan(98.6e6);
    expect(ENTIDADES.find((e) => e.code === '09')).toMatchObject({ name: 'CIUDAD DE MEXICO', curp: 'DF' });
    expect(curpStateForCode('87')).toBe('NE');
    expect(new Set(ENTIDADES.map((e) => e.curp)).size).toBe(32);
  });
  it('has a municipio list for every entidad, about 2,470 in all', () => {
    const total = ENTIDADES.reduce((s, e) => s + MUNICIPIOS[e.code].count, 0);
    expect(total).toBeGreaterThan(2400);
    expect(total).toBeLessThan(2500);
    for (const e of ENTIDADES) {
      const m = MUNICIPIOS[e.code];
      expect(m.names.length).toBeLessThanOrEqual(m.count);
      expect(new Set(m.names).size).toBe(m.names.length);
    }
  });
});

describe('mx-ine vocabulary', () => {
  const strings: string[] = [
    ...NATIONAL_SURNAMES.map(([s]) => s), ...MAYA_SURNAMES.names, ...NORTHEAST_SURNAMES.names,
    ...GIVEN_NAMES.H.flatMap((e) => [e.first, e.second]), ...GIVEN_NAMES.M.flatMap((e) => [e.first, e.second]),
    ...SECOND_NAMES.H, ...SECOND_NAMES.M, ...addresses.STREET_NAMES, ...addresses.SETTLEMENT_NAMES,
    ...addresses.RURAL_LOCALITIES, ...addresses.RURAL_PREFIXES, ...addresses.OCCUPATIONS.map(([o]) => o),
    ...Object.values(MUNICIPIOS).flatMap((m) => m.names), ...TOPONYMS, ...SAINTS, ...HEROES,
    ...[variants.STREET_TYPES, variants.CARDINALS, variants.SETTLEMENT_TYPES].flatMap((ws) => ws.flatMap((w) => w.spellings.map(([s]) => s))),
    ...[variants.SIN_NUMERO, variants.MANZANA, variants.LOTE, variants.DEPARTAMENTO, variants.EDIFICIO].flatMap((xs) => xs.map(([s]) => s)),
    ...Object.values(variants.GIVEN_NAME_SPELLINGS).flatMap((xs) => xs.map(([s]) => s)),
  ];
  it('is written as the list writes: uppercase, no accents, Ñ kept, nothing CSV must quote', () => {
    const bad = strings.filter((s) => !/^[A-Z0-9Ñ .\/-]*$/.test(s) || s !== s.trim() || s.includes('  '));
    expect(bad).toEqual([]);
    expect(strings.some((s) => s.includes('Ñ'))).toBe(true);
  });
  it('extends the top-20 surnames with a long tail and regional lists', () => {
    expect(NATIONAL_SURNAMES.slice(0, 20)).toEqual(TOP20);
    expect(NATIONAL_SURNAMES.length).toBeGreaterThan(400);
    expect(new Set(NATIONAL_SURNAMES.map(([s]) => s)).size).toBe(NATIONAL_SURNAMES.length);
    const total = NATIONAL_SURNAMES.reduce((s, [, w]) => s + w, 0);
    const top = TOP20.reduce((s, [, w]) => s + w, 0);
    expect(top / total).toBeGreaterThan(0.25);
    expect(top / total).toBeLessThan(0.4);
    expect(MAYA_SURNAMES.names.slice(0, 6)).toEqual(['CHAN', 'PECH', 'CANUL', 'MAY', 'CANCHE', 'DZUL']);
  });
  it('has positive cohort weights for every given name', () => {
    for (const e of [...GIVEN_NAMES.H, ...GIVEN_NAMES.M]) expect(e.weights.some((w) => w > 0)).toBe(true);
  });
});

describe('mx-ine spellings and the built-in families', () => {
  /** The families' groups, spelling lists keyed by long form. */
  const groups = new Map<string, string[]>();
  for (const text of Object.values(BUILTIN_ROBUST_FAMILIES)) {
    for (const line of text.split('\n')) {
      if (!line.includes('|')) continue;
      const g = line.split('|').map((s) => s.trim());
      groups.set(g[0], g);
    }
  }
  const words: [string, variants.Spellings][] = [
    ...[variants.STREET_TYPES, variants.CARDINALS, variants.SETTLEMENT_TYPES].flatMap((ws) => ws.map((w) => [w.long, w.spellings] as [string, variants.Spellings])),
    ['SIN NUMERO', variants.SIN_NUMERO], ['MANZANA', variants.MANZANA], ['LOTE', variants.LOTE],
    ['DEPARTAMENTO', variants.DEPARTAMENTO], ['EDIFICIO', variants.EDIFICIO],
    ...Object.entries(variants.GIVEN_NAME_SPELLINGS),
  ];
  it('writes only spellings of a family group, long form first, so a copy can re-spell any of them', () => {
    for (const [long, spellings] of words) {
      if (spellings.length < 2) continue;
      const group = groups.get(long);
      expect(group, `family group for ${long}`).toBeDefined();
      for (const [s] of spellings) expect(group, long).toContain(s);
      expect(spellings[0][0]).toBe(long);
    }
  });
  it('gives every spelling a share', () => {
    for (const [, spellings] of words) for (const [, w] of spellings) expect(w).toBeGreaterThan(0);
  });
});
