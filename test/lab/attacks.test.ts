import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dedupe,
  dropColumns,
  duplicateRows,
  editCells,
  fabricateRows,
  firstN,
  keepColumns,
  mixForeign,
  randomN,
  renameColumns,
  sampleFraction,
  shuffleColumns,
  shuffleRows,
  whereColumn,
} from '../../src/lab/attacks.js';
import { collapseWhitespace, lowerCase, nfc, normalize, stripAccents, stripDots, upperCase } from '../../src/lab/cell-normalizers.js';
import { collapseFamilies, collapseToLong, collapseToShort, type ColumnGroups } from '../../src/lab/family-collapse.js';
import { createRng } from '../../src/lab/rng.js';
import type { Table } from '../../src/lab/table.js';
import { RollmarkError } from '../../src/errors.js';

/** A table whose rows are told apart by their first cell, so order and membership are visible. */
function numbered(n: number): Table {
  return {
    header: ['ID', 'ENTIDAD', 'SECCION', 'NOMBRE'],
    rows: Array.from({ length: n }, (_, i) => [`r${i}`, String(1 + (i % 3)).padStart(2, '0'), String(100 + (i % 5)), `N${i % 7}`]),
  };
}

/** Small tables with repeated values (so duplicates and collisions happen). */
const tableArb = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 40 }))
  .chain(([w, n]) =>
    fc.record({
      header: fc.constant(Array.from({ length: w }, (_, i) => `C${i}`)),
      rows: fc.array(fc.array(fc.constantFrom('a', 'b', 'Ñ', ' x  y ', 'é.'), { minLength: w, maxLength: w }), {
        minLength: n,
        maxLength: n,
      }),
    }),
  );

const seedArb = fc.string({ maxLength: 8 });

/** Is `sub` a subsequence of `all` (by identity of the row arrays' contents and order)? */
function isSubsequence(sub: string[][], all: string[][]): boolean {
  let j = 0;
  for (const r of all) if (j < sub.length && JSON.stringify(sub[j]) === JSON.stringify(r)) j++;
  return j === sub.length;
}

const sorted = (rows: string[][]) => rows.map((r) => JSON.stringify(r)).sort();

function expectAttackError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RollmarkError);
    expect((err as RollmarkError).code).toBe('ATTACK_INVALID');
    expect((err as RollmarkError).message).toMatch(pattern);
    expect((err as RollmarkError).format()).not.toContain('\n');
    return;
  }
  throw new Error('expected an ATTACK_INVALID error');
}

