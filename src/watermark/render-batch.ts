import { canonicalKey, CodeBook, RecordIds } from '../code/codebook.js';
import { cellMarks, classTable, writeCell, type CellMarks, type ClassTable } from '../code/marks.js';
import { csvField } from '../csv/write.js';
import { MAX_ROBUST_MARKS_PER_CELL, resolveSchema, type MarkedColumn } from '../schema/schema.js';
import { ByteTable } from './byte-table.js';
import type { SchemaFile } from '../schema/types.js';

const QUOTE = 34;

/**
 * A run of registry rows on its way to the copies: the registry's own bytes, each row followed by
 * LF, with the byte spans of the cells the marker reads, and the canary lines to put between them.
 * Plain typed arrays and strings, so a batch can be posted to a worker (the arrays transferred).
 */
export interface RowBatch {
  /** Order of the batch in the copy. */
  seq: number;
  rows: number;
  /** The buffer under the three views below (a pool's shared buffer): the result returns it. */
  buffer: ArrayBufferLike;
  bytes: Uint8Array;
  /** rows + 1 offsets: row i is bytes [rowStart[i], rowStart[i + 1]), its LF last. */
  rowStart: Int32Array;
  /** Per row, (1 + marked columns) pairs [start, end), quotes included: the key, then the marked
   *  cells by ordinal. */
  spans: Int32Array;
  /** Canary lines, each written before row `at` (at = rows: after the last), in this order. */
  inserts: CanaryLines[];
}

export interface CanaryLines {
  at: number;
  /** The line (LF included) for each recipient, or null where the recipient does not get it. */
  lines: (string | null)[];
}

/** Every recipient's bytes for one batch: recipient j's are data[ends[j - 1] .. ends[j]). */
export interface RenderedBatch {
  seq: number;
  data: Uint8Array;
  ends: Int32Array;
  /** Buffers done with (the batch's), for the caller to reuse. */
  spent: ArrayBufferLike[];
}

/** Lays a batch of `rows` rows, `bytes` bytes and `columns` spanned columns out over `buffer`. */
export function rowBatchViews(buffer: ArrayBufferLike, rows: number, bytes: number, columns: number): { rowStart: Int32Array; spans: Int32Array; bytes: Uint8Array } {
  const rowStart = new Int32Array(buffer, 0, rows + 1);
  const spans = new Int32Array(buffer, 4 * (rows + 1), rows * columns * 2);
  return { rowStart, spans, bytes: new Uint8Array(buffer, 4 * (rows + 1 + rows * columns * 2), bytes) };
}

export function rowBatchSize(rows: number, bytes: number, columns: number): number {
  return 4 * (rows + 1 + rows * columns * 2) + bytes;
}

/**
 * What a marker needs, as plain data (it is posted to worker threads): the schema as written and
 * the registry header it resolves against, the release's code and record keys, the recipient
 * count and the bias cutoff.
 */
export interface MarkerSetup {
  schema: SchemaFile;
  header: string[];
  keys: { code: Uint8Array; record: Uint8Array };
  recipients: number;
  cutoff: number;
}

/** A renderer for a setup: the same one in the calling thread and in every worker. */
export function createRenderer(setup: MarkerSetup): BatchRenderer {
  const { marks } = resolveSchema(setup.schema, setup.header);
  return new BatchRenderer(
    marks,
    classTable(marks),
    new CodeBook(setup.keys.code, setup.recipients, setup.cutoff),
    new RecordIds(setup.keys.record),
  );
}

/** A cell that writes the registry's own bytes. */
const RAW = -1;
/** A variant not computed yet. */
const UNSEEN = -2;

/** The cell cache is emptied (before a row) once it holds about this much. */
export interface CacheLimits {
  entries: number;
  keyBytes: number;
  positionSlots: number;
  variantSlots: number;
  variantBytes: number;
}

