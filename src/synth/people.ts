import { BORN_ABROAD, ENTIDADES } from '../presets/mx-ine/columns.js';
import { FREE_COMPOUND_SHARE, GIVEN_NAMES, NAME_COHORT_STARTS, SECOND_NAMES } from '../presets/mx-ine/data/given-names.js';
import {
  AGE_GROUPS_FROM_15, BORN_ABROAD_DEFAULT, BORN_ABROAD_SHARE, BORN_ELSEWHERE, MAX_AGE, MIN_AGE, WOMEN_SHARE, womenShareAtAge,
} from '../presets/mx-ine/data/population.js';
import { MAYA_SURNAMES, NATIONAL_SURNAMES, NORTHEAST_SURNAMES, regionalWeights } from '../presets/mx-ine/data/surnames.js';
import { GIVEN_NAME_SPELLINGS } from '../presets/mx-ine/data/variants.js';
import { SKIPPED_FIRST_NAMES } from '../presets/mx-ine/data/renapo.js';
import { ageOn, givenNameLetters, surnameLetters, type NameLetters, type SurnameLetters } from '../presets/mx-ine/identity.js';
import { AliasTable, WeightedChoice } from './alias.js';
import type { Rng } from './prng.js';
import type { Atoms, RowWriter } from './row-writer.js';

/**
 * Who the electors are: sex, birth date by the census age pyramid, birth state, surnames (Zipf
 * national list plus regional ones) and given names by sex and generation. Everything is an
 * index into tables built once, so a section of people is a handful of typed arrays.
 */

/** Index of "born abroad" in the birth-state tables, after the 32 entidades. */
export const ABROAD = 32;
const SINGLE_SURNAME = 0.011;
const NO_SURNAME = 0.00006;

/** The regional surname lists of one entidad, each drawn from with its share before the national list. */
type RegionalSamplers = { share: number; table: AliasTable; ids: Int32Array }[];

export class PeopleModel {
  readonly surnames: string[] = [];
  readonly surnameLetters: SurnameLetters[] = [];
  readonly surnameRank: Int32Array;
  readonly units: string[] = [];
  readonly unitLetters: NameLetters[];
  readonly unitSkip: Uint8Array;
  readonly unitRank: Int32Array;
  /** Atoms of surnames, of units, and of units followed by a space (a first name before a second). */
  readonly surnameAtom: Int32Array;
  private readonly unitAtom: Int32Array;
  private readonly unitSpacedAtom: Int32Array;
  /** How a unit may be spelled as a first name (with its space) followed by another, and as a later name. */
  private readonly unitFirstSpelling: (WeightedChoice<number> | null)[];
  private readonly unitLaterSpelling: (WeightedChoice<number> | null)[];
  /** Per day of birth (index from the oldest possible): FNAC, YYMMDD, year, EDAD. */
  readonly fnac: string[] = [];
  readonly fnacAtom: Int32Array;
  readonly yymmdd: string[] = [];
  readonly birthYear: Int32Array;
  readonly ageOfDay: Uint8Array;
  private readonly ageFirstDay = new Int32Array(MAX_AGE + 1);
  private readonly ageTables: Record<'H' | 'M', AliasTable>;
  private readonly nameTables: Record<'H' | 'M', AliasTable[]>;
  private readonly nameEntries: Record<'H' | 'M', { u1: Int32Array; u2: Int32Array }>;
  private readonly secondUnits: Record<'H' | 'M', Int32Array>;
  private readonly birthStates: AliasTable;
  private readonly nationalSurnames = new AliasTable(NATIONAL_SURNAMES.map(([, w]) => w));
  private readonly regionalSurnames = new Map<number, RegionalSamplers>();
  private readonly surnameId = new Map<string, number>();
  private readonly unitId = new Map<string, number>();

