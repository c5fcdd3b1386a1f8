import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { digitFreeMarks } from '../../src/attribution/trace-core.js';
import { ByteMemo } from '../../src/attribution/byte-memo.js';
import { PositionTally } from '../../src/attribution/position-tally.js';
import { FastCode, blake3Keyed4 } from '../../src/attribution/trace-code.js';
import { EvidenceTally } from '../../src/attribution/evidence.js';
import { CodeBook } from '../../src/code/codebook.js';
import { blake3KeyWords, blake3KeyedBlock } from '../../src/keys/blake3.js';
import { cellMarks, classTable } from '../../src/code/marks.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { MX_INE_SCHEMA } from '../../src/presets/mx-ine/schema.js';
import { MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';

/** The hot-path pieces are the slow ones' exact equals. */
describe('blake3Keyed4', () => {
  it('is blake3KeyedBlock of the 4-byte message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (key, m0, counter) => {
        const kw = blake3KeyWords(key);
        const msg = new Uint8Array([m0 & 0xff, (m0 >>> 8) & 0xff, (m0 >>> 16) & 0xff, (m0 >>> 24) & 0xff]);
        const want = new Uint32Array(16);
        const got = new Uint32Array(16);
        blake3KeyedBlock(kw, msg, 4, counter, want);
        blake3Keyed4(kw, m0, counter, got);
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});

describe('FastCode', () => {
  it('gives CodeBook biases and symbols, for every recipient count it takes', () => {
    for (const R of [1, 2, 7, 16, 30]) {
      for (const cutoff of [0.02, 0.001, 0.3]) {
        const key = new Uint8Array(32).map((_, i) => (i * 37 + R) & 0xff);
        const slow = new CodeBook(key, R, cutoff);
        const fast = new FastCode(key, R, cutoff);
        const a = new Uint8Array(R);
        const b = new Uint8Array(R);
        for (let i = 0; i < 2000; i++) {
          const id = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
          const slot = (i * 13) % 64;
          const P = slow.load(id, slot);
          slow.symbols(P, a);
          // The core keeps ids as int32: the same bits.
          expect(fast.load(id | 0, slot, b)).toBe(P);
          expect(b).toEqual(a);
          let bits = 0;
          for (let j = 0; j < R; j++) bits |= a[j] << j;
          expect(fast.bits).toBe(bits);
          expect(fast.loadBits(id | 0, slot)).toBe(P);
          expect(fast.bits).toBe(bits);
        }
      }
    }
    expect(() => new FastCode(new Uint8Array(32), 31, 0.02)).toThrow();
  });
});

describe('PositionTally', () => {
  it('writes the bytes an EvidenceTally fed the same positions writes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 0xfff })), { maxLength: 400 }),
        (R, obs) => {
          const names = ['', 'a', 'b', 'c', 'canary'];
          const fast = new PositionTally(R, names);
          const slow = new EvidenceTally(R);
          for (const n of names) slow.classIndex(n);
          const xs = new Uint8Array(R);
          for (const [cls, y, P, bits] of obs) {
            for (let j = 0; j < R; j++) xs[j] = (bits >>> j) & 1;
            fast.observe(cls, y, P, bits & ((1 << R) - 1));
            slow.observe(y as 0 | 1, P, xs, cls);
          }
          expect(Buffer.from(fast.toBytes()).equals(Buffer.from(slow.toBytes()))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stays exact over a million positions in a few bins (runs, dense histograms)', () => {
    const R = 7;
    const fast = new PositionTally(R, ['', 'x']);
    const slow = new EvidenceTally(R);
    slow.classIndex('x');
    const xs = new Uint8Array(R);
    let s = 1;
    for (let i = 0; i < 1_200_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      const P = i % 3 === 0 ? 1 + ((s >>> 8) & 0xffff) % 65535 : 1 + (s & 7);
      const y = (s >>> 5) & 1;
      const bits = (s >>> 11) & 0x7f;
      for (let j = 0; j < R; j++) xs[j] = (bits >>> j) & 1;
      fast.observe(1, y, P, bits);
      slow.observe(y as 0 | 1, P, xs, 1);
    }
    expect(Buffer.from(fast.toBytes()).equals(Buffer.from(slow.toBytes()))).toBe(true);
    expect(EvidenceTally.fromBytes(fast.toBytes()).observations).toBe(1_200_000);
  });

  it('minus a part of its positions writes the bytes of a tally that never saw them (so does EvidenceTally)', () => {
    const position = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 0xfff }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(position, fc.boolean()), { maxLength: 400 }), (R, obs) => {
        const names = ['', 'a', 'canary'];
        const all = new PositionTally(R, names);
        const part = new PositionTally(R, names);
        const rest = new PositionTally(R, names);
        const slowAll = new EvidenceTally(R);
        const slowPart = new EvidenceTally(R);
        for (const n of names) {
          slowAll.classIndex(n);
          slowPart.classIndex(n);
        }
        const xs = new Uint8Array(R);
        for (const [[cls, y, P, raw], inPart] of obs) {
          const bits = raw & ((1 << R) - 1);
          for (let j = 0; j < R; j++) xs[j] = (bits >>> j) & 1;
          all.observe(cls, y, P, bits);
          slowAll.observe(y as 0 | 1, P, xs, cls);
          if (inPart) {
            part.observe(cls, y, P, bits);
            slowPart.observe(y as 0 | 1, P, xs, cls);
          } else rest.observe(cls, y, P, bits);
        }
        const want = Buffer.from(rest.toBytes());
        expect(Buffer.from(all.subtract(part).toBytes()).equals(want)).toBe(true);
        expect(Buffer.from(slowAll.subtract(slowPart).toBytes()).equals(want)).toBe(true);
      }),
      { numRuns: 60 },
    );
    const one = new PositionTally(3, ['']);
    one.observe(0, 1, 5, 3);
    const other = new PositionTally(3, ['']);
    other.observe(0, 1, 6, 3);
    expect(() => one.subtract(other)).toThrow(/did not hold/);
  });
});

