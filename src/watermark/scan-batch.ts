import { canonicalKey, RecordIds } from '../code/codebook.js';
import { blake3KeyedBlock, blake3KeyWords } from '../keys/blake3.js';
import type { FamilyMatcher } from '../code/families.js';
import { buildMatchTableFile, Fingerprinter, matchValue } from '../code/match-index.js';
import type { ScannedRecord } from '../csv/scanner.js';
import type { BufferPool } from './buffer-pool.js';
import type { ResolvedSchema } from '../schema/schema.js';
import { UniqueHasher } from './canaries.js';

const QUOTE = 34;

/**
 * The per-row hashing of issue's first pass, over batches of rows so that worker threads can do
 * it: for each row its record id, the hashes of its key and unique values (for the `taken`
 * filter) and its match-set fingerprints (for the matching index). The calling thread scans the
 * registry, keeps rows in order and merges the results in that order, so the index and the
 * filter are the same whoever hashed.
 */
export interface ScanBatch {
  seq: number;
  rows: number;
  /** The buffer under `spans` and `bytes` (a pool's shared buffer): the result returns it. */
  buffer: ArrayBufferLike;
  bytes: Uint8Array;
  /** Per row, one [start, end) pair per `scanColumns` column, relative to `bytes`, quotes included. */
  spans: Int32Array;
}

export interface ScanResult {
  seq: number;
  ids: Uint32Array;
  /** Per row, (1 + unique columns) pairs [hi, lo]: the key's, then each unique column's. */
  unique: Uint32Array;
  /** Per row and match set, [lo, hi]; `ok` is 0 where the set had an empty value. */
  fingerprints: Uint32Array;
  ok: Uint8Array;
  /** First row whose key is empty (canonically), or -1. */
  badKey: number;
  /** Buffers done with (the batch's), for the caller to reuse. */
  spent: ArrayBufferLike[];
}

/** Bytes of the results of a batch of `rows` rows. */
export function scanResultSize(rows: number, schema: ResolvedSchema): number {
  return rows * (4 * (1 + 2 * (1 + schema.unique.length) + 2 * schema.match.length) + schema.match.length);
}

/** The columns a scan batch carries: the key, the unique columns, then every match column. */
export function scanColumns(schema: ResolvedSchema): number[] {
  const cols = [schema.key, ...schema.unique];
  for (const set of schema.match) for (const c of set) if (!cols.includes(c)) cols.push(c);
  return cols;
}

/** Collects scanned rows (their bytes and the spans of `scanColumns`) into batches. */
export class ScanBatchBuilder {
  count = 0;
  private buf = new Uint8Array(1 << 20);
  private used = 0;
  private spans = new Int32Array(1 << 16);
  private lines = new Int32Array(1 << 12);
  private readonly cols: Int32Array;

  constructor(columns: number[]) {
    this.cols = Int32Array.from(columns);
  }

  get size(): number {
    return this.used;
  }

  add(r: ScannedRecord): void {
    const len = r.end - r.start;
    if (this.used + len > this.buf.length) {
      const grown = new Uint8Array(Math.max(2 * this.buf.length, this.used + len));
      grown.set(this.buf.subarray(0, this.used));
      this.buf = grown;
    }
    const C = this.cols.length;
    const i = this.count;
    if ((i + 1) * C * 2 > this.spans.length) {
      const s = new Int32Array(Math.max(2 * this.spans.length, (i + 1) * C * 2));
      s.set(this.spans);
      this.spans = s;
    }
    if (i >= this.lines.length) {
      const l = new Int32Array(2 * this.lines.length);
      l.set(this.lines);
      this.lines = l;
    }
    this.buf.set(r.buf.subarray(r.start, r.end), this.used);
    const shift = this.used - r.start;
    const base = i * C * 2;
    for (let c = 0; c < C; c++) {
      this.spans[base + 2 * c] = r.fieldStart[this.cols[c]] + shift;
      this.spans[base + 2 * c + 1] = r.fieldEnd[this.cols[c]] + shift;
    }
    this.lines[i] = r.line;
    this.used += len;
    this.count++;
  }

