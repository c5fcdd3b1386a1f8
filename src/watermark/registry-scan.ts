import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { RollmarkError, ioError } from '../errors.js';
import { Bloom } from '../code/bloom.js';
import type { ReleaseKeys } from '../code/release.js';
import { fieldString, type ScannedRecord } from '../csv/scanner.js';
import { readRegistry } from './registry-reader.js';
import { resolveSchema, PRESETS, type ResolvedSchema } from '../schema/schema.js';
import type { SchemaFile } from '../schema/types.js';
import { groupBytes, sameGroup } from './group-rows.js';
import { BufferPool } from './buffer-pool.js';
import { IndexEntries, ScanBatchBuilder, scanColumns, scanResultSize, type ScanResult } from './scan-batch.js';
import { OrderedJobs, startJobs, type JobRunner } from './worker-pool.js';

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
  /** Per match set, its index entries in row order (see encodeIndex). */
  index: IndexEntries[];
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

/**
 * The sampled rows, kept as their bytes while the scan runs (tens of thousands of rows as strings
 * would be a million objects for every collection to trace) and decoded at the end.
 */
class SampleRows {
  count = 0;
  private bytes = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private spans = new Int32Array(1 << 16);
  private spansUsed = 0;
  private fields: number[] = [];

  add(r: ScannedRecord): void {
    const len = r.end - r.start;
    if (this.used + len > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + len));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    r.buf.copy(this.bytes, this.used, r.start, r.end);
    const shift = this.used - r.start;
    if (this.spansUsed + 2 * r.fieldCount > this.spans.length) {
      const grown = new Int32Array(Math.max(2 * this.spans.length, this.spansUsed + 2 * r.fieldCount));
      grown.set(this.spans.subarray(0, this.spansUsed));
      this.spans = grown;
    }
    for (let f = 0; f < r.fieldCount; f++) {
      this.spans[this.spansUsed++] = r.fieldStart[f] + shift;
      this.spans[this.spansUsed++] = r.fieldEnd[f] + shift;
    }
    this.fields.push(r.fieldCount);
    this.used += len;
    this.count++;
  }

  /** Every sampled row's fields, as `recordFields` reads them. */
  rows(): string[][] {
    const out: string[][] = [];
    let k = 0;
    for (const n of this.fields) {
      const row = new Array<string>(n);
      for (let f = 0; f < n; f++, k += 2) {
        const s = this.spans[k];
        const e = this.spans[k + 1];
        if (e === s || this.bytes[s] !== QUOTE) {
          row[f] = this.bytes.toString('utf8', s, e);
        } else {
          const v = this.bytes.toString('utf8', s + 1, e - 1);
          row[f] = v.includes('"') ? v.replaceAll('""', '"') : v;
        }
      }
      out.push(row);
    }
    return out;
  }
}

const QUOTE = 34;

/** Rows are hashed in batches of about this many bytes. */
const SCAN_BATCH_BYTES = 1 << 20;

/**
 * Scans the registry. The calling thread reads and scans it, checks it, and keeps groups, the
 * sample and the row count; the hashing of every row (record ids, `taken`, the matching index)
 * goes in batches to `runner`'s threads, and their results are merged in row order. Without a
 * runner the calling thread hashes too.
 */
export async function scanRegistry(
  file: string,
  keys: ReleaseKeys,
  schemaSource?: SchemaFile,
  schemaFile?: string,
  onRow?: (rows: number, bytes: number) => void,
  runner?: JobRunner,
): Promise<RegistryScan> {
  const jobs = runner ?? startJobs({ keys, recipients: 1, cutoff: 0 }, 1);
  try {
    return await scan(file, keys, jobs, schemaSource, schemaFile, onRow);
  } finally {
    if (runner === undefined) await jobs.close();
  }
}

