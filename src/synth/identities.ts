import { CURP_ALPHABET, INCONVENIENT_WORDS } from '../presets/mx-ine/data/renapo.js';
import { RollmarkError } from '../errors.js';
import { ABROAD, type PeopleModel } from './people.js';
import type { Rng } from './prng.js';
import type { RowWriter } from './row-writer.js';
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
const DIGITS = '0123456789'.split('');
const HOMOCLAVE_VALUES = CURP_HOMOCLAVES.map((set) => [...set].map((c) => CURP_ALPHABET.indexOf(c)));
const value = (c: string) => CURP_ALPHABET.indexOf(c);

export class IdentityIssuer {
  private readonly filter: KeyFilter;
  // Per surname: CURP head (initial + vowel), the same with X for an inconvenient word,
  // and alphabet values; the clave pair and its code.
  private readonly headText: string[];
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
  // Two- and three-character pieces by alphabet value, so a CURP is written in six pieces.
  private readonly pairText: string[] = [];
  private readonly tailText: string[] = [];
  private readonly birthSex: string[] = [];
  private readonly homoclave3: string[] = [];

  constructor(private readonly model: PeopleModel, rows: number) {
    this.filter = new KeyFilter(2 * rows);
    const sl = model.surnameLetters;
    this.headText = sl.map((l) => l.initial + l.vowel);
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
    for (const a of CURP_ALPHABET) for (const b of CURP_ALPHABET) this.pairText.push(a + b);
    for (const a of CURP_ALPHABET) for (const b of CURP_ALPHABET) for (const d of DIGITS) this.tailText.push(a + b + d);
    for (let b = 0; b <= ABROAD; b++) for (const sex of ['H', 'M']) this.birthSex.push(model.birthCode(b) + sex);
    for (const d of DIGITS) for (const k of HOMONYMS) this.homoclave3.push(d + k);
  }

  // The current person's pieces, kept between issue() and the writes.
  private pat = -1;
  private mat = -1;
  private unit = 0;
  private day = 0;
  private sex = 0;
  private birth = 0;
  private head = '';
  private middle = 0;
  private consonants = 0;
  private tail = 0;
  private homoclave = 0;

  /** Works out CURP and clave of a person; `rng` draws the clave's first homoclave digit. */
  issue(pat: number, mat: number, u1: number, u2: number, day: number, sex: number, birth: number, rng: Rng): void {
    const m = this.model;
    const u = m.identityUnit(u1, u2);
    this.pat = pat;
    this.mat = mat;
    this.unit = u;
    this.day = day;
    this.sex = sex;
    this.birth = birth;
    // The generator gives a person no first surname only when it gives no surname at all, so
    // the single-surname shift of composeCurp never applies here.
    const h0 = pat < 0 ? X : this.sInit[pat];
    let h1 = pat < 0 ? X : this.sVowel[pat];
    const h2 = mat < 0 ? X : this.sInit[mat];
    const h3 = this.nInit[u];
    this.head = pat < 0 ? 'XX' : this.headText[pat];
    if (this.inconvenient[headCode(h0, h1, h2, h3)] === 1) {
      h1 = X;
      this.head = this.headX[pat];
    }
    const c0 = pat < 0 ? X : this.sCons[pat];
    const c1 = mat < 0 ? X : this.sCons[mat];
    const c2 = this.nCons[u];
    const partial = h0 * 18 + h1 * 17 + h2 * 16 + h3 * 15 + this.daySum[day] + this.sexStateSum[birth * 2 + sex] + c0 * 5 + c1 * 4 + c2 * 3;
    // CURP and clave share everything but the CURP's vowel and the homoclaves: one filter block.
    const p12 = pat < 0 ? X * 64 + X : this.sInit[pat] * 64 + this.sCons[pat];
    const m12 = mat < 0 ? X * 64 + X : this.sInit[mat] * 64 + this.sCons[mat];
    const base = this.filter.block(p12 | (m12 << 12) | (h3 << 24) | (sex << 30), c2 | (birth << 6), day);
    const century = m.birthYear[day] < 2000 ? 0 : 1;
    const homoclaves = CURP_HOMOCLAVES[century];
    let h = 0;
    while (this.filter.addIfAbsent(base, h1 + 37 * h)) {
      if (++h === homoclaves.length) throw new RollmarkError('INTERNAL', 'synth: no free CURP homoclave');
    }
    const hv = HOMOCLAVE_VALUES[century][h];
    this.middle = h2 * 37 + h3;
    this.consonants = c0 * 37 + c1;
    this.tail = (c2 * 37 + hv) * 10 + ((10 - ((partial + hv * 2) % 10)) % 10);

    const digit = rng.below(10);
    let k = 0;
    while (this.filter.addIfAbsent(base, 0x10000 + digit + 10 * k)) {
      if (++k === HOMONYMS.length) throw new RollmarkError('INTERNAL', 'synth: no free clave homonym number');
    }
    this.homoclave = digit * 100 + k;
  }

  writeCurp(w: RowWriter): void {
    w.text(this.head);
    w.text(this.pairText[this.middle]);
    w.text(this.model.yymmdd[this.day]);
    w.text(this.sexState[this.birth * 2 + this.sex]);
    w.text(this.pairText[this.consonants]);
    w.text(this.tailText[this.tail]);
  }

  writeClave(w: RowWriter): void {
    const { pat, mat } = this;
    w.text(pat < 0 ? 'XX' : this.sPair[pat]);
    w.text(mat < 0 ? 'XX' : this.sPair[mat]);
    w.text(this.nPair[this.unit]);
    w.text(this.model.yymmdd[this.day]);
    w.text(this.birthSex[this.birth * 2 + this.sex]);
    w.text(this.homoclave3[this.homoclave]);
  }
}

function headCode(a: number, b: number, c: number, d: number): number {
  return ((a * 37 + b) * 37 + c) * 37 + d;
}