  /** The rows held as a batch (copied out) and their lines; the builder is emptied. */
  take(seq: number, pool: BufferPool): { batch: ScanBatch; lines: Int32Array } {
    const C = this.cols.length;
    const n = this.count * C * 2;
    const buffer = pool.take(4 * n + this.used);
    const spans = new Int32Array(buffer, 0, n);
    const bytes = new Uint8Array(buffer, 4 * n, this.used);
    spans.set(this.spans.subarray(0, n));
    bytes.set(this.buf.subarray(0, this.used));
    const batch: ScanBatch = { seq, rows: this.count, buffer, bytes, spans };
    const lines = this.lines.slice(0, this.count);
    this.count = 0;
    this.used = 0;
    return { batch, lines };
  }
}

/**
 * A column's match values (`matchValue`). Under a family matcher (given names) the canonical form
 * costs words, look-ups and joins, and names repeat: those are remembered per cell text. Without
 * one it is `canonicalCell`, whose common case (uppercase words, single spaces) returns the cell
 * itself at once: nothing to remember.
 */
class MatchValues {
  private readonly seen = new Map<string, string>();
  constructor(readonly robust: FamilyMatcher | null) {}
  get(cell: string): string {
    if (this.robust === null) return matchValue(cell, null);
    let v = this.seen.get(cell);
    if (v === undefined) {
      v = matchValue(cell, this.robust);
      if (this.seen.size >= 1 << 14) this.seen.clear();
      this.seen.set(cell, v);
    }
    return v;
  }
}

/** Hashes scan batches; one per thread. */
export class ScanHasher {
  private readonly schema: ResolvedSchema;
  private readonly ids: RecordIds;
  private readonly unique: UniqueHasher;
  private readonly fp: Fingerprinter;
  private readonly cols: number[];
  /** Per match set, per value: its index among the batch columns, and its match values. */
  private readonly setCols: number[][];
  private readonly setValues: MatchValues[][];
  private readonly vals: string[][];

  constructor(schema: ResolvedSchema, keys: { record: Uint8Array; index: Uint8Array }) {
    this.schema = schema;
    this.ids = new RecordIds(keys.record);
    this.unique = new UniqueHasher(keys.index);
    this.fp = new Fingerprinter(keys.index);
    this.cols = scanColumns(schema);
    this.setCols = schema.match.map((set) => set.map((c) => this.cols.indexOf(c)));
    this.setValues = schema.match.map((set) => set.map((col) => new MatchValues(schema.marks.find((m) => m.column === col)?.robust ?? null)));
    this.vals = schema.match.map((set) => new Array<string>(set.length));
    this.indexKey = keys.index;
    this.indexWords = blake3KeyWords(keys.index);
    this.direct = schema.match.length < 80 && this.directAgrees();
  }

  // The direct path: a set's fingerprint message built from the row's bytes.
  private readonly indexKey: Uint8Array;
  private readonly indexWords: Uint32Array;
  private readonly msg = new Uint8Array(64);
  private readonly out = new Uint32Array(16);
  private readonly direct: boolean;

