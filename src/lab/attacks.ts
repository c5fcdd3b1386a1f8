/**
 * The leak lab's attack library: what a leaker does to an issued copy before publishing it, as
 * the threat model lists it (DESIGN.md, "Threat model"), made reproducible so that tests and
 * benchmarks can measure what attribution survives.
 *
 * Every attack is a pure function over an in-memory `Table`: it never mutates its input (rows it
 * does not change may be shared with the result), and every random choice comes from an `Rng`
 * seeded from a string, so the same seed gives the same leak on every machine. Tables live in
 * memory: this is a lab tool for test-sized data (up to about a million rows), not a streaming
 * engine.
 *
 * Here: subsets, columns, rows and noise. The other attacks have rooms of their own: normalisation
 * (cell-normalizers.ts), family collapse (family-collapse.ts) and collusion (collude.ts); the
 * table and its shared lookups are in table.ts, the seeded randomness in rng.ts, and reading and
 * writing tables as files in table-files.ts.
 */
import { columnIndex, invalid, type Table } from './table.js';
import type { Rng } from './rng.js';

// Still imported from here by src/cli/commands/simulate.ts and test/attribution/mapping-lab.test.ts.
export type { Table } from './table.js';
export { readTable, writeTable, type WriteOptions } from './table-files.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function checkFraction(f: number, what: string): void {
  if (!(typeof f === 'number' && f >= 0 && f <= 1)) throw invalid(`${what} must be a fraction between 0 and 1, got ${f}`);
}

function checkCount(n: number, what: string): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw invalid(`${what} must be a whole number >= 0, got ${n}`);
}

/**
 * Exactly k of n positions, chosen uniformly, in increasing order (Knuth's selection sampling,
 * Algorithm S): one pass, no index array, and the order of the table is kept for free.
 */
function selectPositions(n: number, k: number, rng: Rng): boolean[] {
  const chosen = new Array<boolean>(n).fill(false);
  let needed = Math.min(k, n);
  for (let i = 0; i < n && needed > 0; i++) {
    if (rng.float() * (n - i) < needed) {
      chosen[i] = true;
      needed--;
    }
  }
  return chosen;
}

function rowKey(row: readonly string[]): string {
  return JSON.stringify(row);
}

// ---------------------------------------------------------------------------------------------
// Subsets
// ---------------------------------------------------------------------------------------------

/** A random sample of round(f × rows) rows, in the table's order (a leaker's "5% of the list"). */
export function sampleFraction(t: Table, f: number, rng: Rng): Table {
  checkFraction(f, 'sample fraction');
  return randomN(t, Math.round(f * t.rows.length), rng);
}

/** n rows chosen at random (all of them when the table is smaller), in the table's order. */
export function randomN(t: Table, n: number, rng: Rng): Table {
  checkCount(n, 'row count');
  const chosen = selectPositions(t.rows.length, n, rng);
  return { header: t.header, rows: t.rows.filter((_, i) => chosen[i]) };
}

/** The first n rows: what a "preview" posted to a forum looks like. */
export function firstN(t: Table, n: number): Table {
  checkCount(n, 'row count');
  return { header: t.header, rows: t.rows.slice(0, n) };
}

