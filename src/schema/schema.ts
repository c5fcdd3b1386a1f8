import { RollmarkError } from '../errors.js';
import { FamilyMatcher, parseFamilyText, type FamilyDefinition } from '../code/families.js';
import { BUILTIN_FRAGILE_FAMILIES, BUILTIN_ROBUST_FAMILIES, type FragileFamily } from './families/index.js';
import type { SchemaFile } from './types.js';
import { MX_INE_SCHEMA } from '../presets/mx-ine/schema.js';

/** A marked column, compiled: its robust families as one matcher, and its fragile families. */
export interface MarkedColumn {
  /** Index in `marks`: fixes the column's code slots, so it never depends on a dump's layout. */
  ordinal: number;
  column: number;
  name: string;
  robust: FamilyMatcher | null;
  fragile: ReadonlySet<FragileFamily>;
}

/** The schema checked against a registry header; engines trust it after this point. */
export interface ResolvedSchema {
  columns: string[];
  key: number;
  unique: number[];
  match: number[][];
  group: number[];
  sequence: number | null;
  marks: MarkedColumn[];
  canaries: { per: number; maxShare: number; blocks: number[][] };
  /** Set when the registry is the mx-ine layout: canary identities are then derived by its rules. */
  preset: 'mx-ine' | null;
  /** The schema file this was resolved from (recorded in the release manifest). */
  source: SchemaFile;
}

export const PRESETS: Record<string, SchemaFile> = { 'mx-ine': MX_INE_SCHEMA };

/** Largest number of robust marks read in one cell; more are left as the registry wrote them. */
export const MAX_ROBUST_MARKS_PER_CELL = 6;

function fail(message: string, file?: string): never {
  throw new RollmarkError('SCHEMA_INVALID', message, { file });
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');
}

/** Checks the shape of a parsed schema file (types only; columns are checked in resolveSchema). */
export function validateSchemaFile(raw: unknown, file?: string): SchemaFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('a schema must be a JSON object', file);
  const s = raw as Record<string, unknown>;
  const known = new Set(['key', 'unique', 'match', 'group', 'marks', 'families', 'canaries', 'sequence', '$schema', 'description']);
  for (const k of Object.keys(s)) if (!known.has(k)) fail(`unknown schema field '${k}'`, file);
  if (typeof s.key !== 'string' || s.key === '') fail("'key' must name a column", file);
  if (typeof s.group !== 'string' || s.group === '') fail("'group' must name a column (or columns joined by +)", file);
  if (s.unique !== undefined && !isStringArray(s.unique)) fail("'unique' must be a list of column names", file);
  if (s.sequence !== undefined && (typeof s.sequence !== 'string' || s.sequence === '')) fail("'sequence' must name a column", file);
  if (s.match !== undefined && !(Array.isArray(s.match) && s.match.every((m) => isStringArray(m) && m.length > 0))) {
    fail("'match' must be a list of non-empty column lists", file);
  }
  if (s.marks !== undefined) {
    if (!Array.isArray(s.marks)) fail("'marks' must be a list", file);
    for (const m of s.marks as unknown[]) {
      const mm = m as Record<string, unknown>;
      if (typeof mm !== 'object' || mm === null || typeof mm.column !== 'string' || !isStringArray(mm.families) || mm.families.length === 0) {
        fail("each mark needs a 'column' and a non-empty 'families' list", file);
      }
    }
  }
  if (s.families !== undefined) {
    if (typeof s.families !== 'object' || s.families === null || Array.isArray(s.families)) fail("'families' must be an object", file);
    for (const [name, groups] of Object.entries(s.families as Record<string, unknown>)) {
      if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g) => isStringArray(g) && g.length >= 2)) {
        fail(`family '${name}' must be a list of groups of at least two spellings`, file);
      }
    }
  }
  if (s.canaries !== undefined) {
    const c = s.canaries as Record<string, unknown>;
    if (typeof c !== 'object' || c === null) fail("'canaries' must be an object", file);
    if (c.per !== undefined && !(typeof c.per === 'number' && Number.isInteger(c.per) && c.per >= 10)) {
      fail("'canaries.per' must be an integer >= 10", file);
    }
    if (c.maxShare !== undefined && !(typeof c.maxShare === 'number' && c.maxShare > 0 && c.maxShare <= 0.1)) {
      fail("'canaries.maxShare' must be in (0, 0.1]", file);
    }
    if (c.blocks !== undefined && !(Array.isArray(c.blocks) && c.blocks.every((b) => isStringArray(b) && b.length > 0))) {
      fail("'canaries.blocks' must be a list of non-empty column lists", file);
    }
  }
  return s as unknown as SchemaFile;
}