  /**
   * Match set s's fingerprint straight from the row's bytes, when that gives the very text the
   * Fingerprinter hashes: its message is the set's number as U+0030 + s, then U+001F and each
   * canonical value, in UTF-8, keyed BLAKE3 under the index key, (lo, hi) the first two words. A
   * cell of uppercase ASCII letters and digits in words split by single spaces is its own
   * canonical value (`canonicalCell`); under a family matcher the value is looked up as text and
   * written in when it is ASCII. Returns 1 (the fingerprint is in `out[0..1]`), -1 (a value is
   * empty: no fingerprint), or 0 (not this way: take the text path).
   */
  private fingerprintBytes(s: number, buf: Buffer, spans: Int32Array, sp: number): number {
    const cols = this.setCols[s];
    const msg = this.msg;
    msg[0] = 0x30 + s;
    let at = 1;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      const cs = spans[sp + 2 * c];
      const ce = spans[sp + 2 * c + 1];
      if (ce === cs) return -1;
      const values = this.setValues[s][k];
      if (at + 1 + (ce - cs) > 64) return 0;
      msg[at++] = 0x1f;
      if (values.robust === null) {
        // Uppercase ASCII words, single spaces, nothing around them.
        let prev = 32;
        for (let p = cs; p < ce; p++) {
          const b = buf[p];
          if (!((b >= 65 && b <= 90) || (b >= 48 && b <= 57) || (b === 32 && prev !== 32))) return 0;
          msg[at++] = b;
          prev = b;
        }
        if (prev === 32) return 0;
      } else {
        if (buf[cs] === QUOTE) return 0;
        const v = values.get(buf.toString('utf8', cs, ce));
        if (v === '') return -1;
        if (at + v.length > 64) return 0;
        for (let q = 0; q < v.length; q++) {
          const ch = v.charCodeAt(q);
          if (ch > 127) return 0;
          msg[at++] = ch;
        }
      }
    }
    blake3KeyedBlock(this.indexWords, msg, at, 0, this.out);
    return 1;
  }

  /** The direct path against the Fingerprinter on a few rows of every shape it takes: same or unused. */
  private directAgrees(): boolean {
    const fp = new Fingerprinter(this.indexKey);
    const C = this.cols.length;
    for (const sample of ['GARCIA', 'DE LA CRUZ 19800101', 'MA GUADALUPE', 'JOSE LUIS']) {
      const bytes = Buffer.from(sample);
      const spans = new Int32Array(2 * C);
      for (let c = 0; c < C; c++) spans[2 * c + 1] = bytes.length;
      for (let s = 0; s < this.schema.match.length; s++) {
        if (this.fingerprintBytes(s, bytes, spans, 0) !== 1) continue;
        const lo = this.out[0];
        const hi = this.out[1];
        const values = this.setValues[s].map((v) => v.get(sample));
        if (!fp.compute(s, values) || fp.lo !== lo || fp.hi !== hi) return false;
      }
    }
    return true;
  }

  /** Hashes a batch; the results go into `into` when it is large enough. */
  hash(batch: ScanBatch, into: ArrayBufferLike | null = null): ScanResult {
    const { schema, ids, unique, fp } = this;
    const n = batch.rows;
    const C = this.cols.length;
    const U = 1 + schema.unique.length;
    const S = schema.match.length;
    const size = scanResultSize(n, schema);
    const spent = [batch.buffer];
    let buffer: ArrayBufferLike;
    if (into !== null && into.byteLength >= size) {
      buffer = into;
    } else {
      buffer = new ArrayBuffer(Math.ceil((size * 1.25) / 65536) * 65536);
      if (into !== null) spent.push(into);
    }
    const out: ScanResult = {
      seq: batch.seq,
      ids: new Uint32Array(buffer, 0, n),
      unique: new Uint32Array(buffer, 4 * n, n * U * 2),
      fingerprints: new Uint32Array(buffer, 4 * (n + n * U * 2), n * S * 2),
      ok: new Uint8Array(buffer, 4 * (n + n * U * 2 + n * S * 2), n * S),
      badKey: -1,
      spent,
    };
    out.ok.fill(0);
    const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    const spans = batch.spans;
    for (let i = 0; i < n; i++) {
      const sp = i * C * 2;
      // The key: its id, and its hash under the key column.
      const ks = spans[sp];
      const ke = spans[sp + 1];
      if (ke > ks && buf[ks] !== QUOTE && ids.computeAscii(buf, ks, ke)) {
        // Printable ASCII without lowercase: the bytes are the canonical key.
        unique.bytes(schema.key, buf, ks, ke);
      } else {
        const key = canonicalKey(cellText(buf, ks, ke));
        if (key === '') {
          out.badKey = i;
          return out;
        }
        ids.compute(key);
        unique.text(schema.key, key);
      }
      out.ids[i] = ids.id;
      const ua = i * U * 2;
      out.unique[ua] = unique.hi;
      out.unique[ua + 1] = unique.lo;
      for (let u = 1; u < U; u++) {
        const s = spans[sp + 2 * u];
        const e = spans[sp + 2 * u + 1];
        if (e > s && buf[s] === QUOTE) unique.text(schema.unique[u - 1], cellText(buf, s, e));
        else unique.bytes(schema.unique[u - 1], buf, s, e);
        out.unique[ua + 2 * u] = unique.hi;
        out.unique[ua + 2 * u + 1] = unique.lo;
      }
      for (let s = 0; s < S; s++) {
        const f = (i * S + s) * 2;
        const direct = this.direct ? this.fingerprintBytes(s, buf, spans, sp) : 0;
        if (direct === 1) {
          out.fingerprints[f] = this.out[0];
          out.fingerprints[f + 1] = this.out[1];
          out.ok[i * S + s] = 1;
          continue;
        }
        if (direct === -1) continue; // an empty value: no fingerprint
        const cols = this.setCols[s];
        const v = this.vals[s];
        for (let k = 0; k < cols.length; k++) {
          const c = cols[k];
          v[k] = this.setValues[s][k].get(cellText(buf, spans[sp + 2 * c], spans[sp + 2 * c + 1]));
        }
        if (fp.compute(s, v)) {
          out.fingerprints[f] = fp.lo;
          out.fingerprints[f + 1] = fp.hi;
          out.ok[i * S + s] = 1;
        }
      }
    }
    return out;
  }
}

