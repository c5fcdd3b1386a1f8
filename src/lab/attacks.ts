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
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { sha256 } from '@noble/hashes/sha2.js';
import { parse, CsvError } from 'csv-parse';
import { ioError, RollmarkError, type ErrorCode } from '../errors.js';

/** A table as a leaker handles it: a header and rows of the header's width. */
export interface Table {
  header: string[];
  rows: string[][];
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded with the SHA-256 of a
 * string. Not cryptographic, and need not be: the lab only needs leaks that are reproducible from
 * a seed and statistically unremarkable. `fork` derives an independent stream by label, so adding
 * one attack to a pipeline does not change the randomness of the others.
 */
export class Rng {
  readonly seed: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    this.seed = seed;
    const h = sha256(new TextEncoder().encode(seed));
    const word = (i: number) => (h[i] | (h[i + 1] << 8) | (h[i + 2] << 16) | (h[i + 3] << 24)) >>> 0;
    this.a = word(0);
    this.b = word(4);
    this.c = word(8);
    this.d = word(12) | 1; // the counter word: never an all-zero state
    // Mix the state a little so that nearby seeds do not start nearby.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform in [0, 2^32). */
  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`Rng.int: bad bound ${n}`);
    if (n > 0x100000000) return Math.floor(this.float() * n);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher-Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const x = items[i];
      items[i] = items[j];
      items[j] = x;
    }
    return items;
  }

  /** An independent generator for a named sub-task. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}\u0000${label}`);
  }
}

export function createRng(seed: string): Rng {
  return new Rng(seed);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function invalid(message: string, code: ErrorCode = 'ATTACK_INVALID'): RollmarkError {
  return new RollmarkError(code, message);
}

/** The index of a column by name; an unknown name is an error listing what the table has. */
export function columnIndex(t: Table, name: string): number {
  const i = t.header.indexOf(name);
  if (i === -1) {
    const has = t.header.length > 30 ? `${t.header.slice(0, 30).join(', ')}, ...` : t.header.join(', ');
    throw invalid(`no column '${name}' (the table has: ${has || 'no columns'})`);
  }
  return i;
}

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
// Normalisation
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Family collapse
// ---------------------------------------------------------------------------------------------

/** How spellings are compared: uppercase, dots removed (AV., av and AV are one spelling). */
export function canonicalSpelling(word: string): string {
  return word.toUpperCase().replaceAll('.', '');
}

interface SpellingEntry {
  words: string[];
  replacement: string;
  anchored: boolean;
}

/** One spelling to rewrite: the text to find (one or more words) and what replaces it. */
export interface SpellingRule {
  spelling: string;
  replacement: string;
  /** Only when the spelling starts the cell (street types: CALLE/C is a type only up front). */
  anchored?: boolean;
}

/**
 * A cell rewriter that replaces, word by word, every listed spelling by its replacement. Words are
 * separated by whitespace; a multi-word spelling matches consecutive words; at each word the
 * longest matching spelling wins (greedy, left to right). Whitespace around unmatched words is
 * kept as it was, so this attack does not also undo whitespace marks. When two rules share a
 * spelling, the first one given wins.
 */