/** About 45 MB: enough for the distinct cells of a few million rows. */
export const DEFAULT_CACHE_LIMITS: CacheLimits = {
  entries: 1 << 18,
  keyBytes: 1 << 22,
  positionSlots: 1 << 20,
  variantSlots: 1 << 20,
  variantBytes: 1 << 23,
};
/** Code positions a cell can hold: the robust ones and two fragile ones. */
const MAX_POSITIONS = MAX_ROBUST_MARKS_PER_CELL + 2;

/**
 * Marks batches of registry rows for every recipient at once: the same function as `RowMarker`
 * over decoded cells followed by writing the row with only its changed cells re-encoded, done on
 * the registry's bytes. What a cell needs (its code slots; per combination of symbols, the bytes
 * a copy writes) depends on its value alone, so it is computed once per distinct value and found
 * again by the value's raw bytes. Rows, variants and every recipient's output share one buffer,
 * so each piece is one `copyWithin`: the hot loop allocates nothing.
 *
 * Pure: a batch in, every recipient's bytes out, the same whatever thread runs it.
 */
export class BatchRenderer {
  private readonly marks: MarkedColumn[];
  private readonly classes: ClassTable;
  private readonly code: CodeBook;
  private readonly ids: RecordIds;
  private readonly R: number;
  private readonly M: number;
  /** Marked ordinals in column order: the order cells appear in a row. */
  private readonly byColumn: Int32Array;

  // Workspace: [0, arenaCap) variant bytes | [rowsAt, rowsAt + rowsCap) the batch's rows |
  // R output regions of regionCap bytes from outAt.
  private ws: Buffer = Buffer.alloc(0);
  /** Twice what the cache may hold before it is emptied: one row more always fits. */
  private arenaCap: number;
  private layouts = 0;
  private arenaUsed = 0;
  private rowsAt = 0;
  private rowsCap = 0;
  private outAt = 0;
  private regionCap = 0;

  // The cell cache: values by their bytes, and per entry what the marker needs.
  private readonly limits: CacheLimits;
  private readonly values: ByteTable;
  private readonly npos: Uint8Array;
  private readonly markOf: Uint16Array;
  /** Entry x's code slots are slots[slotAt[x] ..], npos[x] of them. */
  private readonly slotAt: Int32Array;
  private readonly slots: Int32Array;
  private slotsUsed = 0;
  private readonly varAt: Int32Array;
  // Sized so that one row more always fits once `limits.variantSlots` are used.
  private readonly varOff: Int32Array;
  private readonly varLen: Int32Array;
  private varsUsed = 0;

  // Per row scratch: the cells with positions (ordinals, in column order) and their entries; per
  // (such cell, recipient) the variant; per recipient its symbols in the cell at hand.
  private readonly act: Int32Array;
  private readonly actEntry: Int32Array;
  private readonly rowVarOff: Int32Array;
  private readonly rowVarLen: Int32Array;
  private readonly mask: Int32Array;
  /** Per marked column, the cell of the row before: [start, end) in the workspace and its entry. */
  private readonly last: Int32Array;
  /** Per marked column, which cells `plainly` can tell hold nothing (0: none), and whether its
   *  first word gap is a position. */
  private readonly plainKind: Uint8Array;
  private readonly gapMarked: Uint8Array;
  private readonly symbols = new Uint8Array(MAX_POSITIONS);
  // The entry whose text and marks were last read back (for its variants).
  private textOf = -1;
  private text = '';
  private found: CellMarks | null = null;
  // Per recipient: where its next byte goes, and the first raw byte it has not copied yet.
  private readonly pos: Int32Array;
  private readonly run: Int32Array;

