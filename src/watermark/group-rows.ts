import type { ScannedRecord } from '../csv/scanner.js';

const QUOTE = 34;

/**
 * The rows of one group (section), kept as the registry's own bytes: issue copies every byte it
 * does not edit straight through, and decodes only the cells it needs (key, marked cells, the
 * few rows a canary is composed from). Bounded by the largest group, never by the registry.
 */
export class GroupRows {
  readonly columns: number;
  count = 0;
  /** Physical line of the group's first row in the registry. */
  firstLine = 0;
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private spans = new Int32Array(1 << 16);
  private quoted = new Uint8Array(1 << 15);
  private rowStart = new Int32Array(4096);
  private rowEnd = new Int32Array(4096);

  constructor(columns: number) {
    this.columns = columns;
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
  }

  add(r: ScannedRecord): void {
    const len = r.end - r.start;
    if (this.used + len > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + len));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    const i = this.count;
    const F = this.columns;
    if ((i + 1) * F * 2 > this.spans.length) {
      const s = new Int32Array(this.spans.length * 2);
      s.set(this.spans);
      this.spans = s;
      const q = new Uint8Array(this.quoted.length * 2);
      q.set(this.quoted);
      this.quoted = q;
    }
    if (i >= this.rowStart.length) {
      const a = new Int32Array(this.rowStart.length * 2);
      a.set(this.rowStart);
      this.rowStart = a;
      const b = new Int32Array(this.rowEnd.length * 2);
      b.set(this.rowEnd);
      this.rowEnd = b;
    }
    if (i === 0) this.firstLine = r.line;
    r.buf.copy(this.buf, this.used, r.start, r.end);
    const shift = this.used - r.start;
    const base = i * F * 2;
    for (let f = 0; f < F; f++) {
      this.spans[base + 2 * f] = r.fieldStart[f] + shift;
      this.spans[base + 2 * f + 1] = r.fieldEnd[f] + shift;
      this.quoted[i * F + f] = r.quoted[f];
    }
    this.rowStart[i] = this.used;
    this.rowEnd[i] = this.used + len;
    this.used += len;
    this.count++;
  }

  /** One cell's value, unquoted and decoded. */
  cell(row: number, col: number): string {
    const k = (row * this.columns + col) * 2;
    let s = this.spans[k];
    let e = this.spans[k + 1];
    if (this.quoted[row * this.columns + col] === 0) return this.buf.toString('utf8', s, e);
    s++;
    e--;
    const v = this.buf.toString('utf8', s, e);
    const q = this.buf.indexOf(QUOTE, s);
    return q !== -1 && q < e ? v.replaceAll('""', '"') : v;
  }

  /** Every cell of a row (allocates: for the few rows a canary is composed from). */
  row(row: number): string[] {
    const out = new Array<string>(this.columns);
    for (let c = 0; c < this.columns; c++) out[c] = this.cell(row, c);
    return out;
  }

  /** The raw bytes of a cell, quotes included: [start, end) in `bytes`. */
  cellStart(row: number, col: number): number {
    return this.spans[(row * this.columns + col) * 2];
  }
  cellEnd(row: number, col: number): number {
    return this.spans[(row * this.columns + col) * 2 + 1];
  }
  rowBegin(row: number): number {
    return this.rowStart[row];
  }
  rowFinish(row: number): number {
    return this.rowEnd[row];
  }
  get bytes(): Buffer {
    return this.buf;
  }
}

/**
 * A growable output buffer for one recipient's copy: raw slices of registry bytes and re-encoded
 * cells are appended, and the filled part is handed to the copy's sink in ~1 MB pieces.
 */
export class LineBuffer {
  buf = Buffer.allocUnsafe(2 << 20);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  bytes(src: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    src.copy(this.buf, this.pos, start, end);
    this.pos += end - start;
  }

  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Takes the filled part (a copy: the buffer is reused). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
