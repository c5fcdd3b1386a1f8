import { RollmarkError } from '../../errors.js';
import { BORN_ABROAD, ENTIDADES } from './columns.js';
import { CURP_ALPHABET, INCONVENIENT_WORDS, NAME_PARTICLES, SKIPPED_FIRST_NAMES } from './data/renapo.js';
import { GIVEN_NAME_ABBREVIATIONS } from './data/variants.js';

/**
 * The identifiers of a Mexican elector, derived from name, birth date, sex and birth state:
 * the CURP by RENAPO's instructivo normativo, the clave de elector by the rule INE's credential
 * shows (documented at `claveElectorFor`). Pure functions over any such tuple, so a composed
 * canary row gets identifiers that pass every rule a real row passes.
 *
 * One deliberate reading: the list's own abbreviations of given names (MA., GPE., FCO.) are read
 * as the full names. The identifiers come from the birth record, where names are written out, so
 * a row's identifiers must not change when a copy writes MA. for MARIA.
 */

export type Sexo = 'H' | 'M';

export interface IdentityPerson {
  apePat: string;
  /** '' for a person with one surname. */
  apeMat: string;
  nombre: string;
  /** YYYYMMDD. */
  fnac: string;
  sexo: Sexo;
}

export interface CurpPerson extends IdentityPerson {
  /** The CURP state letters (AS .. ZS, or NE for a birth abroad). */
  birthState: string;
}

export interface ClavePerson extends IdentityPerson {
  /** Two-digit birth entidad '01'..'32', or '87' for a birth abroad. */
  birthStateCode: string;
}

/** The letters a surname contributes; null stands for a missing surname. */
export interface SurnameLetters {
  initial: string;
  vowel: string;
  consonant: string;
}

/** The letters the given name contributes. */
export interface NameLetters {
  initial: string;
  consonant: string;
}

const COMBINING = /[\u0300-\u036f]/g;
const CLEAN = /^[A-Z .Ñ]*$/;

/** Uppercase, accents dropped but Ñ kept, one space between words, trimmed. */
export function normalizeName(s: string): string {
  let t = s.toUpperCase();
  if (!CLEAN.test(t)) t = t.normalize('NFD').replace(/N\u0303/g, 'Ñ').replace(COMBINING, '').normalize('NFC');
  return t.replace(/\s+/g, ' ').trim();
}

function isVowel(c: string): boolean {
  return c === 'A' || c === 'E' || c === 'I' || c === 'O' || c === 'U';
}

/** A first letter: Ñ and anything that is not A-Z become X. */
function initialOf(word: string): string {
  const c = word[0];
  return c !== undefined && c >= 'A' && c <= 'Z' ? c : 'X';
}

/** First vowel after the first letter, or X. */
function internalVowel(word: string): string {
  for (let i = 1; i < word.length; i++) if (isVowel(word[i])) return word[i];
  return 'X';
}

/** First consonant after the first letter (Ñ counts, and becomes X), or X. */
function internalConsonant(word: string): string {
  for (let i = 1; i < word.length; i++) {
    const c = word[i];
    if (c === 'Ñ') return 'X';
    if (c >= 'A' && c <= 'Z' && !isVowel(c)) return c;
  }
  return 'X';
}

/** The words that count: particles dropped (unless nothing else is left). */
function significantWords(name: string): string[] {
  const all = normalizeName(name).split(' ').filter((w) => w !== '');
  const kept = all.filter((w) => !NAME_PARTICLES.has(w));
  return kept.length > 0 ? kept : all;
}

/** The letters of a surname (first significant word), or null when it is empty. */
export function surnameLetters(surname: string): SurnameLetters | null {
  const w = significantWords(surname)[0];
  if (w === undefined) return null;
  return { initial: initialOf(w), vowel: internalVowel(w), consonant: internalConsonant(w) };
}

/**
 * The given-name word the identifiers use: abbreviations read in full, particles dropped, and
 * MARIA/JOSE (with their short forms) giving way to a second name when there is one.
 */
export function identityGivenName(nombre: string): string {
  const ws = significantWords(nombre).map((w) => GIVEN_NAME_ABBREVIATIONS.get(w) ?? w);
  if (ws.length > 1 && SKIPPED_FIRST_NAMES.has(ws[0])) return ws[1];
  return ws[0] ?? '';
}

export function givenNameLetters(nombre: string): NameLetters {
  const w = identityGivenName(nombre);
  return { initial: initialOf(w), consonant: internalConsonant(w) };
}

/** A person with one surname has it read as the first (RENAPO: the missing one is X). */
function orderSurnames(pat: SurnameLetters | null, mat: SurnameLetters | null): [SurnameLetters | null, SurnameLetters | null] {
  return pat === null && mat !== null ? [mat, null] : [pat, mat];
}

/**
 * The CURP from its parts, trusted as already checked: positions 1-4 (with the inconvenient-word
 * rule), birth date, sex, state, the three internal consonants, homoclave and check digit.
 */
export function composeCurp(
  pat: SurnameLetters | null, mat: SurnameLetters | null, name: NameLetters,
  yymmdd: string, sexo: string, state: string, homoclave: string,
): string {
  [pat, mat] = orderSurnames(pat, mat);
  let head = (pat === null ? 'XX' : pat.initial + pat.vowel) + (mat === null ? 'X' : mat.initial) + name.initial;
  if (INCONVENIENT_WORDS.has(head)) head = head[0] + 'X' + head.slice(2);
  const first17 = head + yymmdd + sexo + state + (pat === null ? 'X' : pat.consonant)
    + (mat === null ? 'X' : mat.consonant) + name.consonant + homoclave;
  return first17 + checkDigitOf(first17);
}

