/**
 * Simulated leaks: issued copies in, one published dump out, made by a pipeline of attacks from
 * attacks.ts, cell-normalizers.ts, family-collapse.ts and collude.ts. Attacks are plain JSON
 * (`AttackSpec`) so that benchmarks and tests can store them, and have a compact one-line form
 * for the CLI (`parseAttacks`).
 *
 * Everything is held in memory: this is a lab tool for test-sized data (up to about a million
 * rows), not something to run over a national registry.
 */
import * as path from 'node:path';
import { parseFamilyText } from '../code/families.js';
import { RollmarkError } from '../errors.js';
import { MX_INE_SCHEMA } from '../presets/mx-ine/schema.js';
import { BUILTIN_ROBUST_FAMILIES } from '../schema/families/index.js';
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
} from './attacks.js';
import { normalize, NORMALIZE_STEPS, type NormalizeStep } from './cell-normalizers.js';
import { collapseToLong, collapseToShort, type ColumnGroups } from './family-collapse.js';
import { collude, COLLUSION_STRATEGIES, type CollusionStrategy } from './collude.js';
import { createRng, type Rng } from './rng.js';
import type { Table } from './table.js';
import { readTable, writeTable, type WriteOptions } from './table-files.js';

/** Groups to collapse: given inline, or a built-in robust family by name (e.g. mx-street-types). */
export type CollapseGroups = ColumnGroups | { column: string; family: string };

/** One step of a simulated leak, as JSON. */
export type AttackSpec =
  | { kind: 'sample'; fraction: number }
  | { kind: 'random'; n: number }
  | { kind: 'first'; n: number }
  | { kind: 'where'; column: string; values: string[] }
  | { kind: 'drop'; columns: string[] }
  | { kind: 'keep'; columns: string[] }
  | { kind: 'rename'; map: Record<string, string> }
  | { kind: 'shuffle-rows' }
  | { kind: 'shuffle-columns' }
  | { kind: 'normalize'; steps: NormalizeStep[]; columns?: string[] }
  /** Without groups: the mx-ine preset's robust families on its marked columns. */
  | { kind: 'collapse'; to: 'long' | 'short'; groups?: CollapseGroups[] }
  | { kind: 'edit'; rate: number; columns?: string[] }
  /** `rows`: how many rows to fabricate, or a CSV file of rows to mix in (`fraction` of them, default all). */
  | { kind: 'foreign'; rows: number | string; fraction?: number }
  | { kind: 'dedupe' }
  | { kind: 'duplicate'; fraction: number }
  /** Combines the copies before any other attack runs; `key` defaults to ELECTOR, else the first column. */
  | { kind: 'collude'; strategy: CollusionStrategy; key?: string };

export type AttackKind = AttackSpec['kind'];

export const ATTACK_KINDS: readonly AttackKind[] = [
  'sample', 'random', 'first', 'where', 'drop', 'keep', 'rename', 'shuffle-rows', 'shuffle-columns',
  'normalize', 'collapse', 'edit', 'foreign', 'dedupe', 'duplicate', 'collude',
];

function bad(message: string): RollmarkError {
  return new RollmarkError('ATTACK_INVALID', message);
}

// ---------------------------------------------------------------------------------------------
// Compact syntax
// ---------------------------------------------------------------------------------------------

