/**
 * Column profiles: what a registry column's values look like, so that a found dump's columns can
 * be recognised by content whatever their headers say. They are computed when a release is issued
 * and kept in the issuer's private vault, which is why they may summarise real values (frequent
 * names, surnames, colonias): a profile never leaves the vault.
 *
 * Everything here is about values, never about header names: shapes (`A6D8A1D3` for a clave de
 * elector), lengths, character mix, frequent values and words, date formats, numeric ranges, and
 * "links" (a surname's initial is a fixed letter of the CURP) that tell twin columns apart.
 */
import { RollmarkError } from '../errors.js';

export interface ColumnLink {
  /** The code-like column (CURP, clave de elector) whose character at `pos` echoes this one. */
  column: string;
  pos: number;
  feature: LinkFeature;
  /** Share of rows where it holds. */
  rate: number;
}
export type LinkFeature = 'first' | 'vowel' | 'consonant';

export interface ColumnProfile {
  name: string;
  /** Rows seen (weighted when the registry was sampled) and the share of empty cells. */
  rows: number;
  empty: number;
  /** Distinct normalised values / non-empty values, measured on what was read (1 = a key). */
  unique: number;
  /** Shares over non-empty values: fine shapes, coarse shapes, lengths (capped at 64). */
  shapes: [string, number][];
  coarse: [string, number][];
  lengths: [number, number][];
  /** Character mix of normalised values: letter, digit, space, punctuation, other. */
  chars: number[];
  /** Shares of raw values with a lowercase letter, with an accented letter. */
  lower: number;
  accents: number;
  /** Present when >= 90% of values are digits only. `fixed`: the length nearly all have. */
  digits?: { fixed: number | null; leadingZero: number; min: number; max: number; q: number[] };
  date?: { format: string; share: number };
  /** Most frequent normalised values and words (words holding a letter), with shares. */
  top: [string, number][];
  tokens: [string, number][];
  /** A Bloom filter of the next most frequent values (base64), beyond `top`. */
  sketch?: { bits: number; hashes: number; data: string };
  /** Share of values in `top` or `sketch` that were seen more than once (what a new row may hit). */
  known: number;
  links: ColumnLink[];
}

export interface ProfileOptions {
  /** Frequent values kept verbatim (default 200) and in the sketch (default 2048). */
  top?: number;
  sketchValues?: number;
  /** Rows read in full before sampling starts thinning (default 250,000): bounds the cost on 90M rows. */
  budget?: number;
  /** If the row count is known, sample evenly at one stride instead of thinning progressively. */
  expectedRows?: number;
  /** Rows kept for dates, links and coverage (default 2,000). */
  reservoir?: number;
}

const round = (x: number): number => Number(x.toPrecision(5));
const ACCENTED = /[À-ÖØ-öø-ÿ]/;
const COMBINING = /[\u0300-\u036f]/g;
const NORMAL = /^[A-Z0-9](?:[A-Z0-9/-]| (?=[^ ]))*$/;

/** Comparison form: uppercase, accents stripped (Ñ compares as N), spaces collapsed, no trailing dots. */
export function normalizeValue(v: string): string {
  if (NORMAL.test(v) || v === '') return v;
  return v.normalize('NFD').replace(COMBINING, '').toUpperCase().replace(/\s+/g, ' ').trim()
    .replace(/\.+$/, '').trim();
}

/**
 * Date layouts a dump may use for a registry's dates, named as they read (`DD/MM/YYYY`). Two-digit
 * years pivot on the current year; `MON` reads Spanish or English month names.
 */