  constructor(asOf: { year: number; month: number; day: number }, atoms: Atoms) {
    // Days of birth from the oldest (just under 101) to the youngest elector (18 on asOf).
    const asOfText = `${asOf.year}-${String(asOf.month).padStart(2, '0')}-${String(asOf.day).padStart(2, '0')}`;
    const end = Date.UTC(asOf.year - MIN_AGE, asOf.month - 1, asOf.day);
    let t = Date.UTC(asOf.year - MAX_AGE - 1, asOf.month - 1, asOf.day) + 86400000;
    const years: number[] = [];
    const ages: number[] = [];
    for (; t <= end; t += 86400000) {
      const d = new Date(t);
      const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
      this.fnac.push(ymd);
      this.yymmdd.push(ymd.slice(2));
      years.push(d.getUTCFullYear());
      ages.push(ageOn(ymd, asOfText));
    }
    this.birthYear = Int32Array.from(years);
    this.ageOfDay = Uint8Array.from(ages);
    // Days run from old to young, so each age is one contiguous run.
    this.ageFirstDay.fill(-1);
    for (let i = ages.length - 1; i >= 0; i--) this.ageFirstDay[ages[i]] = i;
    this.fnacAtom = Int32Array.from(this.fnac.map((d) => atoms.id(d)));

    const pyramid = agePyramid();
    const byAge = (share: (a: number) => number) => pyramid.map((n, i) => n * share(i + MIN_AGE));
    this.ageTables = { M: new AliasTable(byAge(womenShareAtAge)), H: new AliasTable(byAge((a) => 1 - womenShareAtAge(a))) };

    this.birthStates = new AliasTable(ENTIDADES.map((e) => e.listaNominal2024));

    const unit = (u: string) => {
      let id = this.unitId.get(u);
      if (id === undefined) {
        id = this.units.length;
        this.units.push(u);
        this.unitId.set(u, id);
      }
      return id;
    };
    const entries = (sex: 'H' | 'M') => {
      const list = GIVEN_NAMES[sex];
      return { u1: Int32Array.from(list.map((e) => unit(e.first))), u2: Int32Array.from(list.map((e) => (e.second === '' ? -1 : unit(e.second)))) };
    };
    this.nameEntries = { H: entries('H'), M: entries('M') };
    this.secondUnits = { H: Int32Array.from(SECOND_NAMES.H.map(unit)), M: Int32Array.from(SECOND_NAMES.M.map(unit)) };
    this.nameTables = {
      H: [0, 1, 2].map((c) => new AliasTable(GIVEN_NAMES.H.map((e) => e.weights[c]))),
      M: [0, 1, 2].map((c) => new AliasTable(GIVEN_NAMES.M.map((e) => e.weights[c]))),
    };
    this.unitLetters = this.units.map((u) => givenNameLetters(u));
    this.unitSkip = Uint8Array.from(this.units.map((u) => (SKIPPED_FIRST_NAMES.has(u) ? 1 : 0)));
    this.unitRank = ranks(this.units);
    this.unitAtom = Int32Array.from(this.units.map((u) => atoms.id(u)));
    this.unitSpacedAtom = Int32Array.from(this.units.map((u) => atoms.id(u + ' ')));
    const spellings = (u: string, after: string) =>
      WeightedChoice.of(GIVEN_NAME_SPELLINGS[u].map(([s, n]) => [atoms.id(s + after), n] as const));
    this.unitFirstSpelling = this.units.map((u) => (GIVEN_NAME_SPELLINGS[u] ? spellings(u, ' ') : null));
    // MARIA is shortened only at the front (MA. GUADALUPE, never ROSA MA.).
    this.unitLaterSpelling = this.units.map((u) => (u !== 'MARIA' && GIVEN_NAME_SPELLINGS[u] ? spellings(u, '') : null));

    for (const [s] of NATIONAL_SURNAMES) this.surname(s);
    for (const list of [MAYA_SURNAMES, NORTHEAST_SURNAMES]) for (const s of list.names) this.surname(s);
    this.surnameRank = ranks(this.surnames);
    this.surnameAtom = Int32Array.from(this.surnames.map((n) => atoms.id(n)));
  }

