/**
 * Column auto-mapping: which registry column each column of a found dump holds, judged by content
 * (shapes, frequent values and words, lengths, dates, numeric ranges) against the registry's column
 * profiles. Leakers rename, translate, drop and reorder columns, so header names only break ties.
 * The result is JSON-able: the report shows "the column mapping found".
 *
 * Content cannot tell every column apart: without a CURP or clave de elector, APE_PAT and APE_MAT
 * hold the same surnames. When the dump lacks the key, trace can hand `mapColumns` the release's
 * match index (`matchIndexProbe`): the reading of the match columns under which the dump's rows
 * are the release's records wins. Made-up or damaged cells are tolerated: placeholders (`NULL`,
 * `-`) compare as empty cells, and a date column is judged on the values that read as dates.
 */
import { RollmarkError } from '../errors.js';
import {
  normalizeValue, parseDate, detectDateFormat, profileValues, sketchHas, linkFeature, DATE_LAYOUTS, type ColumnProfile,
} from '../schema/profile.js';
import { AMBIGUOUS, Fingerprinter, matchValue, type MatchTable } from '../code/match-index.js';
import type { ResolvedSchema } from '../schema/schema.js';

export interface ColumnMatch {
  /** Index of the dump column. */
  dump: number;
  registry: string | null;
  /** Content similarity in [0, 1] (header names excluded). */
  score: number;
  /** Maps the dump's value back to the registry's format: `date:DD/MM/YYYY>YYYYMMDD`, `pad:5`,
   * `unpad`, `upper`, `lower`, `deaccent`, several joined by `+`. */
  transform?: string;
  header?: string;
  /** Registry columns this dump column could equally be (content cannot tell them apart). */
  ambiguousWith?: string[];
  /**
   * How a tie between look-alike columns was settled; 'match-index': the release's match index
   * found records under this reading of the match columns (and not under the others tried).
   */
  resolvedBy?: 'co-occurrence' | 'header' | 'position' | 'match-index';
}
export interface ColumnMapping { columns: ColumnMatch[] }
interface Settled { ambiguousWith: string[]; resolvedBy: NonNullable<ColumnMatch['resolvedBy']> }
export interface MapOptions {
  /** Least content score for an assignment (default 0.5). */
  minScore?: number;
  /**
   * The release's match index, asked which reading of the match columns finds its records
   * (`matchIndexProbe`). Content cannot tell APE_PAT from APE_MAT without a CURP or clave de
   * elector; the index can. What it answers depends on the dump and the release alone (never on
   * a recipient's code), so the false-accusation bound holds whatever it decides.
   */
  matchIndex?: MatchIndexProbe;
}

/** Which rows of a dump's sample a reading of a match set finds in the release's match index. */
export interface MatchIndexProbe {
  /** The registry columns of each match set, by name. */
  sets: string[][];
  /** Rows judged (the least of the sample and the probe's limit). */
  rows: number;
  /**
   * Distinct sample rows whose match set `s`, read from these dump columns (one per set column,
   * in the set's order, each with its transform), is in the index (a record or namesakes).
   */
  hits(s: number, cols: { dump: number; transform?: string }[]): number;
}

/**
 * Header spellings seen for the mx-ine columns (Spanish, English, abbreviations), normalised.
 * Only a tie-breaker: content decides.
 */