interface DateLayout { name: string; re: RegExp; order: string }
const MONTHS = ['ENE|JAN', 'FEB', 'MAR', 'ABR|APR', 'MAY', 'JUN', 'JUL', 'AGO|AUG', 'SEP|SET', 'OCT', 'NOV', 'DIC|DEC'];
export const DATE_LAYOUTS: readonly DateLayout[] = (() => {
  const out: DateLayout[] = [
    { name: 'YYYYMMDD', re: /^(\d{4})(\d{2})(\d{2})$/, order: 'YMD' },
    { name: 'DDMMYYYY', re: /^(\d{2})(\d{2})(\d{4})$/, order: 'DMY' },
    { name: 'YYMMDD', re: /^(\d{2})(\d{2})(\d{2})$/, order: 'yMD' },
    { name: 'DDMMYY', re: /^(\d{2})(\d{2})(\d{2})$/, order: 'DMy' },
  ];
  const time = '(?:[T ]\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?Z?)?';
  for (const sep of ['-', '/', '.']) {
    const s = sep === '.' ? '\\.' : sep;
    const re = (a: string, b: string, c: string): RegExp => new RegExp(`^${a}${s}${b}${s}${c}${time}$`);
    out.push({ name: `YYYY${sep}MM${sep}DD`, re: re('(\\d{4})', '(\\d{1,2})', '(\\d{1,2})'), order: 'YMD' });
    for (const order of ['DMY', 'MDY', 'DMy', 'MDy']) {
      const name = order.replace('D', 'DD?').replace('M', 'MM?').replace('Y', 'YYYY').replace('y', 'YY');
      out.push({ name: name.replaceAll('?', sep), re: re('(\\d{1,2})', '(\\d{1,2})', order[2] === 'Y' ? '(\\d{4})' : '(\\d{2})'), order });
    }
    out.push({ name: `DD${sep}MON${sep}YYYY`, re: re('(\\d{1,2})', '([A-Z]{3})[A-Z]*', '(\\d{4})'), order: 'DNY' });
  }
  return out;
})();
const LAYOUT = new Map(DATE_LAYOUTS.map((l) => [l.name, l]));
const PIVOT = new Date().getFullYear() % 100;

/** Reads a date in a named layout as [year, month, day], or null when it is not a valid date. */
export function parseDate(v: string, layout: string): [number, number, number] | null {
  const l = LAYOUT.get(layout);
  const m = l?.re.exec(normalizeValue(v));
  if (!l || !m) return null;
  let y = 0, mo = 0, d = 0;
  for (let i = 0; i < 3; i++) {
    const t = m[i + 1];
    const f = l.order[i];
    if (f === 'Y') y = +t;
    else if (f === 'y') y = +t + (+t <= PIVOT ? 2000 : 1900);
    else if (f === 'M') mo = +t;
    else if (f === 'D') d = +t;
    else mo = MONTHS.findIndex((names) => names.split('|').includes(t)) + 1;
  }
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  return y >= 1850 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= days ? [y, mo, d] : null;
}

/** The layout that reads >= 90% of the non-empty values as valid dates (first listed wins ties). */
export function detectDateFormat(values: string[]): { format: string; share: number } | null {
  const vs = values.filter((v) => v.trim() !== '').slice(0, 300);
  if (!vs.length || !/\d/.test(vs[0])) return null;
  let best: { format: string; share: number } | null = null;
  for (const l of DATE_LAYOUTS) {
    let ok = 0;
    for (const v of vs) if (parseDate(v, l.name)) ok++;
    if (ok / vs.length >= 0.9 && (!best || ok / vs.length > best.share)) best = { format: l.name, share: round(ok / vs.length) };
  }
  return best;
}

/** Run-length shape of a normalised value: letters A, digits D, space _, punctuation as itself. */
export function shapeOf(v: string): string {
  let out = '';
  let cls = '';
  let run = 0;
  for (let i = 0; i < v.length && out.length < 24; i++) {
    const c = v.charCodeAt(i);
    const k = c >= 65 && c <= 90 ? 'A' : c >= 48 && c <= 57 ? 'D' : c === 32 ? '_' : c < 128 ? v[i] : '?';
    if (k === cls && (k === 'A' || k === 'D')) { run++; continue; }
    if (run) out += run;
    out += k;
    cls = k;
    run = k === 'A' || k === 'D' ? 1 : 0;
  }
  if (run) out += run;
  return out;
}

/** FNV-1a, 32 bits: stable across runs, enough for a sketch and a distinct-count estimate. */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Misra-Gries heavy hitters, batch-pruned: bounded memory, exact while distinct values fit. */
class HeavyHitters {
  readonly counts = new Map<string, number>();
  constructor(private readonly cap: number) {}
  add(v: string, w: number): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + w);
    if (this.counts.size > 2 * this.cap) {
      const cut = [...this.counts.values()].sort((a, b) => b - a)[this.cap];
      for (const [k, c] of this.counts) if (c <= cut) this.counts.delete(k); else this.counts.set(k, c - cut);
    }
  }
  top(k: number): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k);
  }
}