describe('Rng', () => {
  it('is determined by its seed, and forks are independent of each other', () => {
    const a = createRng('seed');
    const b = createRng('seed');
    const xs = Array.from({ length: 20 }, () => a.uint32());
    expect(Array.from({ length: 20 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => createRng('seed2').uint32())).not.toEqual(xs);
    expect(createRng('s').fork('x').uint32()).toBe(createRng('s').fork('x').uint32());
    expect(createRng('s').fork('x').uint32()).not.toBe(createRng('s').fork('y').uint32());
  });

  it('draws floats in [0,1) and unbiased-looking integers', () => {
    const rng = createRng('dist');
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60000; i++) {
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
      counts[rng.int(6)]++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });
});

describe('subsets', () => {
  it('sampleFraction keeps round(f*n) rows, a subsequence in the original order', () => {
    fc.assert(
      fc.property(tableArb, fc.double({ min: 0, max: 1, noNaN: true }), seedArb, (t, f, seed) => {
        const s = sampleFraction(t, f, createRng(seed));
        expect(s.header).toEqual(t.header);
        expect(s.rows.length).toBe(Math.round(f * t.rows.length));
        expect(isSubsequence(s.rows, t.rows)).toBe(true);
      }),
    );
  });

  it('sampleFraction is deterministic by seed and varies with it', () => {
    const t = numbered(200);
    const a = sampleFraction(t, 0.1, createRng('one'));
    expect(sampleFraction(t, 0.1, createRng('one'))).toEqual(a);
    expect(sampleFraction(t, 0.1, createRng('two')).rows).not.toEqual(a.rows);
  });

  it('randomN, firstN and whereColumn', () => {
    const t = numbered(30);
    const r = randomN(t, 7, createRng('r'));
    expect(r.rows).toHaveLength(7);
    expect(isSubsequence(r.rows, t.rows)).toBe(true);
    expect(randomN(t, 99, createRng('r')).rows).toEqual(t.rows);
    expect(firstN(t, 3).rows.map((x) => x[0])).toEqual(['r0', 'r1', 'r2']);
    expect(firstN(t, 100).rows).toHaveLength(30);
    const one = whereColumn(t, 'ENTIDAD', ['02']);
    expect(one.rows.every((x) => x[1] === '02')).toBe(true);
    expect(one.rows).toHaveLength(10);
    const section = whereColumn(whereColumn(t, 'ENTIDAD', ['02']), 'SECCION', ['101']);
    expect(section.rows.map((x) => x[0])).toEqual(['r1', 'r16']);
    expect(whereColumn(t, 'ENTIDAD', ['01', '03']).rows).toHaveLength(20);
  });

  it('rejects bad arguments with one clear line', () => {
    const t = numbered(3);
    expectAttackError(() => sampleFraction(t, 1.5, createRng('x')), /fraction between 0 and 1/);
    expectAttackError(() => firstN(t, -1), /whole number/);
    expectAttackError(() => whereColumn(t, 'NOPE', ['1']), /no column 'NOPE' \(the table has: ID, ENTIDAD, SECCION, NOMBRE\)/);
  });
});

describe('columns', () => {
  const t: Table = { header: ['A', 'B', 'C'], rows: [['1', '2', '3'], ['4', '5', '6']] };

  it('drops, keeps (in the order given) and renames', () => {
    expect(dropColumns(t, ['B'])).toEqual({ header: ['A', 'C'], rows: [['1', '3'], ['4', '6']] });
    expect(keepColumns(t, ['C', 'A'])).toEqual({ header: ['C', 'A'], rows: [['3', '1'], ['6', '4']] });
    expect(renameColumns(t, { A: 'x', C: 'z' })).toEqual({ header: ['x', 'B', 'z'], rows: t.rows });
    expectAttackError(() => dropColumns(t, ['D']), /no column 'D'/);
  });

  it('shuffleColumns permutes columns, carrying each column with its data', () => {
    fc.assert(
      fc.property(tableArb, seedArb, (t0, seed) => {
        const s = shuffleColumns(t0, createRng(seed));
        expect([...s.header].sort()).toEqual([...t0.header].sort());
        expect(keepColumns(s, t0.header)).toEqual(t0);
      }),
    );
  });

  it('never changes its input', () => {
    const copy = JSON.parse(JSON.stringify(t));
    dropColumns(t, ['A']);
    renameColumns(t, { A: 'q' });
    shuffleColumns(t, createRng('z'));
    upperCase(t);
    editCells(t, 1, createRng('e'));
    expect(t).toEqual(copy);
  });
});

describe('rows', () => {
  it('shuffleRows is a permutation, and moves rows for a non-trivial table', () => {
    fc.assert(
      fc.property(tableArb, seedArb, (t, seed) => {
        expect(sorted(shuffleRows(t, createRng(seed)).rows)).toEqual(sorted(t.rows));
      }),
    );
    const t = numbered(50);
    expect(shuffleRows(t, createRng('s')).rows).not.toEqual(t.rows);
    expect(shuffleRows(t, createRng('s'))).toEqual(shuffleRows(t, createRng('s')));
  });

  it('dedupe removes exact duplicates, keeps first occurrences in order, and is idempotent', () => {
    const t: Table = { header: ['A', 'B'], rows: [['1', 'x'], ['2', 'y'], ['1', 'x'], ['1', 'X'], ['2', 'y']] };
    expect(dedupe(t).rows).toEqual([['1', 'x'], ['2', 'y'], ['1', 'X']]);
    fc.assert(
      fc.property(tableArb, (t0) => {
        const once = dedupe(t0);
        expect(dedupe(once)).toEqual(once);
        expect(new Set(once.rows.map((r) => JSON.stringify(r))).size).toBe(once.rows.length);
        expect(isSubsequence(once.rows, t0.rows)).toBe(true);
      }),
    );
  });

  it('duplicateRows repeats round(f*n) rows right after themselves; dedupe undoes it', () => {
    const t = numbered(40);
    const d = duplicateRows(t, 0.25, createRng('d'));
    expect(d.rows).toHaveLength(50);
    let adjacent = 0;
    for (let i = 1; i < d.rows.length; i++) if (d.rows[i][0] === d.rows[i - 1][0]) adjacent++;
    expect(adjacent).toBe(10);
    fc.assert(
      fc.property(tableArb, fc.double({ min: 0, max: 1, noNaN: true }), seedArb, (t0, f, seed) => {
        const dup = duplicateRows(t0, f, createRng(seed));
        expect(dup.rows.length).toBe(t0.rows.length + Math.round(f * t0.rows.length));
        expect(dedupe(dup)).toEqual(dedupe(t0));
      }),
    );
  });
});

describe('normalisation', () => {
  const t: Table = {
    header: ['N', 'C'],
    rows: [['Peña  Nieto', ' AV.  José   María '], ['MUÑOZ', 'N\u0303ANDU\u0301 S.A.']],
  };

  it('changes case', () => {
    expect(upperCase(t).rows[0]).toEqual(['PEÑA  NIETO', ' AV.  JOSÉ   MARÍA ']);
    expect(lowerCase(t).rows[1][0]).toBe('muñoz');
    expect(upperCase(t, ['N']).rows[0][1]).toBe(' AV.  José   María ');
  });

  it('strips accents, turning Ñ into N, composed or not', () => {
    expect(stripAccents(t).rows).toEqual([['Pena  Nieto', ' AV.  Jose   Maria '], ['MUNOZ', 'NANDU S.A.']]);
  });

  it('collapses whitespace, composes (NFC) and strips dots', () => {
    expect(collapseWhitespace(t).rows[0]).toEqual(['Peña Nieto', 'AV. José María']);
    expect(collapseWhitespace({ header: ['x'], rows: [['a\t\u00a0 b\n']] }).rows[0][0]).toBe('a b');
    expect(nfc(t).rows[1][1]).toBe('ÑANDÚ S.A.');
    expect(nfc(t).rows[1][1]).toHaveLength(10);
    expect(stripDots(t).rows[1][1]).toBe('N\u0303ANDU\u0301 SA');
  });

  it('normalize runs steps in order, and each step is idempotent', () => {
    expect(normalize(t, ['upper', 'accents', 'whitespace', 'dots']).rows).toEqual([
      ['PENA NIETO', 'AV JOSE MARIA'],
      ['MUNOZ', 'NANDU SA'],
    ]);
    fc.assert(
      fc.property(tableArb, fc.constantFrom('upper', 'lower', 'accents', 'whitespace', 'nfc', 'dots' as const), (t0, step) => {
        const once = normalize(t0, [step]);
        expect(normalize(once, [step])).toEqual(once);
      }),
    );
  });

  it('rejects an unknown step', () => {
    expectAttackError(() => normalize(t, ['title' as never]), /unknown normalisation step 'title'/);
  });
});

describe('family collapse', () => {
  // The mx-ine families the CALLE and COLONIA columns carry (a subset, as the test user passes it).
  const streets: ColumnGroups = {
    column: 'CALLE',
    anchored: true,
    groups: [
      ['CALLE', 'C'],
      ['AVENIDA', 'AV.', 'AV'],
      ['PRIVADA', 'PRIV.', 'PRIV'],
      ['CERRADA', 'CDA.', 'CDA'],
    ],
  };
  const cardinal: ColumnGroups = { column: 'CALLE', groups: [['NORTE', 'NTE.', 'NTE'], ['ORIENTE', 'OTE.', 'OTE']] };
  const settlements: ColumnGroups = {
    column: 'COLONIA',
    anchored: true,
    groups: [['COLONIA', 'COL.', 'COL'], ['UNIDAD HABITACIONAL', 'U.H.', 'UH'], ['CONJUNTO HABITACIONAL', 'CONJ. HAB.']],
  };
  const numbering: ColumnGroups = { column: 'CALLE', groups: [['SIN NUMERO', 'S/N', 'SN']] };
  const all = [streets, cardinal, settlements, numbering];

  const t: Table = {
    header: ['CALLE', 'COLONIA', 'NOMBRE'],
    rows: [
      ['AV. REFORMA NTE.', 'COL. CENTRO', 'AV'],
      ['av  16 de septiembre ote', 'U.H.  LOMAS', 'X'],
      ['AVENIDA JUAREZ S/N', 'CONJ. HAB. EL ROSARIO', 'Y'],
      ['C LOPEZ C', 'COLONIA COL', 'Z'],
      ['CERRADA CDA. 5 SIN  NUMERO', 'UNIDAD HABITACIONAL NORTE', 'W'],
    ],
  };

  it('collapseToLong rewrites every spelling to the long form, word by word, anchored families only up front', () => {
    expect(collapseToLong(t, all).rows).toEqual([
      ['AVENIDA REFORMA NORTE', 'COLONIA CENTRO', 'AV'],
      ['AVENIDA  16 de septiembre ORIENTE', 'UNIDAD HABITACIONAL  LOMAS', 'X'],
      ['AVENIDA JUAREZ SIN NUMERO', 'CONJUNTO HABITACIONAL EL ROSARIO', 'Y'],
      ['CALLE LOPEZ C', 'COLONIA COL', 'Z'],
      ['CERRADA CDA. 5 SIN NUMERO', 'UNIDAD HABITACIONAL NORTE', 'W'],
    ]);
  });

  it('collapseToShort rewrites to each group’s second spelling', () => {
    expect(collapseToShort(t, all).rows).toEqual([
      ['AV. REFORMA NTE.', 'COL. CENTRO', 'AV'],
      ['AV.  16 de septiembre OTE.', 'U.H.  LOMAS', 'X'],
      ['AV. JUAREZ S/N', 'CONJ. HAB. EL ROSARIO', 'Y'],
      ['C LOPEZ C', 'COL. COL', 'Z'],
      ['CDA. CDA. 5 S/N', 'U.H. NORTE', 'W'],
    ]);
  });

  const familyWords = new Set(
    all.flatMap((g) => g.groups.flat().flatMap((s) => s.split(/\s+/).map((w) => w.toUpperCase().replaceAll('.', '')))),
  );
  const spellingArb = fc.constantFrom(...all.flatMap((g) => g.groups.flat()));
  const otherWordArb = fc
    .stringMatching(/^[A-Za-z0-9.]{1,6}$/)
    .filter((w) => !familyWords.has(w.toUpperCase().replaceAll('.', '')));
  const cellArb = fc
    .array(fc.tuple(fc.oneof(spellingArb, otherWordArb), fc.constantFrom(' ', '  ', '\t')), { maxLength: 6 })
    .map((ws) => ws.map(([w, sep]) => w + sep).join('').trimEnd());

  it('is idempotent, both ways', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cellArb, cellArb), { maxLength: 10 }), (cells) => {
        const t0: Table = { header: ['CALLE', 'COLONIA'], rows: cells.map(([a, b]) => [a, b]) };
        const long = collapseToLong(t0, all);
        expect(collapseToLong(long, all)).toEqual(long);
        const short = collapseToShort(t0, all);
        expect(collapseToShort(short, all)).toEqual(short);
      }),
    );
  });

  it('leaves cells of non-family words, and columns without families, alone', () => {
    fc.assert(
      fc.property(fc.array(otherWordArb, { maxLength: 5 }), fc.string(), (words, other) => {
        const cell = words.join(' ');
        const t0: Table = { header: ['CALLE', 'COLONIA', 'NOMBRE'], rows: [[cell, cell, other]] };
        expect(collapseToLong(t0, all)).toEqual(t0);
      }),
    );
  });

  it('collapseFamilies takes a function or a spelling table per column', () => {
    const t0: Table = { header: ['A', 'B'], rows: [['MA. GPE. LOPEZ', 'x']] };
    const out = collapseFamilies(t0, { A: { 'MA.': 'MARIA', 'GPE.': 'GUADALUPE' }, B: (s) => s + '!' });
    expect(out.rows).toEqual([['MARIA GUADALUPE LOPEZ', 'x!']]);
    expectAttackError(() => collapseFamilies(t0, { Q: (s) => s }), /no column 'Q'/);
  });
});

