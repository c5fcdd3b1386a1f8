import { canonicalWord, wordSpans, type WordSpan } from './canonical.js';
import type { MarkedColumn } from '../schema/schema.js';
import { MAX_ROBUST_MARKS_PER_CELL } from '../schema/schema.js';

/**
 * Code positions inside one cell, and the symbol the cell shows at each.
 *
 * A position is (record, marked column, slot). The slot, not the word's place in the text, names
 * the position, so a dump that drops other columns or edits other words still reads the same
 * positions. Slots of marked column m: 8m+0 .. 8m+5 for the robust marks in reading order,
 * 8m+6 for composition (Ñ as NFC or NFD), 8m+7 for whitespace (first word gap single or double).
 */
export const SLOTS_PER_COLUMN = 8;
export const COMPOSITION_SLOT = 6;
export const WHITESPACE_SLOT = 7;

const DECOMPOSED_ENYE = /[Nn]\u0303/;
const COMPOSED_ENYE = /[Ññ]/;

export interface CellPosition {
  slot: number;
  /** What the cell shows: 0 or 1, or -1 when the cell cannot say (read side only). */
  symbol: -1 | 0 | 1;
  /** Evidence class: a robust group, or the column's composition or whitespace family. */
  cls: number;
  /** Robust marks: the words [wordStart, wordEnd) that spell the mark. */
  wordStart: number;
  wordEnd: number;
  group: number;
}

export interface CellMarks {
  spans: WordSpan[];
  positions: CellPosition[];
}

/**
 * Numbering of evidence classes for a schema: per marked column its robust groups, then its
 * composition and whitespace classes. A class is what trace drops as a whole when the dump shows
 * it collapsed to one spelling.
 */
export interface ClassTable {
  count: number;
  robustBase: number[];
  composition: number[];
  whitespace: number[];
  names: string[];
}

export function classTable(marks: MarkedColumn[]): ClassTable {
  const t: ClassTable = { count: 0, robustBase: [], composition: [], whitespace: [], names: [] };
  for (const m of marks) {
    t.robustBase.push(t.count);
    for (const g of m.robust?.groups ?? []) {
      t.names.push(`${m.name}:${g.family}:${g.long}`);
      t.count++;
    }
    t.composition.push(t.count);
    t.names.push(`${m.name}:composition`);
    t.count++;
    t.whitespace.push(t.count);
    t.names.push(`${m.name}:whitespace`);
    t.count++;
  }
  return t;
}

/** The canary class comes after every field class. */
export function canaryClass(t: ClassTable): number {
  return t.count;
}

/** Finds a cell's code positions and reads the symbol it shows at each. */
export function cellMarks(mc: MarkedColumn, classes: ClassTable, cell: string): CellMarks {
  const spans = wordSpans(cell);
  const positions: CellPosition[] = [];
  const m = mc.ordinal;
  if (mc.robust !== null && spans.length > 0) {
    const canon = new Array<string>(spans.length);
    for (let i = 0; i < spans.length; i++) canon[i] = canonicalWord(spans[i].text);
    const found = mc.robust.find(canon);
    const n = Math.min(found.length, MAX_ROBUST_MARKS_PER_CELL);
    for (let k = 0; k < n; k++) {
      const f = found[k];
      positions.push({
        slot: m * SLOTS_PER_COLUMN + k,
        symbol: f.symbol,
        cls: classes.robustBase[m] + f.group,
        wordStart: f.wordStart,
        wordEnd: f.wordEnd,
        group: f.group,
      });
    }
  }
  if (mc.fragile.has('composition')) {
    const nfd = DECOMPOSED_ENYE.test(cell);
    const nfc = COMPOSED_ENYE.test(cell);
    if (nfd || nfc) {
      positions.push({
        slot: m * SLOTS_PER_COLUMN + COMPOSITION_SLOT,
        symbol: nfd && nfc ? -1 : nfd ? 1 : 0,
        cls: classes.composition[m],
        wordStart: -1,
        wordEnd: -1,
        group: -1,
      });
    }
  }
  if (mc.fragile.has('whitespace') && spans.length >= 2) {
    const gap = cell.slice(spans[0].end, spans[1].start);
    positions.push({
      slot: m * SLOTS_PER_COLUMN + WHITESPACE_SLOT,
      symbol: gap === ' ' ? 0 : gap === '  ' ? 1 : -1,
      cls: classes.whitespace[m],
      wordStart: -1,
      wordEnd: -1,
      group: -1,
    });
  }
  return { spans, positions };
}

/**
 * Writes a cell carrying the given symbols at its positions: robust marks spelled long (0) or
 * short (1), Ñ composed (0) or decomposed (1), the first word gap single (0) or double (1). Every
 * other character of the cell is kept as the registry wrote it.
 */
export function writeCell(mc: MarkedColumn, cell: string, marks: CellMarks, symbols: ArrayLike<number>): string {
  const { spans, positions } = marks;
  let out = '';
  let cursor = 0;
  let composition = -1;
  let whitespace = -1;
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k];
    const s = symbols[k];
    if (p.group >= 0) {
      const g = mc.robust!.groups[p.group];
      const from = spans[p.wordStart].start;
      out += cell.slice(cursor, from) + (s === 1 ? g.short : g.long);
      cursor = spans[p.wordEnd - 1].end;
    } else if (p.slot % SLOTS_PER_COLUMN === COMPOSITION_SLOT) {
      composition = s;
    } else {
      whitespace = s;
    }
  }
  out += cell.slice(cursor);
  if (whitespace >= 0) {
    // Re-find the first gap in the rewritten text: a robust mark may have changed its length.
    const first = /^([\s\u00a0]*[^\s\u00a0]+)([\s\u00a0]+)/.exec(out);
    if (first) out = first[1] + (whitespace === 1 ? '  ' : ' ') + out.slice(first[0].length);
  }
  if (composition >= 0) {
    out = composition === 1 ? out.replace(/Ñ/g, 'N\u0303').replace(/ñ/g, 'n\u0303') : out.replace(/N\u0303/g, 'Ñ').replace(/n\u0303/g, 'ñ');
  }
  return out;
}
