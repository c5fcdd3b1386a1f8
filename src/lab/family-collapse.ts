/**
 * Family collapse attacks: a leaker who "standardises" the spellings of a word family (AV./AV ->
 * AVENIDA), which erases the choice a robust field mark made. Spellings are rewritten word by
 * word, whole words only.
 */
import { columnIndex, type Table } from './table.js';

/** How spellings are compared: uppercase, dots removed (AV., av and AV are one spelling). */
export function canonicalSpelling(word: string): string {
  return word.toUpperCase().replaceAll('.', '');
}

interface SpellingEntry {
  words: string[];
  replacement: string;
  anchored: boolean;
}

/** One spelling to rewrite: the text to find (one or more words) and what replaces it. */
export interface SpellingRule {
  spelling: string;
  replacement: string;
  /** Only when the spelling starts the cell (street types: CALLE/C is a type only up front). */
  anchored?: boolean;
}

/**
 * A cell rewriter that replaces, word by word, every listed spelling by its replacement. Words are
 * separated by whitespace; a multi-word spelling matches consecutive words; at each word the
 * longest matching spelling wins (greedy, left to right). Whitespace around unmatched words is
 * kept as it was, so this attack does not also undo whitespace marks. When two rules share a
 * spelling, the first one given wins.
 */
export function spellingRewriter(rules: readonly SpellingRule[]): (cell: string) => string {
  const byFirst = new Map<string, SpellingEntry[]>();
  const seen = new Set<string>();
  for (const rule of rules) {
    const words = rule.spelling.split(/\s+/).map(canonicalSpelling).filter((w) => w !== '');
    if (words.length === 0) continue;
    const key = `${rule.anchored ? '^' : ''}${words.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = byFirst.get(words[0]) ?? [];
    list.push({ words, replacement: rule.replacement, anchored: rule.anchored === true });
    byFirst.set(words[0], list);
  }
  for (const list of byFirst.values()) list.sort((x, y) => y.words.length - x.words.length);

  return (cell: string) => {
    if (cell === '') return cell;
    const parts = cell.split(/(\s+)/); // even indices: words (maybe ''), odd: the whitespace between
    const wordAt: number[] = [];
    const canon: string[] = [];
    for (let i = 0; i < parts.length; i += 2) {
      if (parts[i] !== '') {
        wordAt.push(i);
        canon.push(canonicalSpelling(parts[i]));
      }
    }
    if (!canon.some((w) => byFirst.has(w))) return cell;
    let out = '';
    let p = 0; // next part not yet copied to the output
    for (let w = 0; w < canon.length; ) {
      const candidates = byFirst.get(canon[w]);
      let hit: SpellingEntry | undefined;
      if (candidates) {
        for (const e of candidates) {
          if (e.anchored && w !== 0) continue;
          if (w + e.words.length > canon.length) continue;
          let ok = true;
          for (let k = 1; k < e.words.length && ok; k++) ok = canon[w + k] === e.words[k];
          if (ok) {
            hit = e;
            break;
          }
        }
      }
      out += parts.slice(p, wordAt[w]).join('');
      if (hit) {
        out += hit.replacement;
        p = wordAt[w + hit.words.length - 1] + 1;
        w += hit.words.length;
      } else {
        out += parts[wordAt[w]];
        p = wordAt[w] + 1;
        w++;
      }
    }
    return out + parts.slice(p).join('');
  };
}

/**
 * What `collapseFamilies` does to a column: a function of the cell, or a table of spelling ->
 * canonical spelling applied word by word (see `spellingRewriter`).
 */
export type ColumnMapping = ((cell: string) => string) | Readonly<Record<string, string>>;

/** Rewrites the named columns' cells with each column's mapping. */
export function collapseFamilies(t: Table, mapping: Readonly<Record<string, ColumnMapping>>): Table {
  const fns = Object.entries(mapping).map(([column, m]) => {
    const c = columnIndex(t, column);
    const fn =
      typeof m === 'function'
        ? m
        : spellingRewriter(Object.entries(m).map(([spelling, replacement]) => ({ spelling, replacement })));
    return { c, fn };
  });
  const rows = t.rows.map((r) => {
    let out: string[] | undefined;
    for (const { c, fn } of fns) {
      const cur = (out ?? r)[c];
      const v = fn(cur);
      if (v !== cur) {
        out ??= r.slice();
        out[c] = v;
      }
    }
    return out ?? r;
  });
  return { header: t.header, rows };
}

/** Equivalence groups for one column: each group lists spellings of one word, long form first. */
export interface ColumnGroups {
  column: string;
  groups: string[][];
  /** The family counts only as a cell's first word (e.g. street and settlement types). */
  anchored?: boolean;
}

function collapseTo(t: Table, sets: readonly ColumnGroups[], target: 0 | 1): Table {
  const rules = new Map<string, SpellingRule[]>();
  for (const set of sets) {
    const list = rules.get(set.column) ?? [];
    for (const group of set.groups) {
      const replacement = group[target] ?? group[0];
      if (replacement === undefined) continue;
      for (const spelling of group) list.push({ spelling, replacement, anchored: set.anchored });
    }
    rules.set(set.column, list);
  }
  const mapping: Record<string, ColumnMapping> = {};
  for (const [column, list] of rules) mapping[column] = spellingRewriter(list);
  return collapseFamilies(t, mapping);
}

/**
 * Replaces every spelling of a group by the group's first (long) spelling: the leaker who
 * "standardises" AV./AV to AVENIDA, which erases the choice a robust field mark made. Idempotent
 * as long as no group's spelling begins another group's multi-word spelling (true of the
 * built-in families); words in no group are left alone.
 */
export function collapseToLong(t: Table, groups: readonly ColumnGroups[]): Table {
  return collapseTo(t, groups, 0);
}

/** Like `collapseToLong`, to each group's second (first short) spelling: AVENIDA/AV -> AV. */
export function collapseToShort(t: Table, groups: readonly ColumnGroups[]): Table {
  return collapseTo(t, groups, 1);
}