describe('noise', () => {
  it('editCells changes about rate of the cells, each edited cell differs, only in the named columns', () => {
    const t = numbered(500);
    const e = editCells(t, 0.2, createRng('e'), ['NOMBRE']);
    let changed = 0;
    e.rows.forEach((r, i) => {
      expect(r.slice(0, 3)).toEqual(t.rows[i].slice(0, 3));
      if (r[3] !== t.rows[i][3]) changed++;
    });
    expect(changed).toBeGreaterThan(70);
    expect(changed).toBeLessThan(130);
    const everything = editCells(t, 1, createRng('e'));
    everything.rows.forEach((r, i) => r.forEach((v, c) => expect(v).not.toBe(t.rows[i][c])));
    expect(editCells(t, 0, createRng('e'))).toEqual(t);
    expect(editCells(t, 0.2, createRng('e'), ['NOMBRE'])).toEqual(e);
  });

  it('mixForeign inserts the chosen fraction of foreign rows, keeping the order of both', () => {
    const t = numbered(20);
    const foreign = Array.from({ length: 10 }, (_, i) => [`f${i}`, '99', '999', 'F']);
    const m = mixForeign(t, foreign, 0.5, createRng('m'));
    expect(m.rows).toHaveLength(25);
    expect(m.rows.filter((r) => r[0].startsWith('r'))).toEqual(t.rows);
    const mixed = m.rows.filter((r) => r[0].startsWith('f'));
    expect(mixed).toHaveLength(5);
    expect(isSubsequence(mixed, foreign)).toBe(true);
    expect(m.rows.slice(-5).every((r) => r[0].startsWith('f'))).toBe(false);
    expectAttackError(() => mixForeign(t, [['x']], 1, createRng('m')), /1 fields, the table has 4 columns/);
  });

  it('fabricateRows takes plausible values per column and redraws identifiers', () => {
    const t = numbered(100);
    const rows = fabricateRows(t, 30, createRng('f'));
    expect(rows).toHaveLength(30);
    const ids = new Set(t.rows.map((r) => r[0]));
    for (const r of rows) {
      expect(ids.has(r[0])).toBe(false);
      expect(r[0]).toMatch(/^[a-z]\d+$/);
      expect(t.rows.some((x) => x[1] === r[1])).toBe(true);
      expect(t.rows.some((x) => x[3] === r[3])).toBe(true);
    }
  });
});
