import { COL } from '../presets/mx-ine/columns.js';
import { CURP_ALPHABET, INCONVENIENT_WORDS } from '../presets/mx-ine/data/renapo.js';
import { RollmarkError } from '../errors.js';
import { ABROAD, type PeopleModel } from './people.js';
import type { Rng } from './prng.js';
import { KeyFilter } from './unique.js';

/**
 * CURP and clave de elector for generated people, fast. The letters come from identity.ts
 * (surnameLetters, givenNameLetters) once per surname and name; what remains per row is pasting
 * precomputed pieces and a check digit summed from precomputed partial sums. The result is the
 * same string composeCurp / composeClave give (the tests hold every row to independent rules).
 *
 * Homonyms: the homoclave is 0 (A from 2000) for the CURP and 00 for the clave's homonym number
 * unless the key filter says an earlier row may hold the same identifier; then the next one is
 * taken. The filter has no false negatives, so every CURP and clave is unique.
 */

const X = CURP_ALPHABET.indexOf('X');
const CURP_HOMOCLAVES = ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const HOMONYMS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const value = (c: string) => CURP_ALPHABET.indexOf(c);

export class IdentityIssuer {
  private readonly filter: KeyFilter;
  // Per surname: CURP head (initial + vowel), the same with X for an inconvenient word,
  // and alphabet values; the clave pair and its code.
  private readonly head: string[];
  private readonly headX: string[];
  private readonly sInit: Int32Array;
  private readonly sVowel: Int32Array;
  private readonly sCons: Int32Array;
  private readonly sInitText: string[];
  private readonly sConsText: string[];
  private readonly sPair: string[];
  // Per given-name unit: initial and internal consonant, as text and value.
  private readonly nInit: Int32Array;
  private readonly nCons: Int32Array;
  private readonly nInitText: string[];
  private readonly nConsText: string[];
  private readonly nPair: string[];
  // Per day of birth: check-digit sum of YYMMDD at CURP positions 5-10.
  private readonly daySum: Int32Array;
  private readonly inconvenient: Uint8Array;
  private readonly sexState: string[] = [];
  private readonly sexStateSum: Int32Array;

  constructor(private readonly model: PeopleModel, rows: number) {
    this.filter = new KeyFilter(2 * rows);
    const sl = model.surnameLetters;
    this.head = sl.map((l) => l.initial + l.vowel);
    this.headX = sl.map((l) => l.initial + 'X');
    this.sInit = Int32Array.from(sl.map((l) => value(l.initial)));
    this.sVowel = Int32Array.from(sl.map((l) => value(l.vowel)));
    this.sCons = Int32Array.from(sl.map((l) => value(l.consonant)));
    this.sInitText = sl.map((l) => l.initial);
    this.sConsText = sl.map((l) => l.consonant);
    this.sPair = sl.map((l) => l.initial + l.consonant);
    const nl = model.unitLetters;
    this.nInit = Int32Array.from(nl.map((l) => value(l.initial)));
    this.nCons = Int32Array.from(nl.map((l) => value(l.consonant)));
    this.nInitText = nl.map((l) => l.initial);
    this.nConsText = nl.map((l) => l.consonant);
    this.nPair = nl.map((l) => l.initial + l.consonant);
    this.daySum = Int32Array.from(model.yymmdd.map((d) => [...d].reduce((s, c, i) => s + value(c) * (14 - i), 0)));
    this.inconvenient = new Uint8Array(37 ** 4);
    for (const w of INCONVENIENT_WORDS) this.inconvenient[headCode(value(w[0]), value(w[1]), value(w[2]), value(w[3]))] = 1;
    const sums: number[] = [];
    for (let b = 0; b <= ABROAD; b++) {
      for (const sex of ['H', 'M']) {
        const text = sex + model.birthCurp(b);
        this.sexState.push(text);
        sums.push(value(text[0]) * 8 + value(text[1]) * 7 + value(text[2]) * 6);
      }
    }
    this.sexStateSum = Int32Array.from(sums);
  }

  /** Writes CURP and ELECTOR of a person into `f`. `rng` draws the clave's first homoclave digit. */
  issue(pat: number, mat: number, u1: number, u2: number, day: number, sex: number, birth: number, rng: Rng, f: string[]): void {
    const m = this.model;
    const u = m.identityUnit(u1, u2);
    // The generator gives a person no first surname only when it gives no surname at all, so
    // the single-surname shift of composeCurp never applies here.
    const h0 = pat < 0 ? X : this.sInit[pat];
    let h1 = pat < 0 ? X : this.sVowel[pat];
    const h2 = mat < 0 ? X : this.sInit[mat];
    const h3 = this.nInit[u];
    let head = pat < 0 ? 'XX' : this.head[pat];
    if (this.inconvenient[headCode(h0, h1, h2, h3)] === 1) {
      h1 = X;
      head = this.headX[pat];
    }
    const c0 = pat < 0 ? X : this.sCons[pat];
    const c1 = mat < 0 ? X : this.sCons[mat];
    const c2 = this.nCons[u];
    const ss = birth * 2 + sex;
    const partial = h0 * 18 + h1 * 17 + h2 * 16 + h3 * 15 + this.daySum[day] + this.sexStateSum[ss] + c0 * 5 + c1 * 4 + c2 * 3;
    const body = head + (mat < 0 ? 'X' : this.sInitText[mat]) + this.nInitText[u] + m.yymmdd[day] + this.sexState[ss]
      + (pat < 0 ? 'X' : this.sConsText[pat]) + (mat < 0 ? 'X' : this.sConsText[mat]) + this.nConsText[u];
    const homoclaves = CURP_HOMOCLAVES[m.birthYear[day] < 2000 ? 0 : 1];
    const a = headCode(h0, h1, h2, h3) | (birth << 21) | (sex << 27);
    const b = (c0 * 37 + c1) * 37 + c2;
    let h = 0;
    while (this.filter.addIfAbsent3(a, b + (h << 16), day)) {
      if (++h === homoclaves.length) throw new RollmarkError('INTERNAL', `synth: no free CURP homoclave for ${body}`);
    }
    const hv = value(homoclaves[h]);
    f[COL.CURP] = body + homoclaves[h] + String((10 - ((partial + hv * 2) % 10)) % 10);

    const p12 = pat < 0 ? X * 64 + X : this.sInit[pat] * 64 + this.sCons[pat];
    const m12 = mat < 0 ? X * 64 + X : this.sInit[mat] * 64 + this.sCons[mat];
    const digit = rng.below(10);
    const ka = (p12 | (m12 << 12) | (this.nInit[u] << 24) | (sex << 30) | (1 << 31)) >>> 0;
    const kb = this.nCons[u] | (birth << 6) | (digit << 12);
    let k = 0;
    while (this.filter.addIfAbsent3(ka, kb | (k << 16), day)) {
      if (++k === HOMONYMS.length) throw new RollmarkError('INTERNAL', `synth: no free clave homonym number for ${body}`);
    }
    f[COL.ELECTOR] = (pat < 0 ? 'XX' : this.sPair[pat]) + (mat < 0 ? 'XX' : this.sPair[mat]) + this.nPair[u]
      + m.yymmdd[day] + m.birthCode(birth) + (sex ? 'M' : 'H') + digit + HOMONYMS[k];
  }
}

function headCode(a: number, b: number, c: number, d: number): number {
  return ((a * 37 + b) * 37 + c) * 37 + d;
}