/**
 * The clave de elector from its parts: first letter and first internal consonant of each
 * surname and of the given name (XX for a missing surname), YYMMDD, birth state code, sex and
 * the three-digit homoclave.
 */
export function composeClave(
  pat: SurnameLetters | null, mat: SurnameLetters | null, name: NameLetters,
  yymmdd: string, stateCode: string, sexo: string, homoclave3: string,
): string {
  [pat, mat] = orderSurnames(pat, mat);
  return (pat === null ? 'XX' : pat.initial + pat.consonant) + (mat === null ? 'XX' : mat.initial + mat.consonant)
    + name.initial + name.consonant + yymmdd + stateCode + sexo + homoclave3;
}

const CHECK_VALUE = new Map([...CURP_ALPHABET].map((c, i) => [c, i]));

function checkDigitOf(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (CHECK_VALUE.get(first17[i]) ?? 0) * (18 - i);
  return String((10 - (sum % 10)) % 10);
}

/**
 * The CURP check digit (python-stdnum mx/curp): each of the first 17 characters valued by its
 * index in `0-9A-NÑO-Z`, weighted 18 down to 2; d = (10 - sum mod 10) mod 10.
 */
export function curpCheckDigit(first17: string): string {
  if (first17.length !== 17 || [...first17].some((c) => !CHECK_VALUE.has(c))) {
    throw new RollmarkError('USAGE', `curpCheckDigit needs 17 characters of 0-9A-NÑO-Z, got '${first17}'`);
  }
  return checkDigitOf(first17);
}

const CURP_STATES = new Set([...ENTIDADES.map((e) => e.curp), BORN_ABROAD.curp]);
const CLAVE_STATES = new Set([...ENTIDADES.map((e) => e.code), BORN_ABROAD.code]);

function checkPerson(p: IdentityPerson, fn: string): void {
  if (!isValidDate(p.fnac)) throw new RollmarkError('USAGE', `${fn}: fnac must be a real date as YYYYMMDD, got '${p.fnac}'`);
  if (p.sexo !== 'H' && p.sexo !== 'M') throw new RollmarkError('USAGE', `${fn}: sexo must be H or M, got '${p.sexo}'`);
}

/**
 * The CURP of a person. `homoclave` is RENAPO's 17th character, told apart by century: a digit
 * for a birth before 2000, a letter from 2000 on (0 and A unless an earlier person shares the
 * other 16 characters).
 */
export function curpFor(p: CurpPerson, homoclave: string): string {
  checkPerson(p, 'curpFor');
  if (!CURP_STATES.has(p.birthState)) throw new RollmarkError('USAGE', `curpFor: unknown birth state '${p.birthState}'`);
  const pattern = p.fnac < '20000101' ? /^[0-9]$/ : /^[A-Z]$/;
  if (!pattern.test(homoclave)) {
    throw new RollmarkError('USAGE', `curpFor: homoclave must be ${p.fnac < '20000101' ? 'a digit for a birth before 2000' : 'a letter for a birth from 2000 on'}, got '${homoclave}'`);
  }
  return composeCurp(surnameLetters(p.apePat), surnameLetters(p.apeMat), givenNameLetters(p.nombre),
    p.fnac.slice(2), p.sexo, p.birthState, homoclave);
}

/**
 * The clave de elector (18 characters, `^[A-Z]{6}\d{8}[HM]\d{3}$`). INE does not publish its
 * rule; the one implemented is what the credential shows and public descriptions agree on:
 *   1-2  first letter and first internal consonant of the first surname
 *   3-4  the same of the second surname (XX when there is none)
 *   5-6  the same of the given name, chosen as for the CURP (MARIA/JOSE give way to a second
 *        name, particles dropped, list abbreviations read in full)
 *   7-12 birth date YYMMDD; 13-14 birth entidad 01-32 (87 abroad); 15 sex H/M;
 *   16-18 homoclave: a digit and a two-digit homonym number (00 unless an earlier elector
 *        shares the first 15 characters).
 * Ñ and non-letters become X, a word with no internal consonant gives X, and a person with one
 * surname has it read as the first, as for the CURP.
 */
export function claveElectorFor(p: ClavePerson, homoclave3: string): string {
  checkPerson(p, 'claveElectorFor');
  if (!CLAVE_STATES.has(p.birthStateCode)) {
    throw new RollmarkError('USAGE', `claveElectorFor: unknown birth state code '${p.birthStateCode}'`);
  }
  if (!/^\d{3}$/.test(homoclave3)) throw new RollmarkError('USAGE', `claveElectorFor: homoclave must be 3 digits, got '${homoclave3}'`);
  return composeClave(surnameLetters(p.apePat), surnameLetters(p.apeMat), givenNameLetters(p.nombre),
    p.fnac.slice(2), p.birthStateCode, p.sexo, homoclave3);
}

function isValidDate(ymd: string): boolean {
  if (!/^\d{8}$/.test(ymd)) return false;
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(4, 6));
  const d = Number(ymd.slice(6, 8));
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/**
 * Age in whole years on `asOf` (YYYY-MM-DD or YYYYMMDD) of a person born on `fnac` (YYYYMMDD).
 * A 29 February birthday is reached on 1 March in common years.
 */
export function ageOn(fnac: string, asOf: string): number {
  const on = asOf.replace(/-/g, '');
  if (!isValidDate(fnac)) throw new RollmarkError('USAGE', `ageOn: fnac must be a real date as YYYYMMDD, got '${fnac}'`);
  if (!isValidDate(on)) throw new RollmarkError('USAGE', `ageOn: asOf must be a real date as YYYY-MM-DD, got '${asOf}'`);
  const years = Number(on.slice(0, 4)) - Number(fnac.slice(0, 4));
  return on.slice(4) < fnac.slice(4) ? years - 1 : years;
}