  constructor(marks: MarkedColumn[], classes: ClassTable, code: CodeBook, ids: RecordIds, limits: Partial<CacheLimits> = {}) {
    this.marks = marks;
    this.classes = classes;
    this.code = code;
    this.ids = ids;
    this.R = code.recipients;
    this.M = marks.length;
    this.byColumn = Int32Array.from([...marks].sort((a, b) => a.column - b.column).map((m) => m.ordinal));
    const L = (this.limits = { ...DEFAULT_CACHE_LIMITS, ...limits });
    this.values = new ByteTable(L.entries + this.M, L.keyBytes);
    this.npos = new Uint8Array(L.entries + this.M);
    this.markOf = new Uint16Array(L.entries + this.M);
    this.slotAt = new Int32Array(L.entries + this.M);
    this.varAt = new Int32Array(L.entries + this.M);
    this.slots = new Int32Array(L.positionSlots + this.M * MAX_POSITIONS);
    this.varOff = new Int32Array(L.variantSlots + (this.M << MAX_POSITIONS));
    this.varLen = new Int32Array(L.variantSlots + (this.M << MAX_POSITIONS));
    this.arenaCap = 2 * L.variantBytes;
    this.act = new Int32Array(this.M);
    this.actEntry = new Int32Array(this.M);
    this.rowVarOff = new Int32Array(this.M * this.R);
    this.rowVarLen = new Int32Array(this.M * this.R);
    this.mask = new Int32Array(this.R);
    this.last = new Int32Array(3 * this.M).fill(-1);
    this.plainKind = Uint8Array.from(marks, (mc) => (mc.robust === null ? 1 : mc.robust.hasDigitWord ? 0 : 2));
    this.gapMarked = Uint8Array.from(marks, (mc) => (mc.fragile.has('whitespace') ? 1 : 0));
    this.pos = new Int32Array(this.R);
    this.run = new Int32Array(this.R);
    this.layout(1 << 20, 1 << 20, this.arenaCap);
  }

  /** Marks a batch; the bytes go into `out` when it is large enough. */
  render(batch: RowBatch, out: ArrayBufferLike | null = null): RenderedBatch {
    const R = this.R;
    const n = batch.bytes.length;
    let extra = 0;
    for (const ins of batch.inserts) for (const l of ins.lines) if (l !== null) extra += 3 * l.length;
    for (let j = 0; j < R; j++) {
      this.pos[j] = this.outAt + j * this.regionCap;
      this.run[j] = this.rowsAt;
    }
    const want = Math.ceil(n * 1.25) + extra + 4096;
    if (n > this.rowsCap || want > this.regionCap) this.layout(Math.max(n, this.rowsCap), Math.max(want, this.regionCap), this.arenaCap);
    this.ws.set(batch.bytes, this.rowsAt);
    this.last.fill(-1);

    const inserts = batch.inserts;
    let next = 0;
    for (let i = 0; i < batch.rows; i++) {
      if (next < inserts.length && inserts[next].at === i) next = this.writeInserts(inserts, next, this.rowsAt + batch.rowStart[i]);
      this.renderRow(batch, i);
    }
    if (next < inserts.length) next = this.writeInserts(inserts, next, this.rowsAt + n);
    for (let j = 0; j < R; j++) this.flush(j, this.rowsAt + n);

    let total = 0;
    for (let j = 0; j < R; j++) total += this.pos[j] - (this.outAt + j * this.regionCap);
    const spent = [batch.buffer];
    let buffer: ArrayBufferLike;
    if (out !== null && out.byteLength >= total) {
      buffer = out;
    } else {
      buffer = new ArrayBuffer(Math.ceil((total * 1.25) / 65536) * 65536);
      if (out !== null) spent.push(out);
    }
    const data = new Uint8Array(buffer, 0, total);
    const ends = new Int32Array(R);
    let at = 0;
    for (let j = 0; j < R; j++) {
      const from = this.outAt + j * this.regionCap;
      data.set(this.ws.subarray(from, this.pos[j]), at);
      at += this.pos[j] - from;
      ends[j] = at;
    }
    return { seq: batch.seq, data, ends, spent };
  }