const HEADER_NAMES: Record<string, string[]> = {
  CONSECUTIVO: ['CONSEC', 'NUM CONSECUTIVO'],
  ELECTOR: ['CLAVE ELECTOR', 'CLAVE DE ELECTOR', 'CVE ELECTOR', 'CLAVE', 'CLAVEELECTOR', 'CVEELEC'],
  FOL_NAC: ['FOLIO NACIONAL', 'FOLIO'],
  APE_PAT: ['APELLIDO PATERNO', 'PATERNO', 'PRIMER APELLIDO', 'APELLIDO1', 'AP PATERNO', 'LAST NAME', 'SURNAME'],
  APE_MAT: ['APELLIDO MATERNO', 'MATERNO', 'SEGUNDO APELLIDO', 'APELLIDO2', 'AP MATERNO', 'SECOND SURNAME'],
  NOMBRE: ['NOMBRES', 'NAME', 'FIRST NAME', 'GIVEN NAME', 'NOMBRE S'],
  FNAC: ['FECHA NACIMIENTO', 'FECHA DE NACIMIENTO', 'NACIMIENTO', 'FEC NAC', 'F NAC', 'BIRTH DATE', 'BIRTHDATE', 'DATE OF BIRTH', 'DOB'],
  EDAD: ['AGE'],
  SEXO: ['GENERO', 'SEX', 'GENDER'],
  OCUPACION: ['OCCUPATION', 'PROFESION'],
  CALLE: ['DOMICILIO', 'DIRECCION', 'STREET', 'ADDRESS'],
  NUM_EXT: ['NUMERO EXTERIOR', 'NO EXT', 'EXTERIOR'],
  NUM_INT: ['NUMERO INTERIOR', 'NO INT', 'INTERIOR'],
  COLONIA: ['COL', 'NEIGHBORHOOD', 'ASENTAMIENTO'],
  CODPOSTAL: ['CP', 'C P', 'CODIGO POSTAL', 'ZIP', 'ZIPCODE', 'POSTAL CODE'],
  TIEMPRES: ['TIEMPO RESIDENCIA', 'TIEMPO DE RESIDENCIA'],
  ENTIDAD: ['ESTADO', 'STATE', 'EDO', 'CVE ENT'],
  DISTRITO: ['DISTRICT', 'DTO'],
  MUNICIPIO: ['MUN', 'CVE MUN', 'MUNICIPALITY'],
  NOM_MUN: ['NOMBRE MUNICIPIO', 'NOMBRE DEL MUNICIPIO', 'MUNICIPIO NOMBRE'],
  SECCION: ['SECC', 'SECTION', 'PRECINCT'],
  LOCALIDAD: ['LOC', 'LOCALITY'],
  MANZANA: ['MZA', 'BLOCK'],
  EMISIONCRE: ['EMISION', 'EMISION CREDENCIAL'],
};
/** Words that make a header cell read as a column name rather than a value. */
const NAME_WORDS = new Set([
  'ID', 'NUM', 'NUMERO', 'CLAVE', 'CVE', 'FECHA', 'CODIGO', 'NOMBRE', 'APELLIDO', 'DATE', 'NAME', 'CODE',
  'FIRST', 'LAST', 'BIRTH', 'STREET', 'CITY', 'ZIP', 'STATE', 'COUNTY', 'PRECINCT', 'ADDRESS', 'PHONE', 'EMAIL',
  'TELEFONO', 'CORREO', 'DOMICILIO', 'CURP', 'RFC', 'OCR',
]);
const nameKey = (s: string): string => normalizeValue(s).replace(/[^A-Z0-9]+/g, ' ').trim();
const KNOWN_NAMES = new Set(Object.entries(HEADER_NAMES).flatMap(([k, v]) => [nameKey(k), ...v]));

/** Whether a cell reads like a column name (used to tell a header row from a data row). */
export function looksLikeColumnName(cell: string): boolean {
  const k = nameKey(cell);
  if (k === '') return false;
  if (KNOWN_NAMES.has(k)) return true;
  if (/^[A-Za-z]+(_[A-Za-z0-9]+)+$/.test(cell.trim())) return true;
  return k.split(' ').some((w) => NAME_WORDS.has(w));
}

function headerBonus(dumpHeader: string | undefined, registry: string): number {
  if (dumpHeader === undefined) return 0;
  const k = nameKey(dumpHeader);
  if (k === '' ) return 0;
  if (k === nameKey(registry) || k.replace(/ /g, '') === nameKey(registry).replace(/ /g, '')) return 0.06;
  return (HEADER_NAMES[registry] ?? []).includes(k) ? 0.04 : 0;
}

const MONTHS = ['ENE', 'FEB', 'MAR', 'ABR', 'MAY', 'JUN', 'JUL', 'AGO', 'SEP', 'OCT', 'NOV', 'DIC'];
function formatDate([y, m, d]: [number, number, number], layout: string): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return layout.replace(/YYYY|YY|MON|MM|DD/g, (t) =>
    t === 'YYYY' ? String(y).padStart(4, '0') : t === 'YY' ? p2(y % 100) : t === 'MON' ? MONTHS[m - 1] : t === 'MM' ? p2(m) : p2(d));
}