/** K minimum values: estimates the number of distinct values in bounded memory. */
class Distinct {
  private readonly mins: number[] = [];
  constructor(private readonly k = 512) {}
  add(h: number): void {
    const m = this.mins;
    if (m.length === this.k && h >= m[m.length - 1]) return;
    let lo = 0, hi = m.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (m[mid] < h) lo = mid + 1; else hi = mid; }
    if (m[lo] === h) return;
    m.splice(lo, 0, h);
    if (m.length > this.k) m.pop();
  }
  get estimate(): number {
    const m = this.mins;
    return m.length < this.k ? m.length : ((this.k - 1) * 2 ** 32) / (m[m.length - 1] + 1);
  }
}

/** Streaming statistics of one column's values; summarised into a profile by `summarize`. */
export class ValueStats {
  n = 0; empty = 0; seen = 0; lower = 0; accents = 0; digitsOnly = 0; leadingZero = 0;
  min = Infinity; max = -Infinity;
  readonly shapes = new Map<string, number>();
  readonly coarse = new Map<string, number>();
  readonly lengths = new Float64Array(65);
  readonly digitLengths = new Float64Array(33);
  readonly chars = new Float64Array(5);
  readonly distinct = new Distinct();
  values: HeavyHitters | null;
  tokens: HeavyHitters | null;
  tokenMass = 0;

  constructor(valueCap = 4096, private readonly uniqueCheckAt = 20_000) {
    this.values = new HeavyHitters(valueCap);
    this.tokens = new HeavyHitters(1024);
  }

  add(raw: string, w = 1): void {
    this.n += w;
    const v = normalizeValue(raw);
    if (v === '') { this.empty += w; return; }
    this.seen++;
    if (v !== raw) {
      if (raw !== raw.toUpperCase()) this.lower += w;
      if (ACCENTED.test(raw)) this.accents += w;
    }
    const shape = shapeOf(v);
    bump(this.shapes, shape, w, 512);
    bump(this.coarse, shape.replace(/\d+/g, ''), w, 128);
    this.lengths[Math.min(v.length, 64)] += w;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      this.chars[c >= 65 && c <= 90 ? 0 : c >= 48 && c <= 57 ? 1 : c === 32 ? 2 : c < 128 ? 3 : 4] += w;
    }
    if (shape === `D${v.length}`) {
      this.digitsOnly += w;
      if (v.length > 1 && v[0] === '0') this.leadingZero += w;
      this.digitLengths[Math.min(v.length, 32)] += w;
      if (v.length <= 15) { const x = Number(v); if (x < this.min) this.min = x; if (x > this.max) this.max = x; }
    }
    this.distinct.add(hash32(v));
    if (this.values) this.values.add(v, w);
    if (this.tokens) {
      for (const t of v.split(' ')) if (/[A-Z]/.test(t)) { this.tokens.add(t, w); this.tokenMass += w; }
    }
    // A key column (ELECTOR, CURP) has no frequent values: stop paying to count them.
    if (this.seen === this.uniqueCheckAt && this.distinct.estimate > 0.9 * this.seen) {
      this.values = null;
      this.tokens = null;
    }
  }
}

function bump(m: Map<string, number>, k: string, w: number, cap: number): void {
  const c = m.get(k);
  if (c !== undefined) m.set(k, c + w);
  else if (m.size < cap) m.set(k, w);
  else m.set('…', (m.get('…') ?? 0) + w);
}

function shares<K>(entries: Iterable<[K, number]>, total: number, k: number): [K, number][] {
  return [...entries].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]).slice(0, k)
    .map(([v, c]) => [v, round(c / total)]);
}

