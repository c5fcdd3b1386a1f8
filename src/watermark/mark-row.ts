import type { CodeBook } from '../code/codebook.js';
import { cellMarks, writeCell, type ClassTable } from '../code/marks.js';
import type { MarkedColumn } from '../schema/schema.js';

/**
 * Marks one row for every recipient at once: finds the row's code positions, loads each
 * position's bias and symbols once, and writes each marked cell in every distinct variant the
 * recipients need. Pure: fields in, per-recipient cell values out; it knows nothing of files.
 */
export class RowMarker {
  private readonly marks: MarkedColumn[];
  private readonly classes: ClassTable;
  private readonly code: CodeBook;
  private readonly symbols: Uint8Array[];
  private readonly variants = new Map<string, string>();

  constructor(marks: MarkedColumn[], classes: ClassTable, code: CodeBook) {
    this.marks = marks;
    this.classes = classes;
    this.code = code;
    this.symbols = Array.from({ length: code.recipients }, () => new Uint8Array(16));
  }

  /**
   * Fills out[j][m] with recipient j's value of marked column m for this row, given the row's
   * marked cells (cells[m] is marked column m's value). Cells without code positions keep the
   * registry's value for everybody (the same string, so a caller can copy the raw bytes).
   */
  mark(recordId: number, cells: string[], out: string[][]): void {
    const R = this.code.recipients;
    for (const mc of this.marks) {
      const cell = cells[mc.ordinal];
      const found = cellMarks(mc, this.classes, cell);
      const n = found.positions.length;
      if (n === 0) {
        for (let j = 0; j < R; j++) out[j][mc.ordinal] = cell;
        continue;
      }
      for (let k = 0; k < n; k++) {
        const P = this.code.load(recordId, found.positions[k].slot);
        for (let j = 0; j < R; j++) this.symbols[j][k] = this.code.symbol(j, P);
      }
      // Recipients with the same symbols in this cell share one written variant.
      this.variants.clear();
      for (let j = 0; j < R; j++) {
        const s = this.symbols[j];
        let sig = '';
        for (let k = 0; k < n; k++) sig += s[k];
        let v = this.variants.get(sig);
        if (v === undefined) {
          v = writeCell(mc, cell, found, s);
          this.variants.set(sig, v);
        }
        out[j][mc.ordinal] = v;
      }
    }
  }
}