function stripAccents(v: string): string {
  return v.normalize('NFD').replace(/(?<![Nn])\u0303|[\u0300-\u0302\u0304-\u036f]/g, '').normalize('NFC');
}

const compiled = new Map<string, (v: string) => string>();
/** Compiles a transform (see `ColumnMatch.transform`) into a function; unknown steps are an error. */
export function compileTransform(t: string | undefined): (v: string) => string {
  if (!t) return (v) => v;
  let f = compiled.get(t);
  if (f) return f;
  const steps = t.split('+').map((step): ((v: string) => string) => {
    const [op, arg = ''] = step.split(/:(.*)/s);
    if (op === 'date') {
      const [from, to] = arg.split('>');
      return (v) => { const d = parseDate(v, from); return d ? formatDate(d, to) : v; };
    }
    if (op === 'pad' && /^\d+$/.test(arg)) return (v) => (/^\d+$/.test(v) ? v.padStart(Number(arg), '0') : v);
    if (op === 'unpad') return (v) => (/^\d+$/.test(v) ? v.replace(/^0+(?=\d)/, '') : v);
    if (op === 'upper') return (v) => v.toUpperCase();
    if (op === 'lower') return (v) => v.toLowerCase();
    if (op === 'deaccent') return stripAccents;
    throw new RollmarkError('INTERNAL', `unknown column transform '${step}'`);
  });
  f = (v) => steps.reduce((x, s) => s(x), v.trim());
  compiled.set(t, f);
  return f;
}

/** Applies a transform to one value (compiled once per transform). */
export function applyTransform(t: string | undefined, v: string): string {
  return compileTransform(t)(v);
}

type Dist = [string | number, number][];
/** Histogram intersection of two share lists. */
function hi(a: Dist, b: Dist): number {
  const m = new Map(b);
  let s = 0;
  for (const [k, x] of a) s += Math.min(x, m.get(k) ?? 0);
  return s;
}

/** How well the dump's values recur among the registry column's frequent values and words. */
function valueSim(d: ColumnProfile, p: ColumnProfile): number {
  const part = (dd: Dist, pd: Dist, known: number, sketch: boolean): number => {
    if (!pd.length) return 0;
    const pm = new Map(pd);
    let hit = 0, inter = 0;
    for (const [v, x] of dd) {
      const y = pm.get(v as string);
      if (y !== undefined) { hit += x; inter += Math.min(x, y); } else if (sketch && sketchHas(p, v as string)) hit += x;
    }
    const mass = pd.reduce((a, [, x]) => a + x, 0);
    // Coverage counts most: a dump of one section has its own local frequencies.
    return 0.75 * Math.min(1, hit / Math.max(known, 0.05)) + 0.25 * Math.min(1, inter / Math.max(0.6 * mass, 0.02));
  };
  const tokMass = p.tokens.reduce((a, [, x]) => a + x, 0);
  return Math.max(part(d.top, p.top, p.known, true), part(d.tokens, p.tokens, tokMass, false));
}

function numericSim(d: NonNullable<ColumnProfile['digits']>, p: NonNullable<ColumnProfile['digits']>): number {
  const pts = [d.min, ...d.q, d.max];
  const inRange = pts.filter((x) => x >= p.min && x <= p.max).length / pts.length;
  const inner = d.q.filter((x) => x >= p.q[0] && x <= p.q[4]).length / d.q.length;
  return 0.6 * inRange + 0.4 * inner;
}