/** Turns statistics plus a uniform sample of the column's raw values into a profile. */
export function summarize(
  name: string, st: ValueStats, sample: string[], opts: ProfileOptions = {}, keepUnique = false,
): ColumnProfile {
  const nonEmpty = st.n - st.empty;
  const d = Math.max(nonEmpty, 1e-9);
  // A dump's sample is counted exactly; a registry's distinct count is estimated.
  const distinct = keepUnique && st.values ? st.values.counts.size : st.distinct.estimate;
  const unique = st.seen ? Math.min(1, distinct / st.seen) : 0;
  const nTop = opts.top ?? 200;
  const ranked = st.values && (unique < 0.9 || keepUnique) ? st.values.top(nTop + (opts.sketchValues ?? 2048)) : [];
  const top = shares(ranked.slice(0, nTop), d, nTop);
  const bloom = new Uint8Array(4096);
  for (const [v] of ranked.slice(nTop)) for (const b of bloomBits(v, 32768, 3)) bloom[b >> 3] |= 1 << (b & 7);
  const sketch = ranked.length > nTop ? { bits: 32768, hashes: 3, data: Buffer.from(bloom).toString('base64') } : undefined;
  const profile: ColumnProfile = {
    name,
    rows: round(st.n),
    empty: st.n ? round(st.empty / st.n) : 1,
    unique: round(unique),
    shapes: shares(st.shapes, d, 24),
    coarse: shares(st.coarse, d, 12),
    lengths: shares(Array.from(st.lengths, (c, i): [number, number] => [i, c]), d, 65),
    chars: Array.from(st.chars, (c) => round(c / Math.max(1e-9, st.chars.reduce((a, b) => a + b, 0)))),
    lower: round(st.lower / d),
    accents: round(st.accents / d),
    top,
    tokens: st.tokens ? shares(st.tokens.top(100), Math.max(st.tokenMass, 1e-9), 100) : [],
    known: 0,
    links: [],
  };
  if (sketch) profile.sketch = sketch;
  if (st.digitsOnly >= 0.9 * nonEmpty && nonEmpty > 0) {
    const lens = Array.from(st.digitLengths);
    const best = lens.indexOf(Math.max(...lens));
    const nums = sample.map(normalizeValue).filter((v) => /^\d{1,15}$/.test(v)).map(Number).sort((a, b) => a - b);
    profile.digits = {
      fixed: lens[best] >= 0.95 * st.digitsOnly ? best : null,
      leadingZero: round(st.leadingZero / st.digitsOnly),
      min: st.min, max: st.max,
      q: nums.length ? [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => nums[Math.floor(q * nums.length)]) : [st.min, st.min, st.max, st.max, st.max],
    };
  }
  const date = detectDateFormat(sample);
  if (date) profile.date = date;
  // Values seen once say little about unseen rows (Good-Turing): only repeats count as known.
  profile.known = round(Math.min(1, ranked.reduce((a, [, c]) => (c >= 2 ? a + c : a), 0) / d));
  return profile;
}

/** Bloom filter bit positions by double hashing (Kirsch & Mitzenmacher). */
function bloomBits(v: string, bits: number, k: number): number[] {
  const h1 = hash32(v), h2 = hash32(v, 0x9747b28c) | 1;
  return Array.from({ length: k }, (_, i) => ((h1 + Math.imul(i, h2)) >>> 0) % bits);
}

const decoded = new WeakMap<object, Uint8Array>();
/** Whether a normalised value is among the column's frequent values beyond `top` (Bloom filter). */
export function sketchHas(p: ColumnProfile, v: string): boolean {
  const s = p.sketch;
  if (!s) return false;
  let data = decoded.get(s);
  if (!data) { data = new Uint8Array(Buffer.from(s.data, 'base64')); decoded.set(s, data); }
  for (const b of bloomBits(v, s.bits, s.hashes)) if (!(data[b >> 3] & (1 << (b & 7)))) return false;
  return true;
}

const VOWELS = new Set('AEIOU');
/** The letter of a name that a code column may echo (CURP: initial, first inner vowel/consonant). */
export function linkFeature(v: string, f: LinkFeature): string | undefined {
  const s = normalizeValue(v).replace(/[^A-Z]/g, '');
  if (f === 'first') return s[0];
  for (let i = 1; i < s.length; i++) if (VOWELS.has(s[i]) === (f === 'vowel')) return s[i];
  return undefined;
}

/** Finds which letters of code-like columns echo each name-like column, on a row sample. */
function findLinks(header: string[], rows: string[][]): ColumnLink[][] {
  const norm = rows.map((r) => header.map((_, c) => normalizeValue(r[c] ?? '')));
  const share = (c: number, test: (v: string) => boolean): number => {
    const vs = norm.map((r) => r[c]).filter((v) => v !== '');
    return vs.length ? vs.filter(test).length / vs.length : 0;
  };
  const codes = header.map((_, c) => c).filter((c) => share(c, (v) => v.length >= 10 && /[A-Z]/.test(v) && /\d/.test(v)) >= 0.8);
  const out = header.map((): ColumnLink[] => []);
  const features: LinkFeature[] = ['first', 'vowel', 'consonant'];
  const half = Math.max(1, norm.length >> 1);
  for (let x = 0; x < header.length; x++) {
    if (codes.includes(x) || share(x, (v) => /^[A-Z]/.test(v)) < 0.8) continue;
    for (const k of codes) {
      for (const f of features) {
        const fx = norm.map((r) => (r[x] ? linkFeature(r[x], f) : undefined));
        for (let pos = 0; pos < 18; pos++) {
          let n = 0, agree = 0, chance = 0;
          for (let i = 0; i < norm.length; i++) {
            const a = fx[i], b = norm[i][k][pos];
            if (a === undefined || b === undefined) continue;
            n++;
            if (a === b) agree++;
            // Chance agreement, against a far-away row (neighbours are often one family).
            if (fx[(i + half) % norm.length] === b) chance++;
          }
          if (n >= 20 && agree / n >= 0.6 && (agree - chance) / n >= 0.3) {
            out[x].push({ column: header[k], pos, feature: f, rate: round(agree / n) });
          }
        }
      }
    }
  }
  return out;
}

