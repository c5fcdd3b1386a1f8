/**
 * The two ways a reader hands rows to the row core (trace-core.ts RowView): the general reader's
 * decoded string arrays, and the byte scanner's records, whose cells are decoded only on a memo
 * miss. Both give the core the same values for the same row.
 */
import { fieldString, type ScannedRecord } from '../csv/scanner.js';
import { NO_MARKS, type MatchValue, type ReleaseCore, type RowView, type Transform } from './trace-core.js';

/** The general reader's rows: decoded, padded string arrays (dump.ts). */
export class StringRowView implements RowView {
  fields: string[] = [];

  private cell(d: number, tf: Transform): string | null {
    const f = this.fields;
    if (d >= f.length) return null;
    return tf === undefined ? f[d] : tf(f[d]);
  }

  key(core: ReleaseCore, d: number, tf: Transform): boolean {
    const cell = this.cell(d, tf);
    return cell !== null && core.hashKeyText(cell);
  }

  matchValue(core: ReleaseCore, s: number, i: number, d: number): MatchValue | null {
    const cell = this.cell(d, core.matchSets[s].tf[i]);
    return cell === null ? null : core.computeMatchValue(s, i, cell);
  }

  groupKey(core: ReleaseCore): string {
    const cols = core.groupColumns!;
    let out = '';
    for (let g = 0; g < cols.length; g++) {
      if (g > 0) out += '|';
      out += this.cell(cols[g], core.groupTransforms[g]) ?? '';
    }
    return out;
  }

  marks(core: ReleaseCore, k: number): Int32Array {
    const m = core.marked[k];
    const cell = this.cell(m.d, m.tf);
    return cell === null ? NO_MARKS : core.computeMarks(k, cell);
  }
}

/**
 * The byte scanner's records (scanner.ts), padded as dump.ts pads: a row has max(fields, width)
 * cells, the missing ones empty. Fields are decoded (UTF-8 or Latin-1, as the row's bytes say)
 * only on a memo miss.
 */
export class RecordRowView implements RowView {
  r!: ScannedRecord;
  /** 'utf8' or 'latin1': how this row's non-ASCII bytes read. */
  encoding: 'utf8' | 'latin1' = 'utf8';
  /** Cells this row has (max of its field count and the dump's usual width). */
  width = 0;

  text(d: number, tf: Transform): string {
    const v = d < this.r.fieldCount ? fieldString(this.r, d, this.encoding) : '';
    return tf === undefined ? v : tf(v);
  }

  key(core: ReleaseCore, d: number, tf: Transform): boolean {
    if (d >= this.width) return false;
    const r = this.r;
    if (tf === undefined && d < r.fieldCount && r.quoted[d] === 0 && core.hashKeyBytes(r.buf, r.fieldStart[d], r.fieldEnd[d])) return true;
    return core.hashKeyText(this.text(d, tf));
  }

  matchValue(core: ReleaseCore, s: number, i: number, d: number): MatchValue | null {
    if (d >= this.width) return null;
    const r = this.r;
    // A cell of 1..64 bytes of A-Z 0-9 (a date, a CURP) is its own match value when the item has
    // no family and no transform: one word, already canonical. No memo, no text.
    const direct = core.matchDirect[s][i];
    if (direct !== null && d < r.fieldCount && r.quoted[d] === 0) {
      const fs = r.fieldStart[d];
      const n = r.fieldEnd[d] - fs;
      if (n >= 1 && n <= 64) {
        const buf = r.buf;
        const out = direct.bytes;
        let k = 0;
        for (; k < n; k++) {
          const b = buf[fs + k];
          if (!((b >= 48 && b <= 57) || (b >= 65 && b <= 90))) break;
          out[k] = b;
        }
        if (k === n) {
          direct.len = n;
          direct.text = null;
          return direct;
        }
      }
    }
    const memo = core.matchMemo[s][i];
    const inRow = d < r.fieldCount;
    const hit = inRow ? memo.get(r.buf, r.fieldStart[d], r.fieldEnd[d], this.encoding) : memo.get(r.buf, 0, 0, 'utf8');
    if (hit !== undefined) return hit;
    const v = core.computeMatchValue(s, i, this.text(d, core.matchSets[s].tf[i]));
    memo.set(v);
    return v;
  }

  groupKey(core: ReleaseCore): string {
    const cols = core.groupColumns!;
    const r = this.r;
    // The raw bytes of the group cells (with a separator and the row's decoding) key the last
    // group's text: consecutive rows of one section compare bytes and make no string.
    let need = 1;
    for (let g = 0; g < cols.length; g++) {
      const d = cols[g];
      need += 1 + (d < r.fieldCount ? r.fieldEnd[d] - r.fieldStart[d] : 0);
    }
    if (need > core.groupBytes.length) {
      core.groupBytes = new Uint8Array(Math.max(need, 2 * core.groupBytes.length));
      core.groupBytesLen = -1;
    }
    const gb = core.groupBytes;
    let same = true;
    let o = 0;
    const tag = this.encoding === 'utf8' ? 0 : 1;
    if (core.groupBytesLen < 0 || gb[o] !== tag) same = false;
    gb[o++] = tag;
    for (let g = 0; g < cols.length; g++) {
      const d = cols[g];
      if (d < r.fieldCount) {
        const s = r.fieldStart[d];
        const e = r.fieldEnd[d];
        const buf = r.buf;
        for (let p = s; p < e; p++, o++) {
          if (same && gb[o] !== buf[p]) same = false;
          gb[o] = buf[p];
        }
      }
      if (same && gb[o] !== 0x1f) same = false; // unit separator: an unlikely CSV byte
      gb[o++] = 0x1f;
    }
    if (same && o === core.groupBytesLen) return core.groupBytesKey;
    core.groupBytesLen = o;
    let out = '';
    for (let g = 0; g < cols.length; g++) {
      if (g > 0) out += '|';
      out += cols[g] < this.width ? this.text(cols[g], core.groupTransforms[g]) : '';
    }
    core.groupBytesKey = out;
    return out;
  }

  marks(core: ReleaseCore, k: number): Int32Array {
    const m = core.marked[k];
    const d = m.d;
    if (d >= this.width) return NO_MARKS;
    const r = this.r;
    if (m.asciiHasNone) {
      if (d >= r.fieldCount) return NO_MARKS;
      const buf = r.buf;
      const e = r.fieldEnd[d];
      let high = 0;
      for (let p = r.fieldStart[d]; p < e; p++) high |= buf[p];
      if ((high & 0x80) === 0) return NO_MARKS;
    }
    const memo = core.marksMemo[k];
    const hit = d < r.fieldCount ? memo.get(r.buf, r.fieldStart[d], r.fieldEnd[d], this.encoding) : memo.get(r.buf, 0, 0, 'utf8');
    if (hit !== undefined) return hit;
    const v = core.computeMarks(k, this.text(d, m.tf));
    memo.set(v);
    return v;
  }
}
