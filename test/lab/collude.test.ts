import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collude, type CollusionStrategy } from '../../src/lab/collude.js';
import { createRng } from '../../src/lab/rng.js';
import type { Table } from '../../src/lab/table.js';
import { RollmarkError } from '../../src/errors.js';

const HEADER = ['ELECTOR', 'NOMBRE', 'CALLE'];

/**
 * Copies as issuing makes them: the same registry rows, under the same keys, with cells that
 * differ between copies (marks) and a few rows of their own (canaries) placed among the others.
 */
const copiesArb = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 15 }))
  .chain(([k, n]) =>
    fc.record({
      marks: fc.array(fc.array(fc.array(fc.constantFrom('A', 'B'), { minLength: 2, maxLength: 2 }), { minLength: n, maxLength: n }), {
        minLength: k,
        maxLength: k,
      }),
      canaries: fc.array(fc.array(fc.integer({ min: 0, max: n }), { maxLength: 3 }), { minLength: k, maxLength: k }),
    }),
  )
  .map(({ marks, canaries }) =>
    marks.map((cells, j): Table => {
      const rows = cells.map((c, i) => [`K${i}`, `N${c[0]}`, `C${c[1]}`]);
      // Insert canaries from the back so earlier positions stay valid.
      [...canaries[j]].sort((a, b) => b - a).forEach((pos, x) => rows.splice(pos, 0, [`CAN-${j}-${x}`, 'CN', 'CC']));
      return { header: HEADER, rows };
    }),
  );

const keysOf = (t: Table) => t.rows.map((r) => r[0]);

describe('collude', () => {
  it('intersection keeps exactly the rows every copy holds, each cell from one of the copies', () => {
    fc.assert(
      fc.property(copiesArb, fc.string({ maxLength: 6 }), (copies, seed) => {
        const out = collude(copies, 'intersection', createRng(seed), 'ELECTOR');
        const common = keysOf(copies[0]).filter((key) => copies.every((c) => keysOf(c).includes(key)));
        expect(keysOf(out)).toEqual(common);
        for (const r of out.rows) {
          const versions = copies.map((c) => c.rows.find((x) => x[0] === r[0]) as string[]);
          r.forEach((v, col) => expect(versions.map((x) => x[col])).toContain(v));
        }
        if (copies.length > 1) expect(out.rows.some((r) => r[0].startsWith('CAN-'))).toBe(false);
      }),
    );
  });

  it('majority of identical copies is the copy', () => {
    fc.assert(
      fc.property(copiesArb, fc.integer({ min: 1, max: 4 }), fc.string({ maxLength: 6 }), (copies, k, seed) => {
        const same = Array.from({ length: k }, () => copies[0]);
        for (const s of ['majority', 'minority', 'random', 'intersection'] as CollusionStrategy[]) {
          expect(collude(same, s, createRng(seed), 'ELECTOR')).toEqual(copies[0]);
        }
      }),
    );
  });

  it('majority takes the most common value and keeps rows at least half the copies hold', () => {
    const a: Table = { header: HEADER, rows: [['K1', 'N0', 'C0'], ['CA', 'x', 'y'], ['K2', 'N0', 'C1']] };
    const b: Table = { header: HEADER, rows: [['K1', 'N0', 'C1'], ['K2', 'N1', 'C1'], ['CB', 'x', 'y']] };
    const c: Table = { header: HEADER, rows: [['K1', 'N1', 'C1'], ['K2', 'N0', 'C1']] };
    expect(collude([a, b, c], 'majority', createRng('m'), 'ELECTOR').rows).toEqual([
      ['K1', 'N0', 'C1'],
      ['K2', 'N0', 'C1'],
    ]);
    // Two copies: a canary held by one of two is "at least half".
    expect(keysOf(collude([a, c], 'majority', createRng('m'), 'ELECTOR'))).toEqual(['K1', 'CA', 'K2']);
  });

  it('minority takes the least common value and keeps every row, in merged order', () => {
    const a: Table = { header: HEADER, rows: [['K1', 'N0', 'C0'], ['CA', 'x', 'y'], ['K2', 'N0', 'C1']] };
    const b: Table = { header: HEADER, rows: [['K1', 'N0', 'C1'], ['K2', 'N1', 'C1'], ['CB', 'x', 'y']] };
    const c: Table = { header: HEADER, rows: [['K1', 'N1', 'C1'], ['K2', 'N0', 'C1']] };
    expect(collude([a, b, c], 'minority', createRng('m'), 'ELECTOR').rows).toEqual([
      ['K1', 'N1', 'C0'],
      ['CA', 'x', 'y'],
      ['K2', 'N1', 'C1'],
      ['CB', 'x', 'y'],
    ]);
  });

  it('majority breaks ties at random, both ways over many cells', () => {
    const n = 200;
    const a: Table = { header: ['K', 'V'], rows: Array.from({ length: n }, (_, i) => [`k${i}`, 'a']) };
    const b: Table = { header: ['K', 'V'], rows: Array.from({ length: n }, (_, i) => [`k${i}`, 'b']) };
    const out = collude([a, b], 'majority', createRng('tie'), 'K');
    const fromA = out.rows.filter((r) => r[1] === 'a').length;
    expect(fromA).toBeGreaterThan(70);
    expect(fromA).toBeLessThan(130);
  });

  it('random keeps a row held by m of k copies with probability about m/k', () => {
    const n = 600;
    const base = Array.from({ length: n }, (_, i) => [`k${i}`, 'v']);
    const a: Table = { header: ['K', 'V'], rows: base };
    const b: Table = { header: ['K', 'V'], rows: base.filter((_, i) => i % 2 === 0) };
    const out = collude([a, b], 'random', createRng('r'), 'K');
    const odd = out.rows.filter((r) => Number(r[0].slice(1)) % 2 === 1).length;
    expect(out.rows.length - odd).toBe(n / 2); // rows both hold are always kept
    expect(odd).toBeGreaterThan(110);
    expect(odd).toBeLessThan(190);
  });

  it('aligns columns by name, is deterministic by seed, and names what is wrong', () => {
    const a: Table = { header: ['K', 'V'], rows: [['1', 'a'], ['2', 'b']] };
    const b: Table = { header: ['V', 'K'], rows: [['A', '1'], ['b', '2']] };
    const out = collude([a, b], 'random', createRng('s'), 'K');
    expect(out.header).toEqual(['K', 'V']);
    expect(out.rows[1]).toEqual(['2', 'b']);
    expect(['a', 'A']).toContain(out.rows[0][1]);
    expect(collude([a, b], 'random', createRng('s'), 'K')).toEqual(out);
    expect(() => collude([a, { header: ['K'], rows: [] }], 'majority', createRng('s'), 'K')).toThrow(
      /copy 2 has no column 'V'/,
    );
    expect(() => collude([a], 'majority', createRng('s'), 'ID')).toThrow(RollmarkError);
    expect(() => collude([], 'majority', createRng('s'), 'K')).toThrow(/at least one copy/);
  });
});
