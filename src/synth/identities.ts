import { CURP_ALPHABET, INCONVENIENT_WORDS } from '../presets/mx-ine/data/renapo.js';
import { RollmarkError } from '../errors.js';
import { ABROAD, type PeopleModel, type SectionPeople } from './people.js';
import type { Rng } from './prng.js';
import type { RowWriter } from './row-writer.js';
import { KeyFilter } from './unique.js';

/**
 * CURP and clave de elector for generated people, fast. The letters come from identity.ts
 * (surnameLetters, givenNameLetters) once per surname and name; what remains per row is filling
 * 18 ASCII bytes from alphabet values and a check digit summed from precomputed partial sums.
 * The result is the string composeCurp / composeClave give for the same person (the tests hold
 * every row to independent rules).
 *
 * Homonyms: the homoclave is 0 (A from 2000) for the CURP and 00 for the clave's homonym number
 * unless the key filter says an earlier row may hold the same identifier; then the next one is
 * taken. The filter has no false negatives, so every CURP and clave is unique.
 */

const X = CURP_ALPHABET.indexOf('X');
const CURP_HOMOCLAVES = ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const HOMOCLAVE_VALUES = CURP_HOMOCLAVES.map((set) => [...set].map((c) => CURP_ALPHABET.indexOf(c)));
const value = (c: string) => CURP_ALPHABET.indexOf(c);
/** ASCII code of each alphabet value. Ñ never reaches an identifier (it is read as X). */
const CHAR = Uint8Array.from([...CURP_ALPHABET].map((c) => (c === 'Ñ' ? 88 : c.charCodeAt(0))));

export class IdentityIssuer {
  private readonly filter: KeyFilter;
  // Alphabet values of each surname's initial, internal vowel and internal consonant, and of
  // each given-name unit's initial and internal consonant.
  private readonly sInit: Int32Array;
  private readonly sVowel: Int32Array;
  private readonly sCons: Int32Array;
  private readonly nInit: Int32Array;
  private readonly nCons: Int32Array;
  // Per day of birth: check-digit sum of YYMMDD at CURP positions 5-10, and its six ASCII bytes.
  private readonly daySum: Int32Array;
  private readonly dayBytes: Uint8Array;
  private readonly inconvenient: Uint8Array;
  // Per birth state and sex: check-digit sum of CURP's sex and state letters.
  private readonly sexStateSum: Int32Array;
  // Per birth state: CURP letters and clave code, two ASCII bytes each.
  private readonly stateBytes: Uint8Array;
  private readonly codeBytes: Uint8Array;
  /** The current person's identifiers, as ASCII bytes. */
  private readonly curp = new Uint8Array(18);
  private readonly clave = new Uint8Array(18);
  /** Filter block and salt of each person of the current section (see locate). */
  private blockOf = new Int32Array(0);
  private saltOf = new Int32Array(0);
  /** Sink for the words read while locating, so the reads are not optimised away. */
  touched = 0;

  constructor(private readonly model: PeopleModel, rows: number) {
    this.filter = new KeyFilter(2 * rows);
    const sl = model.surnameLetters;
    this.sInit = Int32Array.from(sl.map((l) => value(l.initial)));
    this.sVowel = Int32Array.from(sl.map((l) => value(l.vowel)));
    this.sCons = Int32Array.from(sl.map((l) => value(l.consonant)));
    const nl = model.unitLetters;
    this.nInit = Int32Array.from(nl.map((l) => value(l.initial)));
    this.nCons = Int32Array.from(nl.map((l) => value(l.consonant)));
    this.daySum = Int32Array.from(model.yymmdd.map((d) => [...d].reduce((s, c, i) => s + value(c) * (14 - i), 0)));
    this.dayBytes = Uint8Array.from(model.yymmdd.flatMap((d) => [...d].map((c) => c.charCodeAt(0))));
    this.inconvenient = new Uint8Array(37 ** 4);
    for (const w of INCONVENIENT_WORDS) this.inconvenient[headCode(value(w[0]), value(w[1]), value(w[2]), value(w[3]))] = 1;
    const sums: number[] = [];
    const states: number[] = [];
    const codes: number[] = [];
    for (let b = 0; b <= ABROAD; b++) {
      const state = model.birthCurp(b);
      for (const sex of ['H', 'M']) sums.push(value(sex) * 8 + value(state[0]) * 7 + value(state[1]) * 6);
      states.push(state.charCodeAt(0), state.charCodeAt(1));
      codes.push(model.birthCode(b).charCodeAt(0), model.birthCode(b).charCodeAt(1));
    }
    this.sexStateSum = Int32Array.from(sums);
    this.stateBytes = Uint8Array.from(states);
    this.codeBytes = Uint8Array.from(codes);
  }