export function spellingRewriter(rules: readonly SpellingRule[]): (cell: string) => string {
  const byFirst = new Map<string, SpellingEntry[]>();
  const seen = new Set<string>();
  for (const rule of rules) {
    const words = rule.spelling.split(/\s+/).map(canonicalSpelling).filter((w) => w !== '');
    if (words.length === 0) continue;
    const key = `${rule.anchored ? '^' : ''}${words.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = byFirst.get(words[0]) ?? [];
    list.push({ words, replacement: rule.replacement, anchored: rule.anchored === true });
    byFirst.set(words[0], list);
  }
  for (const list of byFirst.values()) list.sort((x, y) => y.words.length - x.words.length);

  return (cell: string) => {
    if (cell === '') return cell;
    const parts = cell.split(/(\s+)/); // even indices: words (maybe ''), odd: the whitespace between
    const wordAt: number[] = [];
    const canon: string[] = [];
    for (let i = 0; i < parts.length; i += 2) {
      if (parts[i] !== '') {
        wordAt.push(i);
        canon.push(canonicalSpelling(parts[i]));
      }
    }
    if (!canon.some((w) => byFirst.has(w))) return cell;
    let out = '';
    let p = 0; // next part not yet copied to the output
    for (let w = 0; w < canon.length; ) {
      const candidates = byFirst.get(canon[w]);
      let hit: SpellingEntry | undefined;
      if (candidates) {
        for (const e of candidates) {
          if (e.anchored && w !== 0) continue;
          if (w + e.words.length > canon.length) continue;
          let ok = true;
          for (let k = 1; k < e.words.length && ok; k++) ok = canon[w + k] === e.words[k];
          if (ok) {
            hit = e;
            break;
          }
        }
      }
      out += parts.slice(p, wordAt[w]).join('');
      if (hit) {
        out += hit.replacement;
        p = wordAt[w + hit.words.length - 1] + 1;
        w += hit.words.length;
      } else {
        out += parts[wordAt[w]];
        p = wordAt[w] + 1;
        w++;
      }
    }
    return out + parts.slice(p).join('');
  };
}

/**
 * What `collapseFamilies` does to a column: a function of the cell, or a table of spelling ->
 * canonical spelling applied word by word (see `spellingRewriter`).
 */
export type ColumnMapping = ((cell: string) => string) | Readonly<Record<string, string>>;

/** Rewrites the named columns' cells with each column's mapping. */
export function collapseFamilies(t: Table, mapping: Readonly<Record<string, ColumnMapping>>): Table {
  const fns = Object.entries(mapping).map(([column, m]) => {
    const c = columnIndex(t, column);
    const fn =
      typeof m === 'function'
        ? m
        : spellingRewriter(Object.entries(m).map(([spelling, replacement]) => ({ spelling, replacement })));
    return { c, fn };
  });
  const rows = t.rows.map((r) => {
    let out: string[] | undefined;
    for (const { c, fn } of fns) {
      const cur = (out ?? r)[c];
      const v = fn(cur);
      if (v !== cur) {
        out ??= r.slice();
        out[c] = v;
      }
    }
    return out ?? r;
  });
  return { header: t.header, rows };
}

/** Equivalence groups for one column: each group lists spellings of one word, long form first. */
export interface ColumnGroups {
  column: string;
  groups: string[][];
  /** The family counts only as a cell's first word (e.g. street and settlement types). */
  anchored?: boolean;
}

function collapseTo(t: Table, sets: readonly ColumnGroups[], target: 0 | 1): Table {
  const rules = new Map<string, SpellingRule[]>();
  for (const set of sets) {
    const list = rules.get(set.column) ?? [];
    for (const group of set.groups) {
      const replacement = group[target] ?? group[0];
      if (replacement === undefined) continue;
      for (const spelling of group) list.push({ spelling, replacement, anchored: set.anchored });
    }
    rules.set(set.column, list);
  }
  const mapping: Record<string, ColumnMapping> = {};
  for (const [column, list] of rules) mapping[column] = spellingRewriter(list);
  return collapseFamilies(t, mapping);
}

/**
 * Replaces every spelling of a group by the group's first (long) spelling: the leaker who
 * "standardises" AV./AV to AVENIDA, which erases the choice a robust field mark made. Idempotent
 * as long as no group's spelling begins another group's multi-word spelling (true of the
 * built-in families); words in no group are left alone.
 */
export function collapseToLong(t: Table, groups: readonly ColumnGroups[]): Table {
  return collapseTo(t, groups, 0);
}

/** Like `collapseToLong`, to each group's second (first short) spelling: AVENIDA/AV -> AV. */
export function collapseToShort(t: Table, groups: readonly ColumnGroups[]): Table {
  return collapseTo(t, groups, 1);
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

// ---------------------------------------------------------------------------------------------
// Collusion
// ---------------------------------------------------------------------------------------------

export type CollusionStrategy = 'majority' | 'minority' | 'random' | 'intersection';
export const COLLUSION_STRATEGIES: readonly CollusionStrategy[] = ['majority', 'minority', 'random', 'intersection'];

/**
 * Several recipients combine their copies into one leak. Rows are aligned by `keyColumn` (issued
 * copies hold the same registry rows under the same key; canary rows appear in one copy only);
 * columns are aligned by name to the first copy's header. Then, row by row:
 *
 * - which rows are kept, among those only some copies hold (canaries):
 *   - `majority`: rows held by at least half of the copies;
 *   - `minority`: every row any copy holds (the leaker who maximises disagreement does not
 *     bother to filter rows);
 *   - `random`: a row held by m of k copies is kept with probability m/k, as if one copy had been
 *     picked for that row;
 *   - `intersection`: only rows held by every copy; this removes every canary not shared by all.
 * - the value of each cell, among the copies that hold the row, where they differ:
 *   - `majority`: the most common value, ties broken at random;
 *   - `minority`: the least common value, ties broken at random;
 *   - `random` and `intersection`: a random copy's value ("take either version wherever they
 *     differ"), drawn per cell.
 *
 * The output keeps the first copy's row order, with rows of the other copies placed after the row
 * that precedes them in their own copy. Repeated keys inside one copy are told apart by their
 * occurrence number.
 */
export function collude(tables: readonly Table[], strategy: CollusionStrategy, rng: Rng, keyColumn: string): Table {
  if (tables.length === 0) throw invalid('collusion needs at least one copy');
  if (!COLLUSION_STRATEGIES.includes(strategy)) {
    throw invalid(`unknown collusion strategy '${strategy}' (known: ${COLLUSION_STRATEGIES.join(', ')})`);
  }
  const header = tables[0].header;
  const k = tables.length;
  const indexes = tables.map((t, j) => {
    const perm = header.map((name) => {
      const i = t.header.indexOf(name);
      if (i === -1) throw invalid(`copy ${j + 1} has no column '${name}', which copy 1 has`);
      return i;
    });
    const key = columnIndex(t, keyColumn);
    const byKey = new Map<string, string[]>();
    const keys: string[] = [];
    const occurrences = new Map<string, number>();
    for (const r of t.rows) {
      const n = occurrences.get(r[key]) ?? 0;
      occurrences.set(r[key], n + 1);
      const id = n === 0 ? r[key] : `${r[key]}\u0000${n}`;
      keys.push(id);
      byKey.set(id, perm.every((p, i) => p === i) ? r : perm.map((p) => r[p]));
    }
    return { keys, byKey };
  });

  // Union order: the first copy's, with other copies' extra rows after their predecessor.
  const START = '\u0000start';
  const placed = new Set(indexes[0].keys);
  const after = new Map<string, string[]>();
  for (let j = 1; j < k; j++) {
    let prev = START;
    for (const id of indexes[j].keys) {
      if (!placed.has(id)) {
        placed.add(id);
        const list = after.get(prev);
        if (list) list.push(id);
        else after.set(prev, [id]);
      }
      prev = id;
    }
  }
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (root: string) => {
    stack.push(root);
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (id !== START) order.push(id);
      const extra = after.get(id);
      if (extra) for (let i = extra.length - 1; i >= 0; i--) stack.push(extra[i]);
    }
  };
  visit(START);
  for (const id of indexes[0].keys) visit(id);

  const rows: string[][] = [];
  for (const id of order) {
    const present: string[][] = [];
    for (const ix of indexes) {
      const r = ix.byKey.get(id);
      if (r) present.push(r);
    }
    const m = present.length;
    const keep =
      strategy === 'intersection' ? m === k
      : strategy === 'majority' ? 2 * m >= k
      : strategy === 'minority' ? true
      : m === k || rng.chance(m / k);
    if (!keep) continue;
    if (m === 1) {
      rows.push(present[0].slice());
      continue;
    }
    const row = new Array<string>(header.length);
    for (let c = 0; c < header.length; c++) {
      const first = present[0][c];
      let same = true;
      for (let j = 1; j < m && same; j++) same = present[j][c] === first;
      if (same) {
        row[c] = first;
      } else if (strategy === 'random' || strategy === 'intersection') {
        row[c] = present[rng.int(m)][c];
      } else {
        row[c] = chooseByCount(present.map((r) => r[c]), strategy === 'majority', rng);
      }
    }
    rows.push(row);
  }
  return { header: header.slice(), rows };
}

/** The most (or least) common of `values`, ties broken at random. */
function chooseByCount(values: string[], most: boolean, rng: Rng): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string[] = [];
  let bestCount = most ? -1 : Infinity;
  for (const [v, n] of counts) {
    if (most ? n > bestCount : n < bestCount) {
      best = [v];
      bestCount = n;
    } else if (n === bestCount) {
      best.push(v);
    }
  }
  return best.length === 1 ? best[0] : rng.pick(best);
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

export interface WriteOptions {
  delimiter?: ',' | '\t' | ';';
  encoding?: 'utf8' | 'latin1';
  gzip?: boolean;
  /** Write the header row (default true); false is the "no header" dump. */
  header?: boolean;
  /** CRLF line ends (default LF). */
  crlf?: boolean;
  /** A UTF-8 byte-order mark, as spreadsheet exports write (UTF-8 only). */
  bom?: boolean;
}

/**
 * Latin-1 text for a string: NFC first (so N + U+0303 becomes Ñ, which Latin-1 has), then '?' for
 * each code point Latin-1 still cannot hold, as iconv's and most exporters' substitution does.
 */
export function toLatin1(s: string): Buffer {
  return Buffer.from(s.normalize('NFC').replace(/[^\u0000-\u00ff]/gu, '?'), 'latin1');
}

function quoteField(v: string, delimiter: string): string {
  if (v.includes('"')) return `"${v.replaceAll('"', '""')}"`;
  if (v.includes(delimiter) || v.includes('\n') || v.includes('\r')) return `"${v}"`;
  return v;
}

/** Writes a table as a leaker publishes it: delimiter, encoding, compression, header or not. */
export async function writeTable(t: Table, file: string, opts: WriteOptions = {}): Promise<void> {
  const delimiter = opts.delimiter ?? ',';
  const encoding = opts.encoding ?? 'utf8';
  if (![',', '\t', ';'].includes(delimiter)) throw invalid(`unsupported delimiter ${JSON.stringify(delimiter)}`);
  if (encoding !== 'utf8' && encoding !== 'latin1') throw invalid(`unsupported encoding '${String(encoding)}'`);
  if (opts.bom && encoding !== 'utf8') throw invalid('a byte-order mark needs UTF-8; Latin-1 has none');
  const eol = opts.crlf ? '\r\n' : '\n';
  const encode = (s: string) => (encoding === 'latin1' ? toLatin1(s) : Buffer.from(s, 'utf8'));
  const line = (r: readonly string[]) => r.map((v) => quoteField(v, delimiter)).join(delimiter) + eol;

  async function* chunks(): AsyncGenerator<Buffer> {
    let text = opts.bom ? '\ufeff' : '';
    if (opts.header !== false) text += line(t.header);
    for (const r of t.rows) {
      text += line(r);
      if (text.length >= 1 << 20) {
        yield encode(text);
        text = '';
      }
    }
    if (text !== '') yield encode(text);
  }

  try {
    if (opts.gzip) await pipeline(Readable.from(chunks()), createGzip(), createWriteStream(file));
    else await pipeline(Readable.from(chunks()), createWriteStream(file));
  } catch (err) {
    throw ioError(err, file);
  }
}

export interface ReadOptions {
  /** Default: guessed from the first line (comma, tab or semicolon, whichever occurs most). */
  delimiter?: ',' | '\t' | ';';
  encoding?: 'utf8' | 'latin1';
  /** Whether the first row is a header (default true); without one, columns are named c1, c2, ... */
  header?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The first bytes of a file, decompressed when it is gzip. */
async function head(file: string, bytes: number): Promise<{ gzip: boolean; text: Buffer }> {
  let fh;
  try {
    fh = await open(file, 'r');
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const raw = buf.subarray(0, bytesRead);
    const gzip = raw.length >= 2 && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
    if (!gzip) return { gzip, text: raw };
    try {
      return { gzip, text: gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH }) };
    } catch {
      return { gzip, text: Buffer.alloc(0) };
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh?.close();
  }
}

/** The delimiter occurring most often outside quotes in the first record (comma on a tie). */
function guessDelimiter(sample: Buffer): ',' | '\t' | ';' {
  const text = sample.toString('latin1');
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === '\t' || ch === ';')) counts[ch]++;
  }
  let best: ',' | '\t' | ';' = ',';
  for (const d of ['\t', ';'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

const CSV_CODES: Record<string, ErrorCode> = {
  CSV_QUOTE_NOT_CLOSED: 'CSV_QUOTE_NOT_CLOSED',
  CSV_INVALID_CLOSING_QUOTE: 'CSV_INVALID_CLOSING_QUOTE',
  CSV_INVALID_OPENING_QUOTE: 'CSV_INVALID_OPENING_QUOTE',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'CSV_COLUMN_COUNT',
  CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH: 'CSV_COLUMN_COUNT',
};

/**
 * Reads a CSV (or TSV) file into a table: UTF-8 with or without a BOM by default, gzip detected
 * by its magic bytes. Every parse error names the file and line.
 */
export async function readTable(file: string, opts: ReadOptions = {}): Promise<Table> {
  const { gzip, text } = await head(file, 64 * 1024);
  const delimiter = opts.delimiter ?? guessDelimiter(text);
  const encoding = opts.encoding ?? 'utf8';
  const parser = parse({
    delimiter,
    bom: encoding === 'utf8',
    encoding: encoding === 'latin1' ? 'latin1' : 'utf8',
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
  const records: string[][] = [];
  try {
    const source = createReadStream(file);
    const collect = async (rows: AsyncIterable<string[]>) => {
      for await (const r of rows) records.push(r);
    };
    if (gzip) await pipeline(source, createGunzip(), parser, collect);
    else await pipeline(source, parser, collect);
  } catch (err) {
    if (err instanceof CsvError) {
      const lines = (err as CsvError & { lines?: unknown }).lines;
      const line = typeof lines === 'number' ? lines : undefined;
      throw new RollmarkError(CSV_CODES[err.code] ?? 'CSV_MALFORMED', err.message.replace(/\s+/g, ' '), { file, line });
    }
    throw ioError(err, file);
  }
  if (opts.header === false) {
    const width = records[0]?.length ?? 0;
    return { header: Array.from({ length: width }, (_, i) => `c${i + 1}`), rows: records };
  }
  const [header, ...rows] = records;
  if (header === undefined) throw new RollmarkError('CSV_EMPTY', 'empty file: no header row', { file });
  return { header, rows };
}