/** Content similarity of a dump column (already transformed) to a registry column's profile. */
function similarity(d: ColumnProfile, p: ColumnProfile, rowUnique: number, dumpIsDate: boolean): number {
  if (d.empty >= 1) return 0;
  const shape = 0.5 * hi(d.shapes, p.shapes) + 0.5 * hi(d.coarse, p.coarse);
  const len = hi(d.lengths, p.lengths);
  const chars = 1 - 0.5 * d.chars.reduce((a, x, i) => a + Math.abs(x - (p.chars[i] ?? 0)), 0);
  const num = d.digits && p.digits ? numericSim(d.digits, p.digits) : d.digits || p.digits ? 0 : shape;
  let s: number;
  // Value sets count only where frequent values recur in any subset (names, not birth dates).
  const mass = (xs: Dist): number => xs.reduce((a, [, x]) => a + x, 0);
  if (p.unique < 0.9 && (p.known >= 0.3 || mass(p.top) >= 0.2 || mass(p.tokens) >= 0.3)) {
    s = 0.25 * shape + 0.1 * len + 0.05 * chars + 0.1 * num + 0.5 * valueSim(d, p);
  } else {
    // A key-like column: its values never repeat, so a dump column whose values do is something else.
    // Dumps repeat whole rows, which excuses that much repetition; a dump of a few low-cardinality
    // columns repeats rows too, so the excuse stops at half the rows.
    const u = p.unique >= 0.9 ? Math.min(1, d.unique / Math.max(rowUnique, 0.5)) ** 2 : 1;
    s = (0.55 * shape + 0.25 * len + 0.1 * chars + 0.1 * num) * u;
  }
  if (!p.date !== !dumpIsDate) s *= 0.5;
  return s * (1 - 0.25 * Math.abs(d.empty - p.empty));
}

/** The value transform that brings a dump column into a registry column's format, if any. */
function valueTransform(vals: string[], dDate: string | null, p: ColumnProfile): string | undefined {
  if (p.date && dDate && dDate !== p.date.format) return `date:${dDate}>${p.date.format}`;
  const digits = vals.filter((v) => v !== '');
  if (dDate || !p.digits || !digits.length || !digits.every((v) => /^\d+$/.test(v))) return undefined;
  const fixed = p.digits.fixed;
  const longest = Math.max(...digits.map((v) => v.length));
  // Codes that went through a spreadsheet lose their leading zero (06600 -> 6600), not two digits.
  if (fixed !== null && p.digits.leadingZero > 0 && longest <= fixed && longest >= fixed - 1 && digits.some((v) => v.length < fixed)) {
    return `pad:${fixed}`;
  }
  if (p.digits.leadingZero === 0 && digits.some((v) => v.length > 1 && v[0] === '0')) return 'unpad';
  return undefined;
}

/** Maximum-weight assignment (Hungarian method, O(n^3)) on a square matrix; returns row -> column. */
function assign(w: number[][]): number[] {
  const n = w.length;
  const u = new Array(n + 1).fill(0), v = new Array(n + 1).fill(0), p = new Array(n + 1).fill(0), way = new Array(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array(n + 1).fill(Infinity), used = new Array(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = -w[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (let j = 0; j <= n; j++) if (used[j]) { u[p[j]] += delta; v[j] -= delta; } else minv[j] -= delta;
      j0 = j1;
    } while (p[j0] !== 0);
    do { const j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0);
  }
  const out = new Array(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j]) out[p[j] - 1] = j - 1;
  return out;
}

const TIE = 0.05;

/**
 * The date layout that reads the most non-empty values when fewer than 90% are dates (what
 * `detectDateFormat` wants): a birth-date column half of whose values were made up or damaged.
 * Null unless it reads at least `LOOSE_DATES` of them, and 8 or more.
 */
const LOOSE_DATES = 0.3;
function looseDateFormat(values: string[]): { format: string; share: number } | null {
  const vs = values.filter((v) => v !== '').slice(0, 300);
  if (vs.length < 8 || !vs.some((v) => /\d/.test(v))) return null;
  let best: { format: string; share: number } | null = null;
  for (const l of DATE_LAYOUTS) {
    let ok = 0;
    for (const v of vs) if (parseDate(v, l.name)) ok++;
    if (ok >= 8 && ok / vs.length >= LOOSE_DATES && (!best || ok / vs.length > best.share)) best = { format: l.name, share: ok / vs.length };
  }
  return best;
}