  /**
   * Locates the filter blocks of a section's people before any of them is issued: the loads of
   * all blocks are then in flight together (see KeyFilter.locate).
   */
  locate(people: SectionPeople, n: number): void {
    if (this.blockOf.length < n) {
      this.blockOf = new Int32Array(Math.max(n, 3072));
      this.saltOf = new Int32Array(Math.max(n, 3072));
    }
    const m = this.model;
    let touched = 0;
    for (let i = 0; i < n; i++) {
      const pat = people.pat[i];
      const mat = people.mat[i];
      const u = m.identityUnit(people.u1[i], people.u2[i]);
      const p12 = pat < 0 ? X * 64 + X : this.sInit[pat] * 64 + this.sCons[pat];
      const m12 = mat < 0 ? X * 64 + X : this.sInit[mat] * 64 + this.sCons[mat];
      touched ^= this.filter.locate(p12 | (m12 << 12) | (this.nInit[u] << 24) | (people.sex[i] << 30),
        this.nCons[u] | (people.birth[i] << 6), people.day[i], this.blockOf, this.saltOf, i);
    }
    this.touched ^= touched;
  }

  /**
   * Works out CURP and clave of person i of the located section; `rng` draws the clave's first
   * homoclave digit. CURP and clave share everything but the CURP's vowel and the homoclaves,
   * so both go to the one filter block located for the person.
   */
  issue(people: SectionPeople, i: number, rng: Rng): void {
    const m = this.model;
    const pat = people.pat[i];
    const mat = people.mat[i];
    const day = people.day[i];
    const sex = people.sex[i];
    const birth = people.birth[i];
    const u = m.identityUnit(people.u1[i], people.u2[i]);
    // The generator gives a person no first surname only when it gives no surname at all, so
    // the single-surname shift of composeCurp never applies here.
    const h0 = pat < 0 ? X : this.sInit[pat];
    let h1 = pat < 0 ? X : this.sVowel[pat];
    const h2 = mat < 0 ? X : this.sInit[mat];
    const h3 = this.nInit[u];
    if (this.inconvenient[headCode(h0, h1, h2, h3)] === 1) h1 = X;
    const c0 = pat < 0 ? X : this.sCons[pat];
    const c1 = mat < 0 ? X : this.sCons[mat];
    const c2 = this.nCons[u];
    const partial = h0 * 18 + h1 * 17 + h2 * 16 + h3 * 15 + this.daySum[day] + this.sexStateSum[birth * 2 + sex] + c0 * 5 + c1 * 4 + c2 * 3;
    const base = this.blockOf[i];
    const salt = this.saltOf[i];
    const century = m.birthYear[day] < 2000 ? 0 : 1;
    let h = 0;
    while (this.filter.addIfAbsent(base, salt, h1 + 37 * h)) {
      if (++h === CURP_HOMOCLAVES[century].length) throw new RollmarkError('INTERNAL', 'synth: no free CURP homoclave');
    }
    const hv = HOMOCLAVE_VALUES[century][h];
    const digit = rng.below(10);
    let k = 0;
    while (this.filter.addIfAbsent(base, salt, 0x10000 + digit + 10 * k)) {
      if (++k === 100) throw new RollmarkError('INTERNAL', 'synth: no free clave homonym number');
    }

    const sexByte = sex ? 77 : 72;
    const d = day * 6;
    const days = this.dayBytes;
    const curp = this.curp;
    curp[0] = CHAR[h0];
    curp[1] = CHAR[h1];
    curp[2] = CHAR[h2];
    curp[3] = CHAR[h3];
    for (let i = 0; i < 6; i++) curp[4 + i] = days[d + i];
    curp[10] = sexByte;
    curp[11] = this.stateBytes[birth * 2];
    curp[12] = this.stateBytes[birth * 2 + 1];
    curp[13] = CHAR[c0];
    curp[14] = CHAR[c1];
    curp[15] = CHAR[c2];
    curp[16] = CHAR[hv];
    curp[17] = 48 + ((10 - ((partial + hv * 2) % 10)) % 10);

    const clave = this.clave;
    clave[0] = CHAR[h0];
    clave[1] = CHAR[c0];
    clave[2] = CHAR[h2];
    clave[3] = CHAR[c1];
    clave[4] = CHAR[h3];
    clave[5] = CHAR[c2];
    for (let i = 0; i < 6; i++) clave[6 + i] = days[d + i];
    clave[12] = this.codeBytes[birth * 2];
    clave[13] = this.codeBytes[birth * 2 + 1];
    clave[14] = sexByte;
    clave[15] = 48 + digit;
    clave[16] = 48 + ((k / 10) | 0);
    clave[17] = 48 + (k % 10);
  }

  writeCurp(w: RowWriter): void {
    w.ascii(this.curp, 0, 18);
  }

  writeClave(w: RowWriter): void {
    w.ascii(this.clave, 0, 18);
  }
}

function headCode(a: number, b: number, c: number, d: number): number {
  return ((a * 37 + b) * 37 + c) * 37 + d;
}