  private surname(s: string): number {
    let id = this.surnameId.get(s);
    if (id === undefined) {
      id = this.surnames.length;
      this.surnames.push(s);
      this.surnameLetters.push(surnameLetters(s)!);
      this.surnameId.set(s, id);
    }
    return id;
  }

  private regional(entidad: number): RegionalSamplers {
    let r = this.regionalSurnames.get(entidad);
    if (r) return r;
    const code = ENTIDADES[entidad].code;
    r = [MAYA_SURNAMES, NORTHEAST_SURNAMES].filter((l) => (l.share[code] ?? 0) > 0).map((l) => {
      const weighted = regionalWeights(l);
      return { share: l.share[code], table: new AliasTable(weighted.map(([, w]) => w)), ids: Int32Array.from(weighted.map(([n]) => this.surname(n))) };
    });
    this.regionalSurnames.set(entidad, r);
    return r;
  }

  private drawSurname(regional: RegionalSamplers, rng: Rng): number {
    for (const r of regional) if (rng.chance(r.share)) return r.ids[r.table.sample(rng)];
    return this.nationalSurnames.sample(rng);
  }

  /** Fills `out` with n people living in entidad index `entidad` (0-based, INEGI order). */
  drawPeople(entidad: number, n: number, rng: Rng, out: SectionPeople): void {
    out.reserve(n);
    const code = ENTIDADES[entidad].code;
    const abroad = BORN_ABROAD_SHARE[code] ?? BORN_ABROAD_DEFAULT;
    const elsewhere = BORN_ELSEWHERE[code];
    const surnames = this.regional(entidad);
    const days = this.fnac.length;
    for (let i = 0; i < n; i++) {
      const sex = rng.chance(WOMEN_SHARE) ? 1 : 0;
      const age = this.ageTables[sex ? 'M' : 'H'].sample(rng) + MIN_AGE;
      const lo = this.ageFirstDay[age];
      const hi = age === MIN_AGE ? days : this.ageFirstDay[age - 1];
      const day = lo + rng.below(hi - lo);
      out.sex[i] = sex;
      out.day[i] = day;

      const u = rng.float();
      let birth = entidad;
      if (u < abroad) birth = ABROAD;
      else if (u < abroad + elsewhere) while (birth === entidad) birth = this.birthStates.sample(rng);
      out.birth[i] = birth;

      const v = rng.float();
      out.pat[i] = v < NO_SURNAME ? -1 : this.drawSurname(surnames, rng);
      out.mat[i] = v < SINGLE_SURNAME ? -1 : this.drawSurname(surnames, rng);

      const year = this.birthYear[day];
      const cohort = year < NAME_COHORT_STARTS[0] ? 0 : year < NAME_COHORT_STARTS[1] ? 1 : 2;
      const sx = sex ? 'M' : 'H';
      const e = this.nameTables[sx][cohort].sample(rng);
      const u1 = this.nameEntries[sx].u1[e];
      let u2 = this.nameEntries[sx].u2[e];
      if (u2 < 0 && rng.chance(FREE_COMPOUND_SHARE[cohort])) {
        const second = this.secondUnits[sx];
        u2 = second[rng.below(second.length)];
        if (u2 === u1) u2 = -1;
      }
      out.u1[i] = u1;
      out.u2[i] = u2;
    }
    out.sortAlphabetically(this, n);
  }

  /** The name unit the identifiers use (MARIA/JOSE give way to a second name). */
  identityUnit(u1: number, u2: number): number {
    return u2 >= 0 && this.unitSkip[u1] === 1 ? u2 : u1;
  }