/*
 * The compact attack syntax (`rollmark simulate --attacks`):
 *
 *   SPEC    := 'none' | ATTACK (',' ATTACK)*          attacks run left to right
 *   ATTACK  := KIND (':' ARG)*                         lists inside an ARG are joined by '+'
 *
 *   sample:F                   keep a random fraction F of the rows (0.05 or 5%), in order
 *   random:N                   keep N random rows, in order
 *   first:N                    keep the first N rows
 *   where:COL=V1+V2            keep rows whose COL is V1 or V2 (chain two for ENTIDAD and SECCION)
 *   drop:C1+C2                 drop columns
 *   keep:C1+C2                 keep only these columns, in this order
 *   rename:OLD=NEW+OLD2=NEW2   rename columns
 *   shuffle-rows               random row order
 *   shuffle-columns            random column order
 *   normalize:S1+S2[:C1+C2]    steps upper, lower, accents, whitespace, nfc, dots (on columns C..., default all)
 *   collapse:long|short[:COL=FAMILY+...]
 *                              rewrite every spelling of a family group to its long (first) or
 *                              short (second) spelling; FAMILY is a built-in robust family
 *                              (mx-street-types, mx-settlements, mx-cardinal, mx-numbering,
 *                              mx-given-names); repeat COL for several families; default: the
 *                              mx-ine preset's marked columns and their robust families
 *   edit:RATE[:C1+C2]          edit each cell with probability RATE (on columns C..., default all)
 *   foreign:N                  mix in N fabricated rows from elsewhere
 *   foreign:FILE[:F]           mix in (a fraction F of) the rows of a CSV file, matched by header
 *   dedupe                     remove exact duplicate rows
 *   duplicate:F                repeat a fraction F of the rows
 *   collude:STRATEGY[:KEY]     majority, minority, random or intersection; combines all the copies
 *                              (aligned by KEY, default ELECTOR) before the other attacks, wherever
 *                              it is written
 *
 * Names and values may be percent-encoded when they hold one of , : + = % (e.g. %2C for a comma).
 *
 * Example: sample:0.05,drop:ELECTOR+CURP,normalize:accents+whitespace,collude:majority
 */

function decode(atom: string, ctx: string): string {
  try {
    return decodeURIComponent(atom.trim());
  } catch {
    throw bad(`${ctx}: bad percent-encoding in '${atom}'`);
  }
}

function list(arg: string | undefined, ctx: string, what: string): string[] {
  if (arg === undefined || arg.trim() === '') throw bad(`${ctx}: needs ${what}`);
  return arg.split('+').map((a) => {
    const v = decode(a, ctx);
    if (v === '') throw bad(`${ctx}: empty name in '${arg}'`);
    return v;
  });
}

function pairs(arg: string | undefined, ctx: string, what: string): [string, string][] {
  if (arg === undefined || arg.trim() === '') throw bad(`${ctx}: needs ${what}`);
  return arg.split('+').map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw bad(`${ctx}: expected ${what}, got '${p}'`);
    return [decode(p.slice(0, eq), ctx), decode(p.slice(eq + 1), ctx)];
  });
}

