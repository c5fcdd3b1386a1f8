import { RollmarkError } from '../errors.js';
import { canonicalWord } from './canonical.js';

/**
 * Robust field marks: each group of a family lists equivalent spellings of one word, long form
 * first. A copy carries symbol 0 as the long form and symbol 1 as the first short form; a dump is
 * read back by recognising any spelling of the group (so AV and AV. both read as 1). Matching is
 * done on canonical words, which is what makes the marks survive case, accent, dot and space
 * normalisation.
 */
export interface FamilyGroup {
  /** The family the group comes from, e.g. `mx-street-types`. */
  family: string;
  /** The spelling written for symbol 0 (long form) and for symbol 1 (first short form). */
  long: string;
  short: string;
  /** Only as the first word of a cell. */
  anchored: boolean;
}

export interface MarkMatch {
  wordStart: number;
  wordEnd: number;
  group: number;
  symbol: 0 | 1;
}

interface Spelling {
  group: number;
  words: string[];
  symbol: 0 | 1;
  anchored: boolean;
}

/** Parses the text form of a family: `LONG | SHORT | OTHER SHORT` a line, `@anchor start`. */
export function parseFamilyText(name: string, text: string): { groups: string[][]; anchored: boolean } {
  const groups: string[][] = [];
  let anchored = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '@anchor start') {
      anchored = true;
      continue;
    }
    groups.push(line.split('|').map((s) => s.trim()));
  }
  if (groups.length === 0) throw new RollmarkError('SCHEMA_INVALID', `family '${name}' has no groups`);
  return { groups, anchored };
}

export interface FamilyDefinition {
  name: string;
  groups: string[][];
  anchored: boolean;
}

/**
 * All the robust families of one marked column, compiled into a look-up by first canonical word.
 * Two groups that share a canonical spelling would make a mark unreadable, so that is refused.
 */
export class FamilyMatcher {
  readonly groups: FamilyGroup[] = [];
  private readonly byFirst = new Map<string, Spelling[]>();

  constructor(families: FamilyDefinition[], column: string) {
    const seen = new Map<string, string>();
    const sameGroupShort = new Map<string, number>();
    for (const fam of families) {
      for (const spellings of fam.groups) {
        if (spellings.length < 2 || spellings.some((s) => s.trim() === '')) {
          throw new RollmarkError(
            'SCHEMA_INVALID',
            `family '${fam.name}': group [${spellings.join(', ')}] needs a long form and at least one short form`,
          );
        }
        const group = this.groups.length;
        this.groups.push({ family: fam.name, long: spellings[0], short: spellings[1], anchored: fam.anchored });
        spellings.forEach((spelling, i) => {
          const ws = spelling.split(/\s+/).map(canonicalWord).filter((w) => w !== '');
          const canon = ws.join(' ');
          const prior = seen.get(canon);
          // AV. and AV read the same: fine inside one group as two short forms, never otherwise.
          if (prior !== undefined && i > 0 && sameGroupShort.get(canon) === group) return;
          if (prior !== undefined) {
            throw new RollmarkError(
              'SCHEMA_INVALID',
              `column ${column}: spelling '${spelling}' of family '${fam.name}' reads the same as '${prior}'; a mark would be ambiguous`,
            );
          }
          seen.set(canon, `${spelling}' of family '${fam.name}`);
          if (i > 0) sameGroupShort.set(canon, group);
          const entry: Spelling = { group, words: ws, symbol: i === 0 ? 0 : 1, anchored: fam.anchored };
          const list = this.byFirst.get(ws[0]) ?? [];
          list.push(entry);
          list.sort((a, b) => b.words.length - a.words.length);
          this.byFirst.set(ws[0], list);
        });
      }
    }
  }

  /** True when some spelling starts with a word of digits only (a cell of digits may then hold a mark). */
  get hasDigitWord(): boolean {
    for (const w of this.byFirst.keys()) if (/^[0-9]+$/.test(w)) return true;
    return false;
  }

  /** Family spellings in a cell's canonical words, left to right, longest spelling first. */
  find(canonWords: string[]): MarkMatch[] {
    const out: MarkMatch[] = [];
    let i = 0;
    while (i < canonWords.length) {
      const candidates = this.byFirst.get(canonWords[i]);
      let matched: Spelling | undefined;
      if (candidates) {
        for (const c of candidates) {
          if (c.anchored && i !== 0) continue;
          if (i + c.words.length > canonWords.length) continue;
          let ok = true;
          for (let k = 1; k < c.words.length; k++) {
            if (canonWords[i + k] !== c.words[k]) {
              ok = false;
              break;
            }
          }
          if (ok) {
            matched = c;
            break;
          }
        }
      }
      if (matched) {
        out.push({ wordStart: i, wordEnd: i + matched.words.length, group: matched.group, symbol: matched.symbol });
        i += matched.words.length;
      } else {
        i++;
      }
    }
    return out;
  }

  /** Canonical words with every family spelling replaced by its long form (for fingerprints). */
  unify(canonWords: string[]): string {
    const matches = this.find(canonWords);
    if (matches.length === 0) return canonWords.join(' ');
    const parts: string[] = [];
    let i = 0;
    for (const m of matches) {
      for (; i < m.wordStart; i++) parts.push(canonWords[i]);
      parts.push(...this.groups[m.group].long.split(/\s+/).map(canonicalWord).filter((w) => w !== ''));
      i = m.wordEnd;
    }
    for (; i < canonWords.length; i++) parts.push(canonWords[i]);
    return parts.join(' ');
  }
}