  /** NOMBRE as the list writes it, abbreviations drawn in their usual shares. */
  writeName(u1: number, u2: number, rng: Rng, w: RowWriter): void {
    if (u2 < 0) {
      w.atom(this.unitAtom[u1]);
      return;
    }
    const f = this.unitFirstSpelling[u1];
    const l = this.unitLaterSpelling[u2];
    w.atom(f === null ? this.unitSpacedAtom[u1] : f.pick(rng));
    w.atom(l === null ? this.unitAtom[u2] : l.pick(rng));
  }

  /** CURP state letters and clave state code of a birth-state index. */
  birthCurp(birth: number): string {
    return birth === ABROAD ? BORN_ABROAD.curp : ENTIDADES[birth].curp;
  }
  birthCode(birth: number): string {
    return birth === ABROAD ? BORN_ABROAD.code : ENTIDADES[birth].code;
  }
}

/** One section's people, in reusable typed arrays, and the alphabetical order the list uses. */
export class SectionPeople {
  sex = new Uint8Array(0);
  day = new Int32Array(0);
  birth = new Int8Array(0);
  pat = new Int32Array(0);
  mat = new Int32Array(0);
  u1 = new Int32Array(0);
  u2 = new Int32Array(0);
  /** Row order: indices into the arrays above, by APE_PAT, APE_MAT, NOMBRE. */
  order = new Int32Array(0);
  private keys = new Float64Array(0);

  reserve(n: number): void {
    if (this.sex.length >= n) return;
    const c = Math.max(n, 3072);
    this.sex = new Uint8Array(c);
    this.day = new Int32Array(c);
    this.birth = new Int8Array(c);
    this.pat = new Int32Array(c);
    this.mat = new Int32Array(c);
    this.u1 = new Int32Array(c);
    this.u2 = new Int32Array(c);
    this.order = new Int32Array(c);
    this.keys = new Float64Array(c);
  }

  /** The printed list is alphabetical within a section; one numeric sort key a person. */
  sortAlphabetically(model: PeopleModel, n: number): void {
    const s1 = model.surnames.length + 1;
    const u1n = model.units.length;
    const u2n = model.units.length + 1;
    const idx = n <= 4096 ? 4096 : 2 ** Math.ceil(Math.log2(n));
    for (let i = 0; i < n; i++) {
      const p = this.pat[i] < 0 ? 0 : model.surnameRank[this.pat[i]] + 1;
      const m = this.mat[i] < 0 ? 0 : model.surnameRank[this.mat[i]] + 1;
      const a = model.unitRank[this.u1[i]];
      const b = this.u2[i] < 0 ? 0 : model.unitRank[this.u2[i]] + 1;
      this.keys[i] = (((p * s1 + m) * u1n + a) * u2n + b) * idx + i;
    }
    const sorted = this.keys.subarray(0, n).sort();
    for (let i = 0; i < n; i++) this.order[i] = sorted[i] % idx;
  }
}

/** Per-age weights for 18..100, interpolated between the census groups' midpoints. */
function agePyramid(): number[] {
  const perYear = AGE_GROUPS_FROM_15.map((n) => n / 5);
  const out: number[] = [];
  for (let age = MIN_AGE; age <= MAX_AGE; age++) {
    const x = (age - 17) / 5; // group midpoints at 17, 22, 27 ...
    const g = Math.min(perYear.length - 1, Math.max(0, Math.floor(x)));
    const f = Math.min(1, Math.max(0, x - g));
    out.push(perYear[g] + (perYear[Math.min(perYear.length - 1, g + 1)] - perYear[g]) * f);
  }
  return out;
}

/** Alphabetical rank of each string, in Spanish order (Ñ after N). */
function ranks(xs: readonly string[]): Int32Array {
  const collator = new Intl.Collator('es');
  const order = xs.map((_, i) => i).sort((a, b) => collator.compare(xs[a], xs[b]));
  const out = new Int32Array(xs.length);
  order.forEach((i, r) => (out[i] = r));
  return out;
}