/**
 * Cells that stand for no value: punctuation alone (`-`, `?`, `***`), the usual null words, and
 * all-zero dates. A dump may write them where the registry has a value (a made-up or damaged
 * row) or nothing; either way they say nothing of the column, so they compare as empty cells.
 */
const NULL_WORDS = new Set(['NULL', 'NUL', 'NIL', 'NONE', 'NAN', 'NA', 'N/A', 'N/D', 'ND', '#N/A', '#NA', 'S/D', 'SIN DATO', 'SIN DATOS',
  'NO DISPONIBLE', 'DESCONOCIDO', 'UNKNOWN', 'UNDEFINED']);
const ZERO_DATE = /^(?:0{8}|0{4}[-/.]00[-/.]00|00[-/.]00[-/.]0{4})(?:[T ]0{1,2}:00(?::00)?)?$/;
function isPlaceholder(v: string): boolean {
  if (v === '') return false;
  if (!/[\p{L}\p{N}]/u.test(v)) return true;
  const k = normalizeValue(v);
  return NULL_WORDS.has(k) || ZERO_DATE.test(k);
}

/** Content scores of every (dump column, registry column) pair and the transforms they assume. */
interface Scores { score: number[][]; transforms: (string | undefined)[][] }

function contentScores(cols: string[][], regs: ColumnProfile[], rowUnique: number): Scores {
  const cache = new Map<string, ColumnProfile>();
  const score: number[][] = [];
  const transforms: (string | undefined)[][] = [];
  for (let j = 0; j < cols.length; j++) {
    const raw = cols[j];
    const nulls = new Set(raw.filter(isPlaceholder));
    const blanked = nulls.size ? raw.map((v) => (nulls.has(v) ? '' : v)) : raw;
    let vals = blanked;
    const strict = detectDateFormat(vals)?.format ?? null;
    // Dates of which only some read: judged against date columns on the ones that do.
    const loose = strict === null ? looseDateFormat(vals) : null;
    const hasLower = vals.some((v) => v !== v.toUpperCase());
    const hasUpper = vals.some((v) => v !== v.toLowerCase());
    const hasAccent = vals.some((v) => stripAccents(v) !== v);
    const oneLength = new Set(vals.filter((v) => v !== '').map((v) => v.length)).size === 1;
    score.push([]);
    transforms.push([]);
    for (const p of regs) {
      // A registry that writes one of them as a value (NUM_INT `-`) is compared with it as found.
      const asFound = nulls.size > 0 && p.top.some(([v]) => nulls.has(v));
      vals = asFound ? raw : blanked;
      const partial = loose !== null && p.date !== undefined;
      const dDate = strict ?? (partial ? loose!.format : null);
      const vt = valueTransform(vals, dDate, p);
      const key = `${j}\u0000${vt ?? ''}\u0000${partial ? 'readable' : ''}\u0000${asFound ? 'raw' : ''}`;
      let d = cache.get(key);
      if (!d) {
        const f = compileTransform(vt);
        const kept = partial ? vals.filter((v) => v === '' || parseDate(v, loose!.format) !== null) : vals;
        d = profileValues(String(j), vt ? kept.map(f) : kept);
        cache.set(key, d);
      }
      const steps = [vt];
      if (p.lower === 0 && hasLower && p.chars[0] > 0) steps.push('upper');
      else if (p.chars[0] > 0 && p.lower >= 0.99 && hasUpper) steps.push('lower');
      if (p.accents === 0 && hasAccent) steps.push('deaccent');
      // Occam: re-padding explains values of one length less well than a column that has them as they are.
      let cost = vt && !vt.startsWith('date:') && oneLength ? 0.9 : 1;
      // A column whose values are partly no date is a date column only as far as they are.
      if (partial) cost *= 0.5 + 0.5 * loose!.share;
      score[j].push(cost * similarity(d, p, rowUnique, dDate !== null));
      transforms[j].push(steps.filter(Boolean).join('+') || undefined);
    }
  }
  return { score, transforms };
}

/** The last scores computed, by sample: trace maps a dump twice (content, then with the index). */
const lastScores = new WeakMap<string[][], { profiles: ColumnProfile[]; registryHeader: string[]; scores: Scores }>();