/** Streams a registry's rows into column profiles in bounded memory. */
export class ColumnProfiler {
  private readonly stats: ValueStats[];
  private readonly kept: string[][] = [];
  private readonly budget: number; private readonly keep: number;
  private stride = 1; private level = 0; private index = 0; private rng = 0x2545f491;

  constructor(private readonly header: string[], private readonly opts: ProfileOptions = {}) {
    this.stats = header.map(() => new ValueStats(Math.max(4096, (opts.top ?? 200) + (opts.sketchValues ?? 2048))));
    this.budget = opts.budget ?? 250_000;
    this.keep = opts.reservoir ?? 2000;
    if (opts.expectedRows) this.stride = Math.max(1, Math.floor(opts.expectedRows / this.budget));
  }

  add(row: string[]): void {
    const i = this.index++;
    // Reservoir (algorithm R): a uniform row sample whatever the registry's order.
    if (this.kept.length < this.keep) this.kept.push(row.slice());
    else {
      this.rng ^= this.rng << 13; this.rng ^= this.rng >>> 17; this.rng ^= this.rng << 5;
      const j = (this.rng >>> 0) % (i + 1);
      if (j < this.keep) this.kept[j] = row.slice();
    }
    if (i % this.stride !== 0) return;
    for (let c = 0; c < this.stats.length; c++) this.stats[c].add(row[c] ?? '', this.stride);
    // Progressive thinning: each further budget of rows is read at twice the stride and weighs double.
    if (!this.opts.expectedRows && ++this.level >= this.budget) { this.level = 0; this.stride *= 2; }
  }

  finish(): ColumnProfile[] {
    const links = findLinks(this.header, this.kept);
    return this.header.map((name, c) => {
      const p = summarize(name, this.stats[c], this.kept.map((r) => r[c] ?? ''), this.opts);
      p.links = links[c];
      return p;
    });
  }
}

/** Profiles every column of a registry (header + rows). */
export function profileColumns(header: string[], rows: Iterable<string[]>, opts: ProfileOptions = {}): ColumnProfile[] {
  const p = new ColumnProfiler(header, opts);
  for (const r of rows) p.add(r);
  return p.finish();
}

/** Profiles one column from a list of raw values (a dump's sample), counting every value exactly. */
export function profileValues(name: string, values: string[]): ColumnProfile {
  const st = new ValueStats(Math.max(4096, values.length), Infinity);
  for (const v of values) st.add(v);
  return summarize(name, st, values, { top: 5000, sketchValues: 0 }, true);
}

/** The vault's JSON form: `{ version: 1, columns: ColumnProfile[] }`. */
export function profilesToJSON(profiles: ColumnProfile[]): string {
  return JSON.stringify({ version: 1, columns: profiles });
}

export function profilesFromJSON(text: string, file?: string): ColumnProfile[] {
  const bad = (why: string): RollmarkError => new RollmarkError('VAULT_CORRUPT', `column profiles: ${why}`, { file });
  let d: { version?: unknown; columns?: unknown };
  try { d = JSON.parse(text); } catch { throw bad('not valid JSON'); }
  if (!d || d.version !== 1 || !Array.isArray(d.columns)) throw bad('expected { version: 1, columns: [...] }');
  d.columns.forEach((c: Partial<ColumnProfile>, i: number) => {
    const lists = ['shapes', 'coarse', 'lengths', 'chars', 'top', 'tokens', 'links'] as const;
    const ok = c && typeof c.name === 'string' && lists.every((k) => Array.isArray(c[k])) && typeof c.unique === 'number';
    if (!ok) throw bad(`column ${i + 1} is malformed`);
  });
  return d.columns as ColumnProfile[];
}
