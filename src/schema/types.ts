/**
 * The registry schema: which column is the record key, which sets of columns identify a record
 * when the key is missing, how rows group into sections, which columns carry field marks and
 * how canaries are composed. The JSON form is the contract's schema file; `resolveSchema`
 * (schema.ts) checks it once and the engines trust the resolved form after that.
 */
export interface SchemaFile {
  key: string;
  unique?: string[];
  match?: string[][];
  group: string;
  marks?: { column: string; families: string[] }[];
  families?: Record<string, string[][]>;
  canaries?: { per?: number; blocks?: string[][]; maxShare?: number };
  /** Optional: a column numbering rows inside a group; a canary takes an unused number. */
  sequence?: string;
}

/** A family of equivalent spellings: each group lists spellings of one word, long form first. */
export interface Family {
  name: string;
  /** 'robust' survives case/accent/space normalisation; 'fragile' does not (extra evidence). */
  kind: 'robust' | 'fragile';
  groups: string[][];
}
