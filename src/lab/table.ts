/**
 * The leak lab's table: a dump as a leaker handles it, in memory, and the lookups and errors every
 * attack shares.
 */
import { RollmarkError, type ErrorCode } from '../errors.js';

/** A table as a leaker handles it: a header and rows of the header's width. */
export interface Table {
  header: string[];
  rows: string[][];
}

/** An attack (or its arguments) that cannot be applied: an ATTACK_INVALID error by default. */
export function invalid(message: string, code: ErrorCode = 'ATTACK_INVALID'): RollmarkError {
  return new RollmarkError(code, message);
}

/** The index of a column by name; an unknown name is an error listing what the table has. */
export function columnIndex(t: Table, name: string): number {
  const i = t.header.indexOf(name);
  if (i === -1) {
    const has = t.header.length > 30 ? `${t.header.slice(0, 30).join(', ')}, ...` : t.header.join(', ');
    throw invalid(`no column '${name}' (the table has: ${has || 'no columns'})`);
  }
  return i;
}