/**
 * Maps each dump column to at most one registry column by content. `sample` is the dump's first
 * rows, `header` its header row if it had one, `profiles` the registry's column profiles. With
 * `opts.matchIndex`, readings of the match columns content cannot tell apart are tried against the
 * release's match index, and the one that finds its records wins.
 */
export function mapColumns(
  sample: string[][], header: string[] | null, profiles: ColumnProfile[], registryHeader: string[], opts: MapOptions = {},
): ColumnMapping {
  const minScore = opts.minScore ?? 0.5;
  const nDump = Math.max(header?.length ?? 0, ...sample.map((r) => r.length), 0);
  const regs = registryHeader.map((name) => profiles.find((p) => p.name === name)).filter((p): p is ColumnProfile => !!p);
  const rowUnique = sample.length ? new Set(sample.map((r) => r.join('\u0000'))).size / sample.length : 1;
  const cols = Array.from({ length: nDump }, (_, j) => sample.map((r) => (r[j] ?? '').trim()));
  const prev = lastScores.get(sample);
  const scores = prev && prev.profiles === profiles && prev.registryHeader === registryHeader && prev.scores.score.length === nDump
    ? prev.scores : contentScores(cols, regs, rowUnique);
  lastScores.set(sample, { profiles, registryHeader, scores });
  const { score, transforms } = scores;
  const solve = (fixed: Map<number, number>): { picked: number[]; settle: Map<number, Settled> } => {
    // Globally consistent one-to-one assignment; header names add a small tie-breaking bonus.
    const n = Math.max(nDump, regs.length);
    const taken = new Set(fixed.values());
    const w = Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => {
      if (fixed.has(j)) return fixed.get(j) === i ? 100 : 0;
      const s = score[j]?.[i];
      return s === undefined || s < minScore || taken.has(i) ? 0 : s + headerBonus(header?.[j], regs[i].name);
    }));
    const picked = assign(w).map((i, j) => (j < nDump && i >= 0 && i < regs.length && w[j][i] > 0 ? i : -1));
    return { picked, settle: resolveTwins(picked, score, regs, cols, header, minScore, new Set(fixed.keys())) };
  };
  let { picked, settle } = solve(new Map());
  if (opts.matchIndex) {
    const fixed = settleByIndex(opts.matchIndex, picked, score, transforms, regs, minScore);
    if (fixed.size) {
      const first = { picked, settle };
      ({ picked, settle } = solve(fixed));
      // Said where content had a doubt, or where the index changed its mind.
      for (const j of fixed.keys()) {
        if (first.settle.has(j) || first.picked[j] !== picked[j]) settle.set(j, { ambiguousWith: [], resolvedBy: 'match-index' });
      }
    }
  }
  const out: ColumnMatch[] = Array.from({ length: nDump }, (_, j) => ({ dump: j, registry: null, score: 0 }));
  for (let j = 0; j < nDump; j++) {
    const i = picked[j];
    const m = out[j];
    if (header?.[j] !== undefined) m.header = header[j];
    if (i < 0) continue;
    m.registry = regs[i].name;
    m.score = Number(score[j][i].toFixed(3));
    if (transforms[j][i]) m.transform = transforms[j][i];
    const s = settle.get(j);
    if (s?.ambiguousWith.length) m.ambiguousWith = s.ambiguousWith;
    if (s?.resolvedBy) m.resolvedBy = s.resolvedBy;
  }
  return { columns: out };
}

/** Dump columns tried for each column of a match set: the best by content, down to this score. */
const PROBE_FLOOR = 0.3;
const PROBE_CANDIDATES = 4;

/**
 * For each match set: the reading of its columns that finds the most of the release's records in
 * the sample, when that is enough to rule out chance (a wrong reading finds a record only by a
 * fingerprint clash, about one lookup in a few thousand). Starts from the content mapping; tries
 * other readings only when it finds too few. Returns dump column -> registry column to fix.
 */