function fraction(arg: string | undefined, ctx: string): number {
  if (arg === undefined || arg.trim() === '') throw bad(`${ctx}: needs a fraction (e.g. 0.05 or 5%)`);
  const s = arg.trim();
  const pct = s.endsWith('%');
  const body = pct ? s.slice(0, -1) : s;
  const n = /^(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(body) ? Number(body) / (pct ? 100 : 1) : NaN;
  if (!(n >= 0 && n <= 1)) throw bad(`${ctx}: '${arg}' is not a fraction between 0 and 1`);
  return n;
}

function count(arg: string | undefined, ctx: string): number {
  if (arg === undefined || !/^\d+$/.test(arg.trim()) || !Number.isSafeInteger(Number(arg))) {
    throw bad(`${ctx}: needs a whole number, got '${arg ?? ''}'`);
  }
  return Number(arg);
}

function noArgs(args: string[], ctx: string): void {
  if (args.length > 0) throw bad(`${ctx}: takes no arguments`);
}

function maxArgs(args: string[], n: number, ctx: string): void {
  if (args.length > n) throw bad(`${ctx}: too many ':' arguments (at most ${n})`);
}

/** Parses one compact attack, e.g. `drop:ELECTOR+CURP`. */
export function parseAttack(text: string, position = 1): AttackSpec {
  const [rawKind, ...args] = text.trim().split(':');
  const kind = rawKind.trim() as AttackKind;
  const ctx = `attack ${position} '${text.trim()}'`;
  switch (kind) {
    case 'sample':
      maxArgs(args, 1, ctx);
      return { kind, fraction: fraction(args[0], ctx) };
    case 'random':
    case 'first':
      maxArgs(args, 1, ctx);
      return { kind, n: count(args[0], ctx) };
    case 'where': {
      maxArgs(args, 1, ctx);
      const arg = args[0] ?? '';
      const eq = arg.indexOf('=');
      if (eq <= 0) throw bad(`${ctx}: expected where:COLUMN=VALUE+VALUE`);
      return { kind, column: decode(arg.slice(0, eq), ctx), values: arg.slice(eq + 1).split('+').map((v) => decode(v, ctx)) };
    }
    case 'drop':
    case 'keep':
      maxArgs(args, 1, ctx);
      return { kind, columns: list(args[0], ctx, 'column names joined by +') };
    case 'rename':
      maxArgs(args, 1, ctx);
      return { kind, map: Object.fromEntries(pairs(args[0], ctx, 'OLD=NEW pairs joined by +')) };
    case 'shuffle-rows':
    case 'shuffle-columns':
    case 'dedupe':
      noArgs(args, ctx);
      return { kind };
    case 'normalize': {
      maxArgs(args, 2, ctx);
      const steps = list(args[0], ctx, `steps joined by + (${NORMALIZE_STEPS.join(', ')})`);
      for (const s of steps) {
        if (!(NORMALIZE_STEPS as string[]).includes(s)) {
          throw bad(`${ctx}: unknown step '${s}' (known: ${NORMALIZE_STEPS.join(', ')})`);
        }
      }
      const spec: AttackSpec = { kind, steps: steps as NormalizeStep[] };
      if (args[1] !== undefined) spec.columns = list(args[1], ctx, 'column names joined by +');
      return spec;
    }
    case 'collapse': {
      maxArgs(args, 2, ctx);
      const to = args[0]?.trim();
      if (to !== 'long' && to !== 'short') throw bad(`${ctx}: expected collapse:long or collapse:short`);
      const spec: AttackSpec = { kind, to };
      if (args[1] !== undefined) {
        spec.groups = pairs(args[1], ctx, 'COLUMN=FAMILY pairs joined by +').map(([column, family]) => {
          if (!(family in BUILTIN_ROBUST_FAMILIES)) {
            throw bad(`${ctx}: unknown family '${family}' (known: ${Object.keys(BUILTIN_ROBUST_FAMILIES).join(', ')})`);
          }
          return { column, family };
        });
      }
      return spec;
    }
    case 'edit': {
      maxArgs(args, 2, ctx);
      const spec: AttackSpec = { kind, rate: fraction(args[0], ctx) };
      if (args[1] !== undefined) spec.columns = list(args[1], ctx, 'column names joined by +');
      return spec;
    }
    case 'foreign': {
      // A Windows drive letter (C:\...) would be split at its colon; join it back.
      let rest = args;
      if (rest.length >= 2 && /^[A-Za-z]$/.test(rest[0]) && /^[\\/]/.test(rest[1])) rest = [`${rest[0]}:${rest[1]}`, ...rest.slice(2)];
      maxArgs(rest, 2, ctx);
      const what = rest[0]?.trim();
      if (what === undefined || what === '') throw bad(`${ctx}: expected foreign:N or foreign:FILE`);
      if (/^\d+$/.test(what)) {
        if (rest.length > 1) throw bad(`${ctx}: a fraction applies only to foreign:FILE`);
        return { kind, rows: count(what, ctx) };
      }
      const spec: AttackSpec = { kind, rows: decode(what, ctx) };
      if (rest[1] !== undefined) spec.fraction = fraction(rest[1], ctx);
      return spec;
    }
    case 'duplicate':
      maxArgs(args, 1, ctx);
      return { kind, fraction: fraction(args[0], ctx) };
    case 'collude': {
      maxArgs(args, 2, ctx);
      const strategy = args[0]?.trim() as CollusionStrategy;
      if (!COLLUSION_STRATEGIES.includes(strategy)) {
        throw bad(`${ctx}: expected collude:${COLLUSION_STRATEGIES.join('|')}`);
      }
      const spec: AttackSpec = { kind, strategy };
      if (args[1] !== undefined) spec.key = decode(args[1], ctx);
      return spec;
    }
    default:
      throw bad(`${ctx}: unknown attack '${rawKind.trim()}' (known: ${ATTACK_KINDS.join(', ')})`);
  }
}

/** Parses the compact syntax (see the comment above) into attack specs. */
export function parseAttacks(text: string): AttackSpec[] {
  const trimmed = text.trim();
  if (trimmed === 'none') return [];
  if (trimmed === '') throw bad("no attacks given (write 'none' for an untouched copy)");
  const specs = trimmed.split(',').map((part, i) => {
    if (part.trim() === '') throw bad(`attack ${i + 1} is empty (stray comma in '${trimmed}')`);
    return parseAttack(part, i + 1);
  });
  checkAttacks(specs);
  return specs;
}

function enc(s: string): string {
  return s.replace(/[,:+=%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The compact form of an attack (inline family groups are summarised, not spelled out). */
export function formatAttack(spec: AttackSpec): string {
  switch (spec.kind) {
    case 'sample':
    case 'duplicate':
      return `${spec.kind}:${spec.fraction}`;
    case 'random':
    case 'first':
      return `${spec.kind}:${spec.n}`;
    case 'where':
      return `where:${enc(spec.column)}=${spec.values.map(enc).join('+')}`;
    case 'drop':
    case 'keep':
      return `${spec.kind}:${spec.columns.map(enc).join('+')}`;
    case 'rename':
      return `rename:${Object.entries(spec.map).map(([a, b]) => `${enc(a)}=${enc(b)}`).join('+')}`;
    case 'shuffle-rows':
    case 'shuffle-columns':
    case 'dedupe':
      return spec.kind;
    case 'normalize':
      return `normalize:${spec.steps.join('+')}${spec.columns ? `:${spec.columns.map(enc).join('+')}` : ''}`;
    case 'collapse': {
      if (!spec.groups) return `collapse:${spec.to}`;
      const parts = spec.groups.map((g) =>
        'family' in g ? `${enc(g.column)}=${g.family}` : `${enc(g.column)}=(${g.groups.length} groups)`,
      );
      return `collapse:${spec.to}:${parts.join('+')}`;
    }
    case 'edit':
      return `edit:${spec.rate}${spec.columns ? `:${spec.columns.map(enc).join('+')}` : ''}`;
    case 'foreign':
      return typeof spec.rows === 'number'
        ? `foreign:${spec.rows}`
        : `foreign:${enc(spec.rows)}${spec.fraction !== undefined ? `:${spec.fraction}` : ''}`;
    case 'collude':
      return `collude:${spec.strategy}${spec.key !== undefined ? `:${enc(spec.key)}` : ''}`;
  }
}

export function formatAttacks(specs: readonly AttackSpec[]): string {
  return specs.length === 0 ? 'none' : specs.map(formatAttack).join(',');
}

// ---------------------------------------------------------------------------------------------
// Validation (specs may come from JSON, not only from parseAttacks)
// ---------------------------------------------------------------------------------------------

const isFraction = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;
const isCount = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isNames = (x: unknown) => isStrings(x) && x.length > 0;
const isOptNames = (x: unknown) => x === undefined || isNames(x);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a list of specs' shapes (they may come from JSON); at most one `collude`. */
export function checkAttacks(specs: readonly AttackSpec[]): void {
  if (!Array.isArray(specs)) throw bad('attacks must be a list');
  specs.forEach((spec, i) => {
    const s: Record<string, unknown> = isObject(spec) ? spec : {};
    const ok = (cond: boolean, what: string) => {
      if (!cond) throw bad(`attack ${i + 1} (${String(s.kind ?? '?')}): ${what}`);
    };
    ok(ATTACK_KINDS.includes(s.kind as AttackKind), `unknown kind (known: ${ATTACK_KINDS.join(', ')})`);
    switch (s.kind as AttackKind) {
      case 'sample':
      case 'duplicate':
        return ok(isFraction(s.fraction), 'fraction must be between 0 and 1');
      case 'random':
      case 'first':
        return ok(isCount(s.n), 'n must be a whole number >= 0');
      case 'where':
        return ok(typeof s.column === 'string' && isStrings(s.values), 'needs a column and a list of values');
      case 'drop':
      case 'keep':
        return ok(isNames(s.columns), 'needs a non-empty list of column names');
      case 'rename':
        return ok(isObject(s.map) && Object.values(s.map).every((v) => typeof v === 'string'), 'needs a map of old -> new names');
      case 'normalize':
        ok(isNames(s.steps) && (s.steps as string[]).every((x) => (NORMALIZE_STEPS as string[]).includes(x)), `steps must be among ${NORMALIZE_STEPS.join(', ')}`);
        return ok(isOptNames(s.columns), 'columns must be a list of names');
      case 'collapse':
        ok(s.to === 'long' || s.to === 'short', "to must be 'long' or 'short'");
        return ok(
          s.groups === undefined ||
            (Array.isArray(s.groups) &&
              s.groups.every(
                (g: unknown) =>
                  isObject(g) &&
                  typeof g.column === 'string' &&
                  (typeof g.family === 'string'
                    ? g.family in BUILTIN_ROBUST_FAMILIES
                    : Array.isArray(g.groups) && g.groups.every((x: unknown) => isNames(x))),
              )),
          `groups must be {column, groups} or {column, family} with family among ${Object.keys(BUILTIN_ROBUST_FAMILIES).join(', ')}`,
        );
      case 'edit':
        ok(isFraction(s.rate), 'rate must be between 0 and 1');
        return ok(isOptNames(s.columns), 'columns must be a list of names');
      case 'foreign':
        ok(isCount(s.rows) || (typeof s.rows === 'string' && s.rows !== ''), 'rows must be a count or a file');
        return ok(s.fraction === undefined || isFraction(s.fraction), 'fraction must be between 0 and 1');
      case 'collude':
        ok(COLLUSION_STRATEGIES.includes(s.strategy as CollusionStrategy), `strategy must be one of ${COLLUSION_STRATEGIES.join(', ')}`);
        return ok(s.key === undefined || typeof s.key === 'string', 'key must be a column name');
      default:
        return;
    }
  });
  if (specs.filter((s) => s.kind === 'collude').length > 1) throw bad('at most one collude attack');
}

// ---------------------------------------------------------------------------------------------
// Running a pipeline
// ---------------------------------------------------------------------------------------------

/** The mx-ine preset's marked columns with their robust families: the default for `collapse`. */
function defaultCollapseGroups(t: Table): CollapseGroups[] {
  const out: CollapseGroups[] = [];
  for (const m of MX_INE_SCHEMA.marks ?? []) {
    if (!t.header.includes(m.column)) continue;
    for (const family of m.families) if (family in BUILTIN_ROBUST_FAMILIES) out.push({ column: m.column, family });
  }
  return out;
}

function resolveGroups(groups: readonly CollapseGroups[]): ColumnGroups[] {
  return groups.map((g) => {
    if (!('family' in g)) return g;
    const text = BUILTIN_ROBUST_FAMILIES[g.family];
    if (text === undefined) throw bad(`unknown family '${g.family}'`);
    const { groups: parsed, anchored } = parseFamilyText(g.family, text);
    return { column: g.column, groups: parsed, anchored };
  });
}

/**
 * Rows of another file in `t`'s layout: by header name when the file shares any column name with
 * the leak (columns it lacks stay empty, as in rows gathered from a poorer source), by position
 * when it shares none but has as many columns.
 */
function alignForeign(t: Table, foreign: Table, file: string): string[][] {
  const byName = t.header.map((h) => foreign.header.indexOf(h));
  if (byName.some((i) => i !== -1)) return foreign.rows.map((r) => byName.map((i) => (i === -1 ? '' : r[i])));
  if (foreign.header.length === t.header.length) return foreign.rows;
  throw new RollmarkError(
    'ATTACK_INVALID',
    `foreign rows: the file shares no column name with the leak and has ${foreign.header.length} columns, not ${t.header.length}`,
    { file },
  );
}

/** Runs one attack (not `collude`, which combines copies) on a table. */
export async function applyAttack(t: Table, spec: AttackSpec, rng: Rng): Promise<Table> {
  switch (spec.kind) {
    case 'sample':
      return sampleFraction(t, spec.fraction, rng);
    case 'random':
      return randomN(t, spec.n, rng);
    case 'first':
      return firstN(t, spec.n);
    case 'where':
      return whereColumn(t, spec.column, spec.values);
    case 'drop':
      return dropColumns(t, spec.columns);
    case 'keep':
      return keepColumns(t, spec.columns);
    case 'rename':
      return renameColumns(t, spec.map);
    case 'shuffle-rows':
      return shuffleRows(t, rng);
    case 'shuffle-columns':
      return shuffleColumns(t, rng);
    case 'normalize':
      return normalize(t, spec.steps, spec.columns);
    case 'collapse': {
      const groups = resolveGroups(spec.groups ?? defaultCollapseGroups(t));
      if (groups.length === 0) throw bad('collapse: the table has none of the mx-ine marked columns; give COLUMN=FAMILY pairs');
      return spec.to === 'long' ? collapseToLong(t, groups) : collapseToShort(t, groups);
    }
    case 'edit':
      return editCells(t, spec.rate, rng, spec.columns);
    case 'foreign': {
      if (typeof spec.rows === 'number') return mixForeign(t, fabricateRows(t, spec.rows, rng), 1, rng);
      const foreign = await readTable(spec.rows);
      return mixForeign(t, alignForeign(t, foreign, spec.rows), spec.fraction ?? 1, rng);
    }
    case 'dedupe':
      return dedupe(t);
    case 'duplicate':
      return duplicateRows(t, spec.fraction, rng);
    case 'collude':
      throw bad('collude combines several copies: use applyAttacks');
  }
}

/**
 * Runs a whole pipeline in memory: `collude` (if any) combines the copies first, then the other
 * attacks run in order. Each attack draws from its own stream forked from `seed` by position and
 * kind, so the same seed and specs always give the same table.
 */
export async function applyAttacks(copies: readonly Table[], attacks: readonly AttackSpec[], seed: string): Promise<Table> {
  checkAttacks(attacks);
  if (copies.length === 0) throw bad('no copies given');
  const rng = createRng(seed);
  const combine = attacks.find((a) => a.kind === 'collude');
  let t: Table;
  if (combine) {
    const key = combine.key ?? (copies[0].header.includes('ELECTOR') ? 'ELECTOR' : copies[0].header[0]);
    t = collude(copies, combine.strategy, rng.fork('collude'), key);
  } else if (copies.length > 1) {
    throw bad(`${copies.length} copies given but no collude attack to combine them`);
  } else {
    t = copies[0];
  }
  for (let i = 0; i < attacks.length; i++) {
    const spec = attacks[i];
    if (spec.kind === 'collude') continue;
    try {
      t = await applyAttack(t, spec, rng.fork(`${i}:${spec.kind}`));
    } catch (err) {
      if (err instanceof RollmarkError && err.code === 'ATTACK_INVALID' && err.file === undefined) {
        throw new RollmarkError('ATTACK_INVALID', `attack ${i + 1} '${formatAttack(spec)}': ${err.message}`);
      }
      throw err;
    }
  }
  return t;
}

export interface SimulateOptions {
  /** Issued copies (CSV, as `rollmark issue` writes them). */
  copies: string[];
  attacks: AttackSpec[];
  seed: string;
  /** Where the leak is written. */
  out: string;
  format?: WriteOptions;
}

export interface SimulateResult {
  rows: number;
  file: string;
  /** One line: which copies, which attacks, what came out and where. */
  description: string;
}

/** Makes a leak from issued copies as a leaker would, and writes it. */
export async function simulateLeak(opts: SimulateOptions): Promise<SimulateResult> {
  checkAttacks(opts.attacks);
  if (opts.copies.length === 0) throw bad('no copies given');
  if (opts.copies.length > 1 && !opts.attacks.some((a) => a.kind === 'collude')) {
    throw bad(`${opts.copies.length} copies given but no collude attack to combine them`);
  }
  const copies: Table[] = [];
  for (const file of opts.copies) copies.push(await readTable(file));
  const t = await applyAttacks(copies, opts.attacks, opts.seed);
  const format = opts.format ?? {};
  await writeTable(t, opts.out, format);
  const traits = [
    format.delimiter === '\t' ? 'tsv' : format.delimiter === ';' ? 'semicolon csv' : 'csv',
    format.encoding ?? 'utf8',
    ...(format.header === false ? ['no header'] : []),
    ...(format.crlf ? ['crlf'] : []),
    ...(format.bom ? ['bom'] : []),
    ...(format.gzip ? ['gzip'] : []),
  ];
  const from = opts.copies.map((c) => path.basename(c)).join(' + ');
  const description =
    `leak of ${from}: ${formatAttacks(opts.attacks)} -> ${t.rows.length} rows x ${t.header.length} columns ` +
    `(${traits.join(', ')}) written to ${opts.out}`;
  return { rows: t.rows.length, file: opts.out, description };
}