describe('ByteMemo', () => {
  it('returns what was stored for the same bytes only, and keys Latin-1 apart where it matters', () => {
    const memo = new ByteMemo<string>(4); // 16 slots: collisions happen
    const vals = ['CALLE 5', 'CALLE  5', 'AV. JUAREZ', '', 'PE\u00d1A', 'X'.repeat(64), 'Y'.repeat(65)];
    const bufs = vals.map((v) => Buffer.from(v, 'latin1'));
    for (let round = 0; round < 3; round++) {
      bufs.forEach((b, i) => {
        for (const enc of ['utf8', 'latin1'] as const) {
          const got = memo.get(b, 0, b.length, enc);
          const want = `${vals[i]}|${/[^\x00-\x7f]/.test(vals[i]) ? enc : 'ascii'}`;
          if (got !== undefined) expect(got).toBe(want);
          else memo.set(want);
        }
      });
    }
    // Longer than 64 bytes: never kept.
    const long = bufs[6];
    memo.get(long, 0, long.length, 'utf8');
    memo.set('kept?');
    expect(memo.get(long, 0, long.length, 'utf8')).toBeUndefined();
  });
});

describe('digit runs in marked cells', () => {
  it('never change the positions of a column whose families spell no digit', () => {
    const schema = resolveSchema(MX_INE_SCHEMA, [...MX_INE_COLUMNS]);
    const classes = classTable(schema.marks);
    const words = ['CALLE', 'C.', 'AV', 'AVENIDA', 'MANZANA', 'MZA', 'LT.', 'LOTE', 'S/N', 'SIN', 'NUMERO', 'NORTE', 'NTE', 'COL.', 'COLONIA', 'DEPTO', 'INT', 'A', 'PE\u00d1A', 'B-2', '12A', 'NO.'];
    const digits = fc.stringMatching(/^[0-9]{1,4}$/);
    const token = fc.oneof(fc.constantFrom(...words), digits, fc.tuple(fc.constantFrom(...words), digits).map(([w, d]) => w + d));
    const cell = fc.tuple(fc.array(token, { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom(' ', '  ', '\t'), { minLength: 6, maxLength: 6 })).map(([ts, gaps]) => ts.map((t, i) => (i === 0 ? t : gaps[i] + t)).join(''));
    for (const mc of schema.marks) {
      if (!digitFreeMarks(MX_INE_SCHEMA, mc.name)) continue;
      fc.assert(
        fc.property(cell, fc.array(digits, { minLength: 8, maxLength: 8 }), (c, repl) => {
          let k = 0;
          const other = c.replace(/[0-9]+/g, () => repl[k++ % repl.length]);
          const pos = (x: string) => cellMarks(mc, classes, x).positions.map((p) => [p.slot, p.symbol, p.cls]);
          expect(pos(other)).toEqual(pos(c));
        }),
        { numRuns: 300 },
      );
    }
    expect(digitFreeMarks({ ...MX_INE_SCHEMA, marks: [{ column: 'CALLE', families: ['num'] }], families: { num: [['PRIMERO', '1RO']] } }, 'CALLE')).toBe(false);
  });
});