  private renderRow(batch: RowBatch, i: number): void {
    const R = this.R;
    const spans = batch.spans;
    const sp = i * (1 + this.M) * 2;
    // A full cache is emptied between rows, never inside one (the row's entries stay valid).
    if (
      this.values.size > this.limits.entries ||
      this.values.keyBytes > this.limits.keyBytes ||
      this.slotsUsed > this.limits.positionSlots ||
      this.varsUsed > this.limits.variantSlots ||
      this.arenaUsed > this.limits.variantBytes
    ) {
      this.reset();
    }
    let active = this.prepareRow(spans, sp, this.rowsAt);
    // The arena grew under the row (a row with more variant bytes than the arena had room for):
    // the workspace moved, so look the row up again in the new one (nothing is lost: entries and
    // variants stay).
    while (active < 0) active = this.prepareRow(spans, sp, this.rowsAt);

    const base = this.rowsAt;
    const rowEnd = base + batch.rowStart[i + 1];
    const act = this.act;
    const rowVarOff = this.rowVarOff;
    const rowVarLen = this.rowVarLen;
    const limitOf = this.outAt + this.regionCap;
    for (let j = 0; j < R; j++) {
      // Room for the raw bytes pending up to the row's end and the row's variants.
      let need = rowEnd - this.run[j];
      for (let a = 0; a < active; a++) need += rowVarLen[a * R + j];
      if (this.pos[j] + need > limitOf + j * this.regionCap) this.grow(need);
    }
    const ws = this.ws;
    for (let j = 0; j < R; j++) {
      let p = this.pos[j];
      let run = this.run[j];
      for (let a = 0; a < active; a++) {
        const vo = rowVarOff[a * R + j];
        if (vo === RAW) continue;
        const m = act[a];
        p = copy(ws, run, base + spans[sp + 2 + 2 * m], p);
        p = copy(ws, vo, vo + rowVarLen[a * R + j], p);
        run = base + spans[sp + 3 + 2 * m];
      }
      this.pos[j] = p;
      this.run[j] = run;
    }
  }

  /**
   * Looks the row's cells up, loads their positions and picks every recipient's variant of each
   * cell that has positions ("active", listed in column order in `act`); returns their number, or
   * -1 when the workspace had to be laid out afresh meanwhile.
   */
  private prepareRow(spans: Int32Array, sp: number, base: number): number {
    const layouts = this.layouts;
    const M = this.M;
    const R = this.R;
    const ids = this.ids;
    const ws = this.ws;
    const ks = base + spans[sp];
    const ke = base + spans[sp + 1];
    if (!(ws[ks] !== QUOTE && ids.computeAscii(ws, ks, ke))) ids.compute(canonicalKey(decodeCell(ws, ks, ke)));
    const id = ids.id;
    const code = this.code;
    const npos = this.npos;
    const byColumn = this.byColumn;
    const act = this.act;
    const mask = this.mask;
    const last = this.last;
    let active = 0;
    for (let c = 0; c < M; c++) {
      const m = byColumn[c];
      const s = base + spans[sp + 2 + 2 * m];
      const e = base + spans[sp + 3 + 2 * m];
      // The same bytes as this column's cell in the row before (a street, a colonia, an empty
      // NUM_INT): the same entry, without hashing.
      let x = -1;
      const ls = last[3 * m];
      const len = e - s;
      if (ls >= 0 && last[3 * m + 1] - ls === len) {
        let q = 0;
        while (q < len && ws[ls + q] === ws[s + q]) q++;
        if (q === len) x = last[3 * m + 2];
      }
      if (x < 0) {
        if (this.plainly(m, ws, s, e)) continue;
        x = this.values.find(m, ws, s, e);
        if (x < 0) x = this.addValue(m, ws, s, e);
        last[3 * m] = s;
        last[3 * m + 1] = e;
        last[3 * m + 2] = x;
      }
      const n = npos[x];
      if (n === 0) continue;
      act[active] = m;
      this.actEntry[active] = x;
      for (let j = 0; j < R; j++) mask[j] = 0;
      const sa = this.slotAt[x];
      for (let k = 0; k < n; k++) {
        const P = code.load(id, this.slots[sa + k]);
        for (let j = 0; j < R; j++) if (code.symbol(j, P) === 1) mask[j] |= 1 << k;
      }
      const va = this.varAt[x];
      const row = active * R;
      for (let j = 0; j < R; j++) {
        let off = this.varOff[va + mask[j]];
        if (off === UNSEEN) {
          off = this.computeVariant(x, mask[j]);
          if (this.layouts !== layouts) return -1;
        }
        this.rowVarOff[row + j] = off;
        this.rowVarLen[row + j] = this.varLen[va + mask[j]];
      }
      active++;
    }
    return active;
  }