/** Rows whose `column` equals one of `values` exactly: one state, one section. */
export function whereColumn(t: Table, column: string, values: readonly string[]): Table {
  const c = columnIndex(t, column);
  const wanted = new Set(values);
  return { header: t.header, rows: t.rows.filter((r) => wanted.has(r[c])) };
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

function project(t: Table, indices: number[]): Table {
  return { header: indices.map((i) => t.header[i]), rows: t.rows.map((r) => indices.map((i) => r[i])) };
}

/** Removes the named columns (ELECTOR, CURP: the identifiers a leaker fears are traceable). */
export function dropColumns(t: Table, names: readonly string[]): Table {
  const drop = new Set(names.map((n) => columnIndex(t, n)));
  return project(t, t.header.map((_, i) => i).filter((i) => !drop.has(i)));
}

/** Keeps only the named columns, in the order given (so this also reorders). */
export function keepColumns(t: Table, names: readonly string[]): Table {
  return project(t, names.map((n) => columnIndex(t, n)));
}

/** Renames columns by `{ old: new }`; data and order are untouched. */
export function renameColumns(t: Table, map: Readonly<Record<string, string>>): Table {
  const header = t.header.slice();
  for (const [from, to] of Object.entries(map)) header[columnIndex(t, from)] = to;
  return { header, rows: t.rows };
}

/** Puts the columns in a random order. */
export function shuffleColumns(t: Table, rng: Rng): Table {
  return project(t, rng.shuffle(t.header.map((_, i) => i)));
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

export function shuffleRows(t: Table, rng: Rng): Table {
  return { header: t.header, rows: rng.shuffle(t.rows.slice()) };
}

/** Removes exact duplicate rows, keeping each row's first occurrence. */
export function dedupe(t: Table): Table {
  const seen = new Set<string>();
  return {
    header: t.header,
    rows: t.rows.filter((r) => {
      const k = rowKey(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
  };
}

/**
 * Repeats round(f × rows) randomly chosen rows, each copy right after its original, as careless
 * concatenation of overlapping exports does (the 2016 dump held such repeats). Shuffle afterwards
 * to scatter them.
 */
export function duplicateRows(t: Table, f: number, rng: Rng): Table {
  checkFraction(f, 'duplicate fraction');
  const chosen = selectPositions(t.rows.length, Math.round(f * t.rows.length), rng);
  const rows: string[][] = [];
  t.rows.forEach((r, i) => {
    rows.push(r);
    if (chosen[i]) rows.push(r.slice());
  });
  return { header: t.header, rows };
}

// ---------------------------------------------------------------------------------------------
// Noise
// ---------------------------------------------------------------------------------------------

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** A character of the same kind as `ch` (digit, upper, lower letter), never `ch` itself. */
function otherChar(ch: string, rng: Rng): string {
  const pool = /\d/.test(ch) ? DIGITS : /[a-z]/.test(ch) ? LOWER : UPPER;
  for (;;) {
    const c = pool[rng.int(pool.length)];
    if (c !== ch) return c;
  }
}

function editChar(value: string, rng: Rng): string {
  const chars = Array.from(value);
  if (chars.length === 0) return UPPER[rng.int(UPPER.length)];
  const i = rng.int(chars.length);
  chars[i] = otherChar(chars[i], rng);
  return chars.join('');
}

/**
 * Edits each cell (of `columns`, or all) with probability `rate`: half the time one character is
 * replaced by another of its kind (a typo), otherwise the whole cell takes another row's value of
 * the same column (a wrong but plausible value). An edited cell always differs from the original.
 */
export function editCells(t: Table, rate: number, rng: Rng, columns?: readonly string[]): Table {
  checkFraction(rate, 'edit rate');
  const which = columns === undefined ? t.header.map((_, i) => i) : columns.map((c) => columnIndex(t, c));
  const n = t.rows.length;
  const rows = t.rows.map((r) => {
    let out: string[] | undefined;
    for (const c of which) {
      if (!rng.chance(rate)) continue;
      out ??= r.slice();
      const old = r[c];
      let v = old;
      if (rng.chance(0.5) || n < 2) {
        v = editChar(old, rng);
      } else {
        for (let tries = 0; tries < 8 && v === old; tries++) v = t.rows[rng.int(n)][c];
        if (v === old) v = editChar(old, rng);
      }
      out[c] = v;
    }
    return out ?? r;
  });
  return { header: t.header, rows };
}

/**
 * Mixes round(fraction × foreignRows) of `foreignRows` (chosen at random, in their order) into
 * the table at random positions: the leaker padding a dump with rows from another source.
 */
export function mixForeign(t: Table, foreignRows: readonly string[][], fraction: number, rng: Rng): Table {
  checkFraction(fraction, 'foreign fraction');
  for (const r of foreignRows) {
    if (r.length !== t.header.length) {
      throw invalid(`a foreign row has ${r.length} fields, the table has ${t.header.length} columns`);
    }
  }
  const pickedMask = selectPositions(foreignRows.length, Math.round(fraction * foreignRows.length), rng);
  const picked = foreignRows.filter((_, i) => pickedMask[i]);
  const total = t.rows.length + picked.length;
  const slots = selectPositions(total, picked.length, rng);
  const rows: string[][] = [];
  let a = 0;
  let b = 0;
  for (let i = 0; i < total; i++) rows.push(slots[i] ? picked[b++].slice() : t.rows[a++]);
  return { header: t.header, rows };
}

/**
 * n rows "from elsewhere" with the table's layout: each cell is a value of its column taken from
 * a random row, so names, addresses and codes look real but the rows belong to nobody; in
 * identifier-like columns (nearly every value distinct) letters and digits are also redrawn, so
 * the fabricated keys do not collide with real ones.
 */
export function fabricateRows(t: Table, n: number, rng: Rng): string[][] {
  checkCount(n, 'foreign row count');
  if (t.rows.length === 0) throw invalid('cannot fabricate foreign rows from an empty table');
  const sampleSize = Math.min(t.rows.length, 1000);
  const idLike = t.header.map((_, c) => {
    const seen = new Set<string>();
    for (let i = 0; i < sampleSize; i++) seen.add(t.rows[i][c]);
    return sampleSize >= 2 && seen.size >= 0.9 * sampleSize;
  });
  const scramble = (v: string) =>
    Array.from(v, (ch) => (/[0-9A-Za-z]/.test(ch) ? otherChar(ch, rng) : ch)).join('');
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      t.header.map((_, c) => {
        const v = t.rows[rng.int(t.rows.length)][c];
        return idLike[c] ? scramble(v) : v;
      }),
    );
  }
  return out;
}
