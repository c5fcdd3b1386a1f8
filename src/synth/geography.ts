import type { Entidad } from '../presets/mx-ine/columns.js';
import { POSTAL_PREFIXES } from '../presets/mx-ine/data/addresses.js';
import { HEROES, MUNICIPIOS, SAINTS, TOPONYMS } from '../presets/mx-ine/data/municipios.js';
import { ELECTORS_PER_SECTION } from '../presets/mx-ine/data/population.js';
import { Rng } from './prng.js';

/**
 * The registry's geography, planned before any person is drawn: rows per entidad (2024 lista
 * nominal shares, largest remainder), municipios with INE-style alphabetical codes, sections of
 * 100 to 3,000 rows numbered upwards through the entidad in municipio order, and a federal
 * district for each section.
 */

export interface MunicipioPlan {
  /** 1-based, alphabetical within the entidad (as INE numbers them). */
  code: number;
  name: string;
  /** 1 = largest. */
  rank: number;
  /** First two digits of the municipio's postal codes. */
  postalPrefix: number;
  /** Chance that one of its sections is rural. */
  ruralShare: number;
}

export interface SectionPlan {
  number: number;
  rows: number;
  distrito: number;
  municipio: MunicipioPlan;
  rural: boolean;
  /** The municipio's first section: the one that holds its centre. */
  seat: boolean;
}

export interface EntidadPlan {
  entidad: Entidad;
  rows: number;
  sections: SectionPlan[];
}

export interface RegistryPlan {
  entidades: EntidadPlan[];
  /** SECCION is zero-padded to this width, so text order and number order agree. */
  sectionWidth: number;
}

const MIN_SECTION = 100;
const MAX_SECTION = 3000;

/** Splits `total` in proportion to `weights`: floors, then the largest remainders get one more. */
export function allocateByShares(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, n) => s + n, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j++, left--) out[order[j % order.length][1]]++;
  return out;
}

export function planRegistry(rows: number, states: readonly Entidad[], seed: string): RegistryPlan {
  const rng = new Rng(seed, 'geography');
  const counts = allocateByShares(rows, states.map((e) => e.listaNominal2024));
  const entidades: EntidadPlan[] = [];
  let maxNumber = 0;
  states.forEach((entidad, i) => {
    if (counts[i] === 0) return;
    const plan = planEntidad(entidad, counts[i], rng);
    maxNumber = Math.max(maxNumber, plan.sections[plan.sections.length - 1].number);
    entidades.push(plan);
  });
  return { entidades, sectionWidth: Math.max(4, String(maxNumber).length) };
}

function planEntidad(entidad: Entidad, n: number, rng: Rng): EntidadPlan {
  const k = n < MIN_SECTION ? 1 : Math.min(Math.floor(n / MIN_SECTION), Math.max(Math.ceil(n / MAX_SECTION), Math.round(n / ELECTORS_PER_SECTION), 1));
  const sizes = sectionSizes(n, k, rng);
  const municipios = municipiosOf(entidad);
  const used = municipios.slice().sort((a, b) => a.rank - b.rank).slice(0, Math.min(k, municipios.length));
  const perMunicipio = allocateByShares(k - used.length, used.map((m) => weightOf(entidad, m.rank))).map((x) => x + 1);
  const sectionsOf = new Map(used.map((m, i) => [m, perMunicipio[i]]));
  const realSections = Math.max(k, Math.round(entidad.listaNominal2024 / ELECTORS_PER_SECTION));

  const sections: SectionPlan[] = [];
  let j = 0;
  let before = 0;
  for (const m of municipios) {
    const c = sectionsOf.get(m) ?? 0;
    for (let s = 0; s < c; s++, j++) {
      // Spread k section numbers over the entidad's real range, so numbers look alike at any size.
      const lo = Math.floor((j * realSections) / k) + 1;
      const hi = Math.floor(((j + 1) * realSections) / k);
      const rows = sizes[j];
      sections.push({
        number: rng.between(lo, hi),
        rows,
        distrito: 1 + Math.min(entidad.federalDistricts - 1, Math.floor((before / n) * entidad.federalDistricts)),
        municipio: m,
        rural: rng.chance(m.ruralShare),
        seat: s === 0,
      });
      before += rows;
    }
  }
  return { entidad, rows: n, sections };
}