  /**
   * True when marked column m's cell [s, e) holds no code position, as its bytes show without
   * looking it up: an empty cell; an ASCII cell in a column without robust families, with no Ñ to
   * compose and, if the column varies its first gap, a single word; an ASCII cell of digits alone
   * in a column none of whose spellings starts with digits. (What `cellMarks` would find: nothing.)
   */
  private plainly(m: number, ws: Buffer, s: number, e: number): boolean {
    if (e === s) return true;
    const kind = this.plainKind[m];
    if (kind === 0) return false;
    if (kind === 1) {
      // No robust families: positions come from Ñ (composition) or a first gap (whitespace).
      let words = 0;
      let inWord = false;
      for (let p = s; p < e; p++) {
        const b = ws[p];
        if (b >= 0x80) return false;
        const space = b === 32 || (b >= 9 && b <= 13);
        if (!space && !inWord) words++;
        inWord = !space;
      }
      return words < 2 || !this.gapMarked[m];
    }
    // kind 2: robust families without a spelling of digits; digits alone hold nothing.
    for (let p = s; p < e; p++) {
      const b = ws[p];
      if (b < 48 || b > 57) return false;
    }
    return true;
  }

  /** Enters a value not in the cache: its code positions, from its text. */
  private addValue(m: number, ws: Buffer, s: number, e: number): number {
    const text = decodeCell(ws, s, e);
    const found = cellMarks(this.marks[m], this.classes, text);
    const n = found.positions.length;
    const x = this.values.add(m, ws, s, e);
    this.npos[x] = n;
    this.markOf[x] = m;
    this.slotAt[x] = this.slotsUsed;
    for (let k = 0; k < n; k++) this.slots[this.slotsUsed++] = found.positions[k].slot;
    this.varAt[x] = this.varsUsed;
    if (n > 0) {
      this.varOff.fill(UNSEEN, this.varsUsed, this.varsUsed + (1 << n));
      this.varsUsed += 1 << n;
    }
    // Its first variant is wanted next: keep the text and marks at hand.
    this.textOf = x;
    this.text = text;
    this.found = found;
    return x;
  }

