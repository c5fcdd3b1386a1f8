import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cellMarks, classTable, writeCell } from '../../src/code/marks.js';
import { matchValue } from '../../src/code/match-index.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { MX_INE_SCHEMA } from '../../src/presets/mx-ine/schema.js';
import { MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';
import { canonicalCell } from '../../src/code/canonical.js';

const schema = resolveSchema(MX_INE_SCHEMA, [...MX_INE_COLUMNS]);
const classes = classTable(schema.marks);
const mark = (name: string) => schema.marks.find((m) => m.name === name)!;

function readSymbols(column: string, cell: string): number[] {
  return cellMarks(mark(column), classes, cell).positions.map((p) => p.symbol);
}

describe('field marks', () => {
  it('reads a street type, a cardinal point and the first gap', () => {
    const found = cellMarks(mark('CALLE'), classes, 'AV. 16 DE SEPTIEMBRE NTE');
    expect(found.positions.map((p) => [p.slot % 8, p.symbol])).toEqual([
      [0, 1],
      [1, 1],
      [7, 0],
    ]);
    expect(readSymbols('CALLE', 'AVENIDA  16 DE SEPTIEMBRE NORTE')).toEqual([0, 0, 1]);
  });

  it('counts street types only as the first word', () => {
    const found = cellMarks(mark('CALLE'), classes, 'PRIV. C');
    expect(found.positions.filter((p) => p.group >= 0)).toHaveLength(1);
  });

  it('reads multi-word spellings and the dotless forms', () => {
    expect(readSymbols('NUM_EXT', 'SIN NUMERO')).toEqual([0]);
    expect(readSymbols('NUM_EXT', 'S/N')).toEqual([1]);
    expect(readSymbols('NUM_EXT', 'SN')).toEqual([1]);
    expect(readSymbols('COLONIA', 'U.H. INFONAVIT')).toEqual([1, 0]);
    expect(readSymbols('COLONIA', 'unidad   habitacional infonavit')).toEqual([0, -1]);
  });

  it('reads Ñ composition only where the cell shows one form', () => {
    expect(readSymbols('APE_PAT', 'PEÑA')).toEqual([0]);
    expect(readSymbols('APE_PAT', 'PEN\u0303A')).toEqual([1]);
    expect(readSymbols('APE_PAT', 'GARCIA')).toEqual([]);
  });

  it('writes what it reads, and stays equivalent to the registry value', () => {
    const cells: [string, string][] = [
      ['CALLE', 'C TOLTECAS 192 3'],
      ['CALLE', 'AVENIDA BENITO JUAREZ PTE.'],
      ['COLONIA', 'COL. CENTRO ORIENTE'],
      ['NOMBRE', 'MARIA GUADALUPE'],
      ['NOMBRE', 'MA. DEL CARMEN'],
      ['APE_MAT', 'NUÑEZ'],
      ['NUM_EXT', 'S/N'],
      ['COLONIA', 'FRACC. LAS PEÑAS NTE'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...cells), fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 8, maxLength: 8 }), ([col, cell], bits) => {
        const mc = mark(col);
        const found = cellMarks(mc, classes, cell);
        const written = writeCell(mc, cell, found, bits);
        const reread = cellMarks(mc, classes, written);
        expect(reread.positions.map((p) => p.slot)).toEqual(found.positions.map((p) => p.slot));
        expect(reread.positions.map((p) => p.symbol)).toEqual(found.positions.map((_, k) => bits[k]));
        // Equivalent under the families: the matching value is unchanged.
        expect(matchValue(written, mc.robust)).toBe(matchValue(cell, mc.robust));
        expect(canonicalCell(written).replace(/\s/g, '').length).toBeGreaterThan(0);
      }),
    );
  });
});
