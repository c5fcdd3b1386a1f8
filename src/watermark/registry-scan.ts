import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { RollmarkError, ioError } from '../errors.js';
import { Bloom } from '../code/bloom.js';
import { canonicalKey, RecordIds } from '../code/codebook.js';
import { Fingerprinter, MatchIndexBuilder, matchValue } from '../code/match-index.js';
import type { ReleaseKeys } from '../code/release.js';
import { fieldString, recordFields } from '../csv/scanner.js';
import type { FamilyMatcher } from '../code/families.js';
import { readRegistry } from './registry-reader.js';
import { resolveSchema, PRESETS, type ResolvedSchema } from '../schema/schema.js';
import type { SchemaFile } from '../schema/types.js';
import { uniqueHash } from './canaries.js';

/**
 * The first of issue's two passes over the registry. It checks the whole file before any copy is
 * written (a malformed line N stops the run with nothing written), and gathers what the second
 * pass and trace need: group sizes in order, the matching index, a Bloom filter of every key and
 * unique value (so canaries collide with none), a sample for column profiles, the registry's
 * sha256 and row count.
 */
export interface RegistryScan {
  schema: ResolvedSchema;
  header: string[];
  rows: number;
  sha256: string;
  groups: { value: string; rows: number }[];
  index: MatchIndexBuilder[];
  taken: Bloom;
  sample: string[][];
}

export function groupValue(schema: ResolvedSchema, fields: string[]): string {
  if (schema.group.length === 1) return fields[schema.group[0]];
  let v = fields[schema.group[0]];
  for (let i = 1; i < schema.group.length; i++) v += '|' + fields[schema.group[i]];
  return v;
}

/** Picks the schema: the given one, or mx-ine when the header is exactly the mx-ine layout. */
export function schemaFor(header: string[], file: string, schema?: SchemaFile, schemaFile?: string): ResolvedSchema {
  if (schema) return resolveSchema(schema, header, file, schemaFile);
  const mx = PRESETS['mx-ine'];
  try {
    return resolveSchema(mx, header, file);
  } catch (err) {
    if (err instanceof RollmarkError && err.code === 'CSV_MISSING_COLUMN') {
      throw new RollmarkError('CSV_MISSING_COLUMN', `${err.message}; a registry that is not the mx-ine layout needs --schema`, {
        file,
        line: 1,
      });
    }
    throw err;
  }
}

/**
 * Column profiles need rows from the whole registry, not its first entidad: the sample is every
 * k-th row, k set from the file size and the first rows' length so that about SAMPLE_TARGET rows
 * spread evenly over the file.
 */
const SAMPLE_TARGET = 20000;
const SAMPLE_PROBE = 1000;

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function scanRegistry(
  file: string,
  keys: ReleaseKeys,
  schemaSource?: SchemaFile,
  schemaFile?: string,
  onRow?: (rows: number) => void,
): Promise<RegistryScan> {
  const ids = new RecordIds(keys.record);
  const fp = new Fingerprinter(keys.index);
  let schema: ResolvedSchema | null = null;
  let header: string[] = [];
  let index: MatchIndexBuilder[] = [];
  const size = (await fs.promises.stat(file).catch((err) => Promise.reject(ioError(err, file)))).size;
  let taken = new Bloom(1 << 10);
  const groups: { value: string; rows: number }[] = [];
  const seenGroups = new Set<string>();
  const sample: string[][] = [];
  let rows = 0;
  let probeBytes = 0;
  let stride = 0;
  let vals: string[][] = [];
  let matchRobust: (FamilyMatcher | null)[][] = [];
  const shaPromise = fileSha256(file);
  // Read errors surface from the scan below; keep this one from going unhandled meanwhile.
  shaPromise.catch(() => undefined);

  await readRegistry(
    file,
    (h, line) => {
      header = h;
      if (header.every((c) => c === '')) throw new RollmarkError('CSV_EMPTY', 'the registry has no header row', { file, line });
      schema = schemaFor(header, file, schemaSource, schemaFile);
      const sch = schema;
      index = sch.match.map(() => new MatchIndexBuilder());
      vals = sch.match.map((set) => new Array<string>(set.length));
      matchRobust = sch.match.map((set) => set.map((col) => sch.marks.find((m) => m.column === col)?.robust ?? null));
      // About 150+ bytes a row: size the filter from the file so it never needs to grow.
      taken = new Bloom(Math.ceil(size / 150) * (1 + sch.unique.length));
    },
    (r) => {
      const sch = schema!;
      const key = canonicalKey(fieldString(r, sch.key));
      if (key === '') throw new RollmarkError('REGISTRY_BAD_KEY', `empty key column '${header[sch.key]}'`, { file, line: r.line, column: sch.key + 1 });
      const id = ids.compute(key);
      const [kh, kl] = uniqueHash(fp, sch.key, key);
      taken.add(kh, kl);
      for (const col of sch.unique) {
        const [h, l] = uniqueHash(fp, col, fieldString(r, col));
        taken.add(h, l);
      }
      for (let s = 0; s < sch.match.length; s++) {
        const set = sch.match[s];
        const v = vals[s];
        for (let i = 0; i < set.length; i++) v[i] = matchValue(fieldString(r, set[i]), matchRobust[s][i]);
        if (fp.compute(s, v)) index[s].add(fp.lo, fp.hi, id);
      }
      let g = fieldString(r, sch.group[0]);
      for (let i = 1; i < sch.group.length; i++) g += '|' + fieldString(r, sch.group[i]);
      const last = groups[groups.length - 1];
      if (last !== undefined && last.value === g) {
        last.rows++;
      } else {
        if (seenGroups.has(g)) {
          throw new RollmarkError(
            'REGISTRY_UNSORTED',
            `group ${sch.group.map((c) => header[c]).join('+')} = '${g}' appears again after other groups; sort the registry by group`,
            { file, line: r.line },
          );
        }
        seenGroups.add(g);
        groups.push({ value: g, rows: 1 });
      }
      if (rows < SAMPLE_PROBE) {
        probeBytes += r.next - r.start;
        if (rows % 4 === 0) sample.push(recordFields(r));
      } else {
        if (stride === 0) stride = Math.max(4, Math.floor(size / ((probeBytes / SAMPLE_PROBE) * SAMPLE_TARGET)));
        if (rows % stride === 0 && sample.length < 2 * SAMPLE_TARGET) sample.push(recordFields(r));
      }
      rows++;
      if (onRow && (rows & 0xffff) === 0) onRow(rows);
    },
  );
  if (schema === null) throw new RollmarkError('CSV_EMPTY', 'the registry is empty', { file });
  if (rows === 0) throw new RollmarkError('CSV_EMPTY', 'the registry has a header but no rows', { file });
  return { schema, header, rows, sha256: await shaPromise, groups, index, taken, sample };
}