function settleByIndex(
  probe: MatchIndexProbe, picked: number[], score: number[][], transforms: (string | undefined)[][], regs: ColumnProfile[], minScore: number,
): Map<number, number> {
  const fixed = new Map<number, number>();
  const enough = Math.max(3, Math.ceil(0.01 * probe.rows));
  probe.sets.forEach((names, s) => {
    const items = names.map((name) => regs.findIndex((p) => p.name === name));
    if (items.some((i) => i < 0)) return;
    const hits = (js: number[]): number => probe.hits(s, js.map((j, k) => ({ dump: j, transform: transforms[j][items[k]] })));
    const current = items.map((i) => picked.indexOf(i));
    const free = (j: number): boolean => !fixed.has(j);
    let best: number[] | null = null;
    let bestHits = 0;
    if (current.every((j) => j >= 0 && free(j))) {
      bestHits = hits(current);
      best = current;
    }
    // Twins with the same value (GARCIA GARCIA) match either way round: a reading that finds some
    // records is not yet the right one unless it finds most.
    if (bestHits < Math.max(enough, probe.rows / 2)) {
      const options = items.map((i, k) => {
        const js = score.map((_, j) => j).filter((j) => free(j) && score[j][i] >= Math.min(PROBE_FLOOR, minScore));
        js.sort((a, b) => score[b][i] - score[a][i]);
        const top = js.slice(0, PROBE_CANDIDATES);
        if (current[k] >= 0 && free(current[k]) && !top.includes(current[k])) top.push(current[k]);
        return top;
      });
      const scoreOf = (js: number[]): number => js.reduce((a, j, k) => a + score[j][items[k]], 0);
      const walk = (k: number, js: number[]): void => {
        if (k === items.length) {
          const h = hits(js);
          if (h > bestHits || (h === bestHits && h > 0 && best !== null && scoreOf(js) > scoreOf(best))) { bestHits = h; best = js.slice(); }
          return;
        }
        for (const j of options[k]) if (!js.includes(j)) { js.push(j); walk(k + 1, js); js.pop(); }
      };
      walk(0, []);
    }
    if (best !== null && bestHits >= enough) (best as number[]).forEach((j, k) => fixed.set(j, items[k]));
  });
  return fixed;
}

/**
 * Look-alike columns (APE_PAT and APE_MAT share one value set) score alike on content. Settle them
 * by co-occurrence first (a surname's initial is a fixed letter of the CURP and the clave de
 * elector), then by header names, then by keeping the registry's relative order; say so whenever
 * content alone could not decide (the match index, when given, then settles match columns).
 * Columns in `fixed` (settled by the match index) are left as they are.
 */