/** k sizes in [100, 3000] summing to n, spread like real sections (lognormal around 1,200). */
function sectionSizes(n: number, k: number, rng: Rng): number[] {
  if (k === 1) return [n];
  const target = Array.from({ length: k }, () => Math.exp(Math.log(1200) + 0.5 * rng.normal()));
  const clamp = (x: number) => Math.min(MAX_SECTION, Math.max(MIN_SECTION, x));
  let lo = 0;
  let hi = 1;
  while (target.reduce((s, t) => s + clamp(t * hi), 0) < n) hi *= 2;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (target.reduce((s, t) => s + clamp(t * mid), 0) < n) lo = mid;
    else hi = mid;
  }
  const exact = target.map((t) => clamp(t * hi));
  const out = exact.map(Math.floor);
  let left = n - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0 && j < order.length; j++) {
    const i = order[j][1];
    if (out[i] < MAX_SECTION) {
      out[i]++;
      left--;
    }
  }
  for (let i = 0; left !== 0; i = (i + 1) % k) {
    // Rounding can leave a few rows over (or under) when many sizes sit at a bound.
    if (left > 0 && out[i] < MAX_SECTION) (out[i]++, left--);
    else if (left < 0 && out[i] > MIN_SECTION) (out[i]--, left++);
  }
  return out;
}

function weightOf(entidad: Entidad, rank: number): number {
  return 1 / Math.pow(rank, entidad.code === '09' ? 0.9 : 1);
}

const municipioCache = new Map<string, MunicipioPlan[]>();

/**
 * Every municipio of an entidad in code order: the real names, then generated ones in the
 * entidad's naming style up to the real count. Independent of the seed, so MUNICIPIO codes mean
 * the same in every synthetic registry.
 */
export function municipiosOf(entidad: Entidad): MunicipioPlan[] {
  const cached = municipioCache.get(entidad.code);
  if (cached) return cached;
  const { count, names } = MUNICIPIOS[entidad.code];
  const rng = new Rng(entidad.code, 'municipio-names');
  const all = [...names];
  const seen = new Set(all);
  while (all.length < count) {
    const name = generatedMunicipioName(entidad.code, rng);
    if (!seen.has(name)) {
      seen.add(name);
      all.push(name);
    }
  }
  const byName = all.map((name, i) => ({ name, rank: i + 1 })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const [pLo, pHi] = POSTAL_PREFIXES[entidad.code];
  const plans = byName.map(({ name, rank }, i) => ({
    code: i + 1,
    name,
    rank,
    postalPrefix: entidad.code === '09' ? pLo + i : pLo + ((rank - 1) % (pHi - pLo + 1)),
    ruralShare: entidad.code === '09' ? 0.01 : rank === 1 ? 0.03 : Math.min(0.85, 0.05 + 0.1 * Math.log(rank)),
  }));
  municipioCache.set(entidad.code, plans);
  return plans;
}

const SAINTLY = new Set(['07', '12', '13', '15', '16', '17', '20', '21', '29', '30']);
const PLACE_WORDS = ['DEL RIO', 'DEL ORO', 'DEL MEZQUITAL', 'DE LAS FLORES', 'DEL PROGRESO', 'DE LA SIERRA', 'DEL VALLE'];

/** A plausible municipio name: saint and Nahuatl toponym in the south, heroes in the north. */
function generatedMunicipioName(code: string, rng: Rng): string {
  const pick = <T>(xs: readonly T[]) => xs[rng.below(xs.length)];
  const r = rng.float();
  if (SAINTLY.has(code)) {
    const saintly = code === '20' ? 0.75 : 0.45;
    if (r < saintly) return `${pick(SAINTS)} ${pick(TOPONYMS)}`;
    if (r < saintly + (1 - saintly) * 0.6) return pick(TOPONYMS);
    return `${pick(TOPONYMS)} DE ${pick(HEROES)}`;
  }
  if (r < 0.25) return `GENERAL ${pick(HEROES)}`;
  if (r < 0.45) return `VILLA ${pick(HEROES)}`;
  if (r < 0.7) return `${pick(SAINTS)} ${pick(PLACE_WORDS)}`;
  if (r < 0.85) return `${pick(SAINTS)} DE ${pick(HEROES)}`;
  return pick(TOPONYMS);
}
