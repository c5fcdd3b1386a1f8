/**
 * Normalisation attacks: the per-cell "clean-up" functions a leaker runs over a dump (case,
 * accents, whitespace, Unicode form, dots), alone or composed, over some columns or all.
 */
import { columnIndex, invalid, type Table } from './table.js';

/** Applies `fn` to every cell of the named columns (all columns when none are named). */
export function mapCells(t: Table, fn: (cell: string) => string, columns?: readonly string[]): Table {
  const all = columns === undefined;
  const which = all ? [] : columns.map((c) => columnIndex(t, c));
  const rows = t.rows.map((r) => {
    let out: string[] | undefined;
    const visit = (i: number) => {
      const v = fn(r[i]);
      if (v !== r[i]) {
        out ??= r.slice();
        out[i] = v;
      }
    };
    if (all) for (let i = 0; i < r.length; i++) visit(i);
    else for (const i of which) visit(i);
    return out ?? r;
  });
  return { header: t.header, rows };
}

const COMBINING = /[\u0300-\u036f]/g;
const NON_ASCII = /[^\x00-\x7f]/;
/** Whitespace that `whitespace` would change: a run, an edge, or anything but a plain space. */
const UNTIDY_SPACE = /\s\s|^\s|\s$|[^\S ]/;

/** The per-cell functions, for callers that compose them (and for `normalize`). */
export const cellNormalizers = {
  upper: (s: string) => s.toUpperCase(),
  lower: (s: string) => s.toLowerCase(),
  /** NFD, then drop U+0300-036F: É becomes E, and Ñ becomes N, as most "clean-up" scripts do. */
  accents: (s: string) => (NON_ASCII.test(s) ? s.normalize('NFD').replace(COMBINING, '') : s),
  whitespace: (s: string) => (UNTIDY_SPACE.test(s) ? s.replace(/\s+/g, ' ').trim() : s),
  nfc: (s: string) => (NON_ASCII.test(s) ? s.normalize('NFC') : s),
  dots: (s: string) => s.replaceAll('.', ''),
} as const;

export type NormalizeStep = keyof typeof cellNormalizers;
export const NORMALIZE_STEPS = Object.keys(cellNormalizers) as NormalizeStep[];

export const upperCase = (t: Table, columns?: readonly string[]) => mapCells(t, cellNormalizers.upper, columns);
export const lowerCase = (t: Table, columns?: readonly string[]) => mapCells(t, cellNormalizers.lower, columns);
export const stripAccents = (t: Table, columns?: readonly string[]) => mapCells(t, cellNormalizers.accents, columns);
/** Runs of whitespace become one space; leading and trailing whitespace goes. */
export const collapseWhitespace = (t: Table, columns?: readonly string[]) =>
  mapCells(t, cellNormalizers.whitespace, columns);
export const nfc = (t: Table, columns?: readonly string[]) => mapCells(t, cellNormalizers.nfc, columns);
export const stripDots = (t: Table, columns?: readonly string[]) => mapCells(t, cellNormalizers.dots, columns);

/** Several normalisation steps in order, in one pass over the cells. */
export function normalize(t: Table, steps: readonly NormalizeStep[], columns?: readonly string[]): Table {
  const fns = steps.map((s) => {
    const fn = cellNormalizers[s];
    if (fn === undefined) throw invalid(`unknown normalisation step '${s}' (known: ${NORMALIZE_STEPS.join(', ')})`);
    return fn;
  });
  return mapCells(t, (cell) => fns.reduce((v, fn) => fn(v), cell), columns);
}
