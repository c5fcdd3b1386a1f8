import type { ScannedRecord } from '../csv/scanner.js';
import type { BufferPool } from './buffer-pool.js';
import { rowBatchSize, rowBatchViews, type CanaryLines, type RowBatch } from './render-batch.js';

const QUOTE = 34;
const LF = 10;

/**
 * What canary composition reads of one group (section): its rows in order, decoded on demand.
 */
export interface GroupView {
  readonly count: number;
  /** One cell's value, unquoted and decoded. */
  cell(row: number, col: number): string;
  /** The cell as `Number(cell(row, col))` would read it, without making the string when it is digits. */
  cellNumber(row: number, col: number): number;
  /** Every cell of a row (allocates: for the few rows a canary is composed from). */
  row(row: number): string[];
}

/**
 * Registry rows kept as the registry's own bytes, each followed by LF (whatever line end the
 * registry used): issue copies every byte it does not edit straight through, and decodes only the
 * cells it needs (key, marked cells, the few rows a canary is composed from). It holds the rows of
 * one or more whole groups until they are handed on as a batch; bounded by the batch size or the
 * largest group, never by the registry.
 */
export class GroupRows {
  readonly columns: number;
  count = 0;
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private spans = new Int32Array(1 << 16);
  private rowStart = new Int32Array(4097);

  constructor(columns: number) {
    this.columns = columns;
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
  }

  /** Bytes held (rows and their LFs). */
  get size(): number {
    return this.used;
  }

  add(r: ScannedRecord): void {
    const len = r.end - r.start;
    if (this.used + len + 1 > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + len + 1));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    const i = this.count;
    const F = this.columns;
    if ((i + 1) * F * 2 > this.spans.length) {
      const s = new Int32Array(Math.max(this.spans.length * 2, (i + 1) * F * 2));
      s.set(this.spans);
      this.spans = s;
    }
    if (i + 2 > this.rowStart.length) {
      const a = new Int32Array(this.rowStart.length * 2);
      a.set(this.rowStart);
      this.rowStart = a;
    }
    const used = this.used;
    r.buf.copy(this.buf, used, r.start, r.end);
    this.buf[used + len] = LF;
    const shift = used - r.start;
    const base = i * F * 2;
    const fs = r.fieldStart;
    const fe = r.fieldEnd;
    const spans = this.spans;
    for (let f = 0; f < F; f++) {
      spans[base + 2 * f] = fs[f] + shift;
      spans[base + 2 * f + 1] = fe[f] + shift;
    }
    this.rowStart[i] = used;
    this.used = used + len + 1;
    this.rowStart[i + 1] = this.used;
    this.count++;
  }

  /** One cell's value, unquoted and decoded. */
  cell(row: number, col: number): string {
    const k = (row * this.columns + col) * 2;
    let s = this.spans[k];
    let e = this.spans[k + 1];
    if (e === s || this.buf[s] !== QUOTE) return this.buf.toString('utf8', s, e);
    s++;
    e--;
    const v = this.buf.toString('utf8', s, e);
    const q = this.buf.indexOf(QUOTE, s);
    return q !== -1 && q < e ? v.replaceAll('""', '"') : v;
  }

  cellNumber(row: number, col: number): number {
    const k = (row * this.columns + col) * 2;
    const s = this.spans[k];
    const e = this.spans[k + 1];
    if (e > s && e - s <= 15) {
      let v = 0;
      let p = s;
      for (; p < e; p++) {
        const d = this.buf[p] - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (p === e) return v;
    }
    return Number(this.cell(row, col));
  }

  row(row: number): string[] {
    const out = new Array<string>(this.columns);
    for (let c = 0; c < this.columns; c++) out[c] = this.cell(row, c);
    return out;
  }

  /**
   * Rows [first, end) as a batch of their own (their bytes copied out): the spans of `columns`
   * (the key, then the marked columns by ordinal) rebased on the batch, and the canary lines to
   * put before its rows (`at` relative to the batch).
   */
  batch(seq: number, first: number, end: number, columns: Int32Array, inserts: CanaryLines[], pool: BufferPool): RowBatch {
    const rows = end - first;
    const from = this.rowStart[first];
    const to = this.rowStart[end];
    const C = columns.length;
    const buffer = pool.take(rowBatchSize(rows, to - from, C));
    const { rowStart, spans, bytes } = rowBatchViews(buffer, rows, to - from, C);
    bytes.set(this.buf.subarray(from, to));
    for (let i = 0; i <= rows; i++) rowStart[i] = this.rowStart[first + i] - from;
    const F = this.columns;
    for (let i = 0; i < rows; i++) {
      const src = (first + i) * F * 2;
      const dst = i * C * 2;
      for (let c = 0; c < C; c++) {
        spans[dst + 2 * c] = this.spans[src + 2 * columns[c]] - from;
        spans[dst + 2 * c + 1] = this.spans[src + 2 * columns[c] + 1] - from;
      }
    }
    return { seq, rows, buffer, bytes, rowStart, spans, inserts };
  }

  /** A group's rows [first, first + count) as a view of their own. */
  view(first: number, count: number): GroupView {
    return new GroupWindow(this, first, count);
  }

  /** The raw bytes of a cell, quotes included: [start, end) in `bytes`. */
  cellStart(row: number, col: number): number {
    return this.spans[(row * this.columns + col) * 2];
  }
  cellEnd(row: number, col: number): number {
    return this.spans[(row * this.columns + col) * 2 + 1];
  }
  /** A row's first byte and the end of its line (its LF included). */
  rowBegin(row: number): number {
    return this.rowStart[row];
  }
  lineEnd(row: number): number {
    return this.rowStart[row + 1];
  }
  get bytes(): Buffer {
    return this.buf;
  }
}

class GroupWindow implements GroupView {
  constructor(
    private readonly rows: GroupRows,
    private readonly first: number,
    readonly count: number,
  ) {}
  cell(row: number, col: number): string {
    return this.rows.cell(this.first + row, col);
  }
  cellNumber(row: number, col: number): number {
    return this.rows.cellNumber(this.first + row, col);
  }
  row(row: number): string[] {
    return this.rows.row(this.first + row);
  }
}

/**
 * The raw bytes of a row's group cells (length-prefixed), kept to tell cheaply that the next row
 * is in the same group: equal bytes are the same group; different bytes may still decode to the
 * same value (quoted or not), which the caller then checks on the decoded value.
 */
export function groupBytes(r: ScannedRecord, cols: readonly number[]): Buffer {
  let n = 0;
  for (const c of cols) n += 4 + r.fieldEnd[c] - r.fieldStart[c];
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (const c of cols) {
    const s = r.fieldStart[c];
    const e = r.fieldEnd[c];
    out.writeUInt32LE(e - s, at);
    r.buf.copy(out, at + 4, s, e);
    at += 4 + e - s;
  }
  return out;
}

/** True when the row's group cells have exactly the bytes `groupBytes` kept. */
export function sameGroup(r: ScannedRecord, cols: readonly number[], kept: Buffer | null): boolean {
  if (kept === null) return false;
  const buf = r.buf;
  let at = 0;
  for (let i = 0; i < cols.length; i++) {
    const s = r.fieldStart[cols[i]];
    const len = r.fieldEnd[cols[i]] - s;
    if (at + 4 + len > kept.length || kept.readUInt32LE(at) !== len) return false;
    at += 4;
    for (let k = 0; k < len; k++) if (kept[at + k] !== buf[s + k]) return false;
    at += len;
  }
  return at === kept.length;
}