async function scan(
  file: string,
  keys: ReleaseKeys,
  runner: JobRunner,
  schemaSource?: SchemaFile,
  schemaFile?: string,
  onRow?: (rows: number, bytes: number) => void,
): Promise<RegistryScan> {
  let schema: ResolvedSchema | null = null;
  let header: string[] = [];
  let index: IndexEntries[] = [];
  const size = (await fs.promises.stat(file).catch((err) => Promise.reject(ioError(err, file)))).size;
  let taken = new Bloom(1 << 10);
  const groups: { value: string; rows: number }[] = [];
  const seenGroups = new Set<string>();
  const sample = new SampleRows();
  let rows = 0;
  let probeBytes = 0;
  let stride = 0;
  let lastGroupRaw: Buffer | null = null;
  let builder: ScanBatchBuilder | null = null;
  let seq = 0;
  const sha = createHash('sha256');
  // Lines of the rows of each batch in flight, for naming a bad key.
  const batchLines: Int32Array[] = [];

  const pool = new BufferPool();
  const merge = (r: ScanResult) => {
    const lines = batchLines.shift()!;
    const sch = schema!;
    if (r.badKey >= 0) {
      throw new RollmarkError('REGISTRY_BAD_KEY', `empty key column '${header[sch.key]}'`, {
        file,
        line: lines[r.badKey],
        column: sch.key + 1,
      });
    }
    const U = 1 + sch.unique.length;
    const S = sch.match.length;
    const n = lines.length;
    const unique = r.unique;
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < U; u++) taken.add(unique[(i * U + u) * 2], unique[(i * U + u) * 2 + 1]);
      for (let s = 0; s < S; s++) {
        if (r.ok[i * S + s] === 1) index[s].add(r.fingerprints[(i * S + s) * 2], r.fingerprints[(i * S + s) * 2 + 1], r.ids[i]);
      }
    }
    pool.give(r.ids.buffer);
    for (const b of r.spent) pool.give(b);
  };
  const hashing = new OrderedJobs<ScanResult>(runner, merge);
  const submit = async () => {
    if (builder === null || builder.count === 0) return;
    const { batch, lines } = builder.take(seq++, pool);
    batchLines.push(lines);
    await hashing.submit({ kind: 'scan', batch, out: pool.take(scanResultSize(batch.rows, schema!)) });
  };

  try {
    await readRegistry(
      file,
      (h, line) => {
        header = h;
        if (header.every((c) => c === '')) throw new RollmarkError('CSV_EMPTY', 'the registry has no header row', { file, line });
        schema = schemaFor(header, file, schemaSource, schemaFile);
        const sch = schema;
        index = sch.match.map(() => new IndexEntries());
        // About 150+ bytes a row: size the filter from the file so it never needs to grow.
        taken = new Bloom(Math.ceil(size / 150) * (1 + sch.unique.length));
        builder = new ScanBatchBuilder(scanColumns(sch));
        runner.broadcast({ kind: 'schema', schema: sch.source, header });
      },
      (r) => {
        const sch = schema!;
        builder!.add(r);
        if (!sameGroup(r, sch.group, lastGroupRaw)) {
          let g = fieldString(r, sch.group[0]);
          for (let i = 1; i < sch.group.length; i++) g += '|' + fieldString(r, sch.group[i]);
          lastGroupRaw = groupBytes(r, sch.group);
          const last = groups[groups.length - 1];
          if (last === undefined || last.value !== g) {
            if (seenGroups.has(g)) {
              throw new RollmarkError(
                'REGISTRY_UNSORTED',
                `group ${sch.group.map((c) => header[c]).join('+')} = '${g}' appears again after other groups; sort the registry by group`,
                { file, line: r.line },
              );
            }
            seenGroups.add(g);
            groups.push({ value: g, rows: 0 });
          }
        }
        groups[groups.length - 1].rows++;
        if (rows < SAMPLE_PROBE) {
          probeBytes += r.next - r.start;
          if (rows % 4 === 0) sample.add(r);
        } else {
          if (stride === 0) {
            stride = Math.max(4, Math.floor(size / ((probeBytes / SAMPLE_PROBE) * SAMPLE_TARGET)));
            // The rows this file holds, from the bytes of the first ones (2% over; the entries
            // grow by half again if the estimate falls short).
            const expected = Math.ceil((size / (probeBytes / SAMPLE_PROBE)) * 1.02) + 1024;
            for (const e of index) e.reserve(Math.min(expected, 2 ** 31));
          }
          if (rows % stride === 0 && sample.count < 2 * SAMPLE_TARGET) sample.add(r);
        }
        rows++;
        if (onRow && (rows & 0xffff) === 0) onRow(rows, r.offset + (r.next - r.start));
      },
      () => (builder !== null && builder.size >= SCAN_BATCH_BYTES ? submit() : undefined),
      (chunk) => sha.update(chunk),
    );
    await submit();
    await hashing.drain();
  } catch (err) {
    // A row before the one that failed may have an empty key, which the file names first: hash
    // the rows read so far before reporting.
    if (!(err instanceof RollmarkError && err.code === 'REGISTRY_BAD_KEY') && schema !== null) {
      try {
        await submit();
        await hashing.drain();
      } catch (earlier) {
        if (earlier instanceof RollmarkError && earlier.code === 'REGISTRY_BAD_KEY') throw earlier;
      }
    }
    throw err;
  }
  if (schema === null) throw new RollmarkError('CSV_EMPTY', 'the registry is empty', { file });
  if (rows === 0) throw new RollmarkError('CSV_EMPTY', 'the registry has a header but no rows', { file });
  return { schema, header, rows, sha256: sha.digest('hex'), groups, index, taken, sample: sample.rows() };
}