/** A cell's value from its raw bytes: quotes removed, `""` read as `"`. */
function cellText(buf: Buffer, s: number, e: number): string {
  if (e === s || buf[s] !== QUOTE) return buf.toString('utf8', s, e);
  const v = buf.toString('utf8', s + 1, e - 1);
  return v.includes('"') ? v.replaceAll('""', '"') : v;
}

/**
 * One match set's index entries (fingerprint lo, hi, record id) in row order, held as typed
 * arrays so that building the index (`MatchIndexBuilder`, the same entries in the same order) can
 * be a job of its own, done while the copies are written.
 */
export class IndexEntries {
  size = 0;
  lo: Uint32Array = new Uint32Array(1 << 16);
  hi: Uint32Array = new Uint32Array(1 << 16);
  id: Uint32Array = new Uint32Array(1 << 16);

  add(lo: number, hi: number, id: number): void {
    if (this.size === this.lo.length) this.reserve(Math.ceil(this.lo.length * 1.5));
    this.lo[this.size] = lo;
    this.hi[this.size] = hi;
    this.id[this.size] = id;
    this.size++;
  }

  /**
   * Room for `capacity` entries. The registry pass reserves its estimate of the row count once it
   * knows the bytes a row: doubling from small would leave up to twice the room needed (on a
   * 90M-row registry, gigabytes) and copy everything on each step.
   */
  reserve(capacity: number): void {
    if (capacity <= this.lo.length) return;
    this.lo = resized(this.lo, this.size, capacity);
    this.hi = resized(this.hi, this.size, capacity);
    this.id = resized(this.id, this.size, capacity);
  }
}

function resized(a: Uint32Array, n: number, capacity: number): Uint32Array {
  const b = new Uint32Array(capacity);
  b.set(a.subarray(0, n));
  return b;
}

/** The index file of a match set (`encodeMatchTable` of the built table). */
export function encodeIndex(entries: { size: number; lo: Uint32Array; hi: Uint32Array; id: Uint32Array }): Uint8Array {
  const buf = buildMatchTableFile(entries.lo, entries.hi, entries.id, entries.size);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
