/**
 * The canonical form of text: what survives the normalisations a leaker is expected to apply
 * (case, accents, whitespace, punctuation dots, re-encoding to Latin-1). Matching fingerprints and
 * family look-ups are computed on it, so a re-formatted dump still finds its records and marks.
 */

const COMBINING = /[\u0300-\u036f]/g;
const ASCII_SAFE = /^[\x20-\x7e]*$/;

/** One word's canonical form: uppercase, accents and the tilde of Ñ removed, dots removed. */
export function canonicalWord(word: string): string {
  let w = word;
  if (!ASCII_SAFE.test(w)) w = w.normalize('NFD').replace(COMBINING, '');
  w = w.toUpperCase();
  if (w.includes('.')) w = w.replace(/\./g, '');
  return w;
}

/** Splits a cell into words at runs of whitespace (space, tab, NBSP). */
export function words(cell: string): string[] {
  const out: string[] = [];
  const re = /[^\s\u00a0]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cell)) !== null) out.push(m[0]);
  return out;
}

/** Words with their character spans in the cell, for rewriting a word in place. */
export interface WordSpan {
  text: string;
  start: number;
  end: number;
}

export function wordSpans(cell: string): WordSpan[] {
  const out: WordSpan[] = [];
  const re = /[^\s\u00a0]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cell)) !== null) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** Uppercase ASCII words joined by single spaces: already canonical. */
const PLAIN_CELL = /^[A-Z0-9]+(?: [A-Z0-9]+)*$/;

/** A cell's canonical form without family unification: canonical words joined by one space. */
export function canonicalCell(cell: string): string {
  if (PLAIN_CELL.test(cell)) return cell;
  const ws = words(cell);
  let out = '';
  for (let i = 0; i < ws.length; i++) {
    const w = canonicalWord(ws[i]);
    if (w === '') continue;
    out = out === '' ? w : out + ' ' + w;
  }
  return out;
}