function resolveTwins(
  picked: number[], score: number[][], regs: ColumnProfile[], cols: string[][], header: string[] | null, minScore: number,
  fixed: ReadonlySet<number>,
): Map<number, Settled> {
  const out = new Map<number, Settled>();
  // Columns the match index settled are not reopened.
  const done = new Set<number>(fixed);
  const dumpOf = (name: string): number => picked.findIndex((i) => i >= 0 && regs[i].name === name);
  /** Mean agreement of dump column j with registry column i's links (NaN when none can be read). */
  const linked = (j: number, i: number): number => {
    const rates: number[] = [];
    for (const l of regs[i].links) {
      const k = dumpOf(l.column);
      if (k < 0 || k === j) continue;
      let n = 0, a = 0;
      for (let r = 0; r < cols[j].length; r++) {
        const x = cols[j][r] ? linkFeature(cols[j][r], l.feature) : undefined;
        const y = normalizeValue(cols[k][r])[l.pos];
        if (x === undefined || y === undefined) continue;
        n++;
        if (x === y) a++;
      }
      if (n >= 5) rates.push(Math.min(1, a / n / l.rate));
    }
    return rates.length ? rates.reduce((s, x) => s + x, 0) / rates.length : NaN;
  };
  const bonus = (j: number, i: number): number => headerBonus(header?.[j], regs[i].name);
  for (let j = 0; j < picked.length; j++) {
    const i = picked[j];
    if (i < 0 || done.has(j)) continue;
    // Registry columns j could hold as well as i, held by a column that could as well hold i.
    const ties: { i2: number; j2: number }[] = [];
    for (let i2 = 0; i2 < regs.length; i2++) {
      if (i2 === i || score[j][i2] < Math.max(minScore, score[j][i] - TIE)) continue;
      const j2 = picked.indexOf(i2);
      if (j2 >= 0 && (done.has(j2) || score[j2][i] < score[j2][i2] - TIE)) continue;
      ties.push({ i2, j2 });
    }
    if (!ties.length) continue;
    ties.sort((a, b) => score[j][b.i2] - score[j][a.i2]);
    const { i2, j2 } = ties[0];
    const pair = j2 >= 0;
    const keep = pair ? linked(j, i) + linked(j2, i2) : linked(j, i);
    const swap = pair ? linked(j, i2) + linked(j2, i) : linked(j, i2);
    let by: Settled['resolvedBy'];
    let doSwap: boolean;
    if (!Number.isNaN(keep) && !Number.isNaN(swap) && Math.abs(keep - swap) >= (pair ? 0.5 : 0.25)) {
      by = 'co-occurrence';
      doSwap = swap > keep;
    } else {
      const hk = bonus(j, i) + (pair ? bonus(j2, i2) : 0);
      const hs = bonus(j, i2) + (pair ? bonus(j2, i) : 0);
      by = hk !== hs ? 'header' : 'position';
      // Without better evidence keep the registry's order: the first of two twins first, and a
      // lone twin is taken for the first (APE_PAT is dropped less often than APE_MAT).
      doSwap = hk !== hs ? hs > hk : pair && j2 < j ? i < i2 : i2 < i;
    }
    if (doSwap) { picked[j] = i2; if (pair) picked[j2] = i; }
    done.add(j);
    if (pair) done.add(j2);
    const others = ties.slice(1).map((t) => regs[t.i2].name);
    const alt = regs[doSwap ? i : i2].name;
    out.set(j, { ambiguousWith: by === 'co-occurrence' ? others : [alt, ...others], resolvedBy: by });
    if (pair) out.set(j2, { ambiguousWith: by === 'co-occurrence' ? [] : [regs[picked[j]].name], resolvedBy: by });
  }
  return out;
}

/**
 * A `MatchIndexProbe` over the first `maxRows` rows of a dump's sample, for `mapColumns`: the
 * fingerprints trace would look up (match-index.ts), from the release's index key and tables.
 */
export function matchIndexProbe(
  sample: string[][], schema: ResolvedSchema, indexKey: Uint8Array, tables: MatchTable[], maxRows = 500,
): MatchIndexProbe {
  const rows = sample.slice(0, maxRows);
  const fp = new Fingerprinter(indexKey);
  const matchers = schema.match.map((set) => set.map((c) => schema.marks.find((m) => m.column === c)?.robust ?? null));
  const values = new Map<string, string[]>();
  const memo = new Map<string, number>();
  const column = (s: number, i: number, d: number, t: string | undefined): string[] => {
    const key = `${s}\u0000${i}\u0000${d}\u0000${t ?? ''}`;
    let v = values.get(key);
    if (!v) {
      const f = compileTransform(t);
      v = rows.map((r) => (d < r.length ? matchValue(t ? f(r[d]) : r[d], matchers[s][i]) : ''));
      values.set(key, v);
    }
    return v;
  };
  return {
    sets: schema.match.map((set) => set.map((c) => schema.columns[c])),
    rows: rows.length,
    hits(s, cols) {
      const table = tables[s];
      if (!table || cols.length !== schema.match[s].length) return 0;
      const key = `${s}\u0001${cols.map((c) => `${c.dump}\u0000${c.transform ?? ''}`).join('\u0001')}`;
      const known = memo.get(key);
      if (known !== undefined) return known;
      const vs = cols.map((c, i) => column(s, i, c.dump, c.transform));
      const found = new Set<string>();
      const row: string[] = new Array(cols.length);
      for (let r = 0; r < rows.length; r++) {
        for (let i = 0; i < cols.length; i++) row[i] = vs[i][r];
        if (!fp.compute(s, row)) continue;
        const id = table.lookup(fp.lo, fp.hi);
        if (id >= 0 || id === AMBIGUOUS) found.add(`${fp.lo}:${fp.hi}`);
      }
      memo.set(key, found.size);
      return found.size;
    },
  };
}
