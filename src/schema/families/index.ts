import streetTypes from './mx-street-types.js';
import settlements from './mx-settlements.js';
import cardinal from './mx-cardinal.js';
import numbering from './mx-numbering.js';
import givenNames from './mx-given-names.js';

/**
 * The built-in families as data. Robust families are text: one equivalence group a line, spellings
 * separated by `|`, long form first; `@anchor start` means the spellings count only as the first
 * word of a cell (CALLE/C is a street type there, and may be a street's own name further on).
 * Fragile families have no spellings: they are defined by what the copy varies (see marks.ts).
 */
export const BUILTIN_ROBUST_FAMILIES: Record<string, string> = {
  'mx-street-types': streetTypes,
  'mx-settlements': settlements,
  'mx-cardinal': cardinal,
  'mx-numbering': numbering,
  'mx-given-names': givenNames,
};

/** Fragile families: `whitespace` doubles a cell's first word gap; `composition` writes Ñ as NFD. */
export const BUILTIN_FRAGILE_FAMILIES = ['whitespace', 'composition'] as const;
export type FragileFamily = (typeof BUILTIN_FRAGILE_FAMILIES)[number];