  /** The bytes a copy writes for entry x under symbol mask `mask`: RAW, or their offset in the arena. */
  private computeVariant(x: number, mask: number): number {
    if (this.textOf !== x) {
      // The cache keeps bytes only (no strings for the collector to trace): read the text back.
      const keys = this.values.keys;
      const ks = this.values.keyStart(x);
      this.text = decodeCell(Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength), ks, ks + this.values.keyLength(x));
      this.found = cellMarks(this.marks[this.markOf[x]], this.classes, this.text);
      this.textOf = x;
    }
    const text = this.text;
    const found = this.found!;
    const n = this.npos[x];
    for (let k = 0; k < n; k++) this.symbols[k] = (mask >>> k) & 1;
    const v = writeCell(this.marks[this.markOf[x]], text, found, this.symbols);
    const slot = this.varAt[x] + mask;
    if (v === text) {
      this.varOff[slot] = RAW;
      this.varLen[slot] = 0;
      return RAW;
    }
    const field = csvField(v);
    if (this.arenaUsed + 3 * field.length > this.arenaCap) {
      // Only inside a row (the cache is emptied between rows): make the arena larger.
      this.layout(this.rowsCap, this.regionCap, 2 * this.arenaCap + 3 * field.length);
    }
    const len = this.ws.write(field, this.arenaUsed, 'utf8');
    this.varOff[slot] = this.arenaUsed;
    this.varLen[slot] = len;
    this.arenaUsed += len;
    return this.varOff[slot];
  }

  private reset(): void {
    this.values.clear();
    this.slotsUsed = 0;
    this.last.fill(-1);
    this.varsUsed = 0;
    this.arenaUsed = 0;
    this.textOf = -1;
    this.found = null;
  }

  private writeInserts(inserts: CanaryLines[], next: number, upTo: number): number {
    const at = inserts[next].at;
    for (let j = 0; j < this.R; j++) this.flush(j, upTo);
    for (; next < inserts.length && inserts[next].at === at; next++) {
      const lines = inserts[next].lines;
      for (let j = 0; j < this.R; j++) {
        const l = lines[j];
        if (l === null) continue;
        if (this.pos[j] + 3 * l.length > this.outAt + (j + 1) * this.regionCap) this.grow(3 * l.length);
        this.pos[j] += this.ws.write(l, this.pos[j], 'utf8');
      }
    }
    return next;
  }

  /** Copies recipient j's raw bytes not written yet, up to `upTo`. */
  private flush(j: number, upTo: number): void {
    const need = upTo - this.run[j];
    if (need <= 0) return;
    if (this.pos[j] + need > this.outAt + (j + 1) * this.regionCap) this.grow(need);
    this.pos[j] = copy(this.ws, this.run[j], upTo, this.pos[j]);
    this.run[j] = upTo;
  }

  /** Makes every output region at least `need` bytes larger than what it holds. */
  private grow(need: number): void {
    let most = 0;
    for (let j = 0; j < this.R; j++) most = Math.max(most, this.pos[j] - (this.outAt + j * this.regionCap));
    this.layout(this.rowsCap, Math.max(2 * this.regionCap, most + need + 4096), this.arenaCap);
  }

  /** Lays the workspace out afresh, keeping the arena, the rows and what each region holds. */
  private layout(rowsCap: number, regionCap: number, arenaCap: number): void {
    const R = this.R;
    this.layouts++;
    this.last.fill(-1);
    const rowsAt = arenaCap;
    const outAt = rowsAt + rowsCap;
    const ws = Buffer.allocUnsafeSlow(outAt + R * regionCap);
    const old = this.ws;
    if (old.length > 0) {
      ws.set(old.subarray(0, this.arenaUsed), 0);
      ws.set(old.subarray(this.rowsAt, this.rowsAt + Math.min(this.rowsCap, rowsCap)), rowsAt);
      for (let j = 0; j < R; j++) {
        const from = this.outAt + j * this.regionCap;
        const to = outAt + j * regionCap;
        ws.set(old.subarray(from, this.pos[j]), to);
        this.pos[j] = to + (this.pos[j] - from);
        this.run[j] += rowsAt - this.rowsAt;
      }
    }
    this.ws = ws;
    this.arenaCap = arenaCap;
    this.rowsAt = rowsAt;
    this.rowsCap = rowsCap;
    this.outAt = outAt;
    this.regionCap = regionCap;
  }
}

/** Copies ws[from, to) to `at` (the two never overlap); returns the end. */
function copy(ws: Buffer, from: number, to: number, at: number): number {
  const n = to - from;
  if (n < 16) {
    for (let k = 0; k < n; k++) ws[at + k] = ws[from + k];
  } else {
    ws.copyWithin(at, from, to);
  }
  return at + n;
}

/** A cell's value from its raw bytes: quotes removed, `""` read as `"`. */
function decodeCell(buf: Buffer, s: number, e: number): string {
  if (e === s || buf[s] !== QUOTE) return buf.toString('utf8', s, e);
  const v = buf.toString('utf8', s + 1, e - 1);
  return v.includes('"') ? v.replaceAll('""', '"') : v;
}