/** Parses and validates a schema file's text. */
export function parseSchema(text: string, file?: string): SchemaFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(`not valid JSON: ${(err as Error).message}`, file);
  }
  return validateSchemaFile(raw, file);
}

/**
 * Resolves a schema against a registry header: every named column must exist (CSV_MISSING_COLUMN
 * names it and the registry file), every family must be built in or defined, and no two spellings
 * in one column may read the same.
 */
export function resolveSchema(schema: SchemaFile, header: string[], registryFile?: string, schemaFile?: string): ResolvedSchema {
  const index = new Map<string, number>();
  header.forEach((h, i) => index.set(h, i));
  const col = (name: string, what: string): number => {
    const i = index.get(name);
    if (i === undefined) {
      throw new RollmarkError('CSV_MISSING_COLUMN', `the registry has no column '${name}' (${what} in the schema)`, {
        file: registryFile,
        line: 1,
      });
    }
    return i;
  };
  const key = col(schema.key, 'key');
  const unique = (schema.unique ?? []).map((c) => col(c, 'unique'));
  const match = (schema.match ?? []).map((set) => set.map((c) => col(c, 'match')));
  const group = schema.group.split('+').map((c) => col(c.trim(), 'group'));
  const sequence = schema.sequence !== undefined ? col(schema.sequence, 'sequence') : null;

  const custom = schema.families ?? {};
  const marks: MarkedColumn[] = [];
  const markedSeen = new Set<number>();
  for (const m of schema.marks ?? []) {
    const column = col(m.column, 'marks');
    if (column === key) fail(`the key column '${m.column}' cannot carry marks: it identifies the record`, schemaFile);
    if (markedSeen.has(column)) fail(`column '${m.column}' is listed twice in 'marks'`, schemaFile);
    markedSeen.add(column);
    const robust: FamilyDefinition[] = [];
    const fragile = new Set<FragileFamily>();
    for (const name of m.families) {
      if ((BUILTIN_FRAGILE_FAMILIES as readonly string[]).includes(name)) {
        fragile.add(name as FragileFamily);
      } else if (Object.hasOwn(custom, name)) {
        robust.push({ name, groups: custom[name], anchored: false });
      } else if (Object.hasOwn(BUILTIN_ROBUST_FAMILIES, name)) {
        robust.push({ name, ...parseFamilyText(name, BUILTIN_ROBUST_FAMILIES[name]) });
      } else {
        fail(`unknown family '${name}' for column '${m.column}' (define it under 'families')`, schemaFile);
      }
    }
    marks.push({
      ordinal: marks.length,
      column,
      name: m.column,
      robust: robust.length > 0 ? new FamilyMatcher(robust, m.column) : null,
      fragile,
    });
  }

  const blocks = (schema.canaries?.blocks ?? header.filter((_, i) => i !== key && !unique.includes(i) && !group.includes(i)).map((h) => [h])).map(
    (b) => b.map((c) => col(c, 'canaries.blocks')),
  );
  const isMxIne = schema.key === 'ELECTOR' && index.has('CURP') && index.has('FNAC') && index.has('NOMBRE');
  return {
    columns: header.slice(),
    key,
    unique,
    match,
    group,
    sequence,
    marks,
    canaries: { per: schema.canaries?.per ?? 10000, maxShare: schema.canaries?.maxShare ?? 0.02, blocks },
    preset: isMxIne ? 'mx-ine' : null,
    source: schema,
  };
}
