/**
 * The tally (merge, serialization, classes), the term tables, the bias map and the bound's
 * numerical edges.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EvidenceTally, type Evidence } from '../../src/attribution/evidence.js';
import { TailModel, attributionBound, chernoffLog10Tail, P_VALUE_FLOOR } from '../../src/attribution/chernoff.js';
import { BIAS_SCALE, DEFAULT_CUTOFF, biasFromUniform } from '../../src/code/bias.js';
import {
  DEFAULT_STATISTICS,
  TARDOS,
  TERM_QUANTUM,
  llr,
  parseStatistic,
  rawTermPair,
  statisticName,
  termPair,
  termTable,
} from '../../src/attribution/scores.js';
import { RollmarkError } from '../../src/errors.js';

interface Obs {
  y: 0 | 1;
  P: number;
  xs: number[];
  cls: string;
}

const R = 5;
const arbObs = fc.record({
  y: fc.constantFrom<0 | 1>(0, 1),
  P: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(1, 65535)),
  xs: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: R, maxLength: R }),
  cls: fc.constantFrom('', 'family:AVENIDA', 'family:CALLE', 'canary'),
});

function tallyOf(obs: Obs[]): EvidenceTally {
  const t = new EvidenceTally(R);
  for (const o of obs) t.observe(o.y, o.P, Uint8Array.from(o.xs), t.classIndex(o.cls));
  return t;
}

function sameEvidence(a: Evidence, b: Evidence): void {
  expect(Array.from(a.histogram.bins)).toEqual(Array.from(b.histogram.bins));
  expect(Array.from(a.histogram.counts)).toEqual(Array.from(b.histogram.counts));
  expect(Array.from(a.sums)).toEqual(Array.from(b.sums)); // bit-identical: quantized terms
  expect(a.observations).toBe(b.observations);
  expect(a.ones).toBe(b.ones);
}

describe('EvidenceTally', () => {
  it('merging shard tallies equals one tally over everything, bit for bit', () => {
    fc.assert(
      fc.property(fc.array(arbObs, { maxLength: 60 }), fc.array(arbObs, { maxLength: 60 }), (a, b) => {
        const whole = tallyOf([...a, ...b]);
        const merged = tallyOf(a).merge(tallyOf(b));
        sameEvidence(merged.finalize(), whole.finalize());
        sameEvidence(merged.finalize({ dropCollapsed: true }), whole.finalize({ dropCollapsed: true }));
        expect(merged.classes().sort((x, y) => x.name.localeCompare(y.name))).toEqual(
          whole.classes().sort((x, y) => x.name.localeCompare(y.name)),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('scores do not depend on the order positions were seen in', () => {
    fc.assert(
      fc.property(fc.array(arbObs, { minLength: 1, maxLength: 80 }), fc.integer(), (obs, seed) => {
        const shuffled = obs
          .map((o, i) => ({ o, k: Math.imul(i + 1, seed | 1) >>> 0 }))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.o);
        sameEvidence(tallyOf(shuffled).finalize(), tallyOf(obs).finalize());
      }),
      { numRuns: 100 },
    );
  });

  it('serialization round-trips (bytes and JSON)', () => {
    fc.assert(
      fc.property(fc.array(arbObs, { maxLength: 80 }), (obs) => {
        const t = tallyOf(obs);
        const bytes = t.toBytes();
        const back = EvidenceTally.fromBytes(bytes);
        expect(back.toBytes()).toEqual(bytes);
        sameEvidence(back.finalize(), t.finalize());
        const viaJson = EvidenceTally.fromJSON(JSON.parse(JSON.stringify(t)));
        expect(viaJson.toBytes()).toEqual(bytes);
        expect(back.statistics.map(statisticName)).toEqual(t.statistics.map(statisticName));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects corrupt or mismatched state', () => {
    const t = tallyOf([{ y: 1, P: 100, xs: [1, 0, 0, 0, 1], cls: 'x' }]);
    const bytes = t.toBytes();
    expect(() => EvidenceTally.fromBytes(bytes.subarray(0, bytes.length - 3))).toThrow(RollmarkError);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => EvidenceTally.fromBytes(bad)).toThrow(RollmarkError);
    expect(() => EvidenceTally.fromJSON({ format: 'other' })).toThrow(RollmarkError);
    expect(() => t.merge(new EvidenceTally(R + 1))).toThrow(RollmarkError);
    expect(() => t.merge(new EvidenceTally(R, [TARDOS]))).toThrow(RollmarkError);
    expect(() => t.observe(1, 0, new Uint8Array(R))).toThrow(RollmarkError);
    expect(() => t.observe(1, 65536, new Uint8Array(R))).toThrow(RollmarkError);
    expect(() => t.observe(1, 5, new Uint8Array(R - 1))).toThrow(RollmarkError);
    expect(() => t.observe(1, 5, new Uint8Array(R), 99)).toThrow(RollmarkError);
  });

  it('drops collapsed classes from the histogram and the sums', () => {
    const t = new EvidenceTally(2, [TARDOS]);
    const fam = t.classIndex('family:AVENIDA');
    t.observe(1, 30000, Uint8Array.of(1, 0));
    t.observe(0, 30000, Uint8Array.of(1, 0));
    t.observe(0, 1000, Uint8Array.of(1, 1), fam); // every AVENIDA read as the short form
    t.observe(0, 2000, Uint8Array.of(0, 1), fam);
    expect(t.collapsedClasses()).toEqual(['family:AVENIDA']);
    const all = t.finalize();
    const live = t.finalize({ dropCollapsed: true });
    expect(all.observations).toBe(4);
    expect(live.observations).toBe(2);
    expect(live.droppedClasses).toEqual(['family:AVENIDA']);
    expect(Array.from(live.histogram.bins)).toEqual([30000, BIAS_SCALE + 30000]);
    const term = (y: 0 | 1, P: number, x: 0 | 1): number => (x ? termPair(TARDOS, y, P).ifX1 : termPair(TARDOS, y, P).ifX0);
    expect(live.score(0, 0)).toBe(term(1, 30000, 1) + term(0, 30000, 1));
    expect(all.score(0, 1)).toBe(term(1, 30000, 0) + term(0, 30000, 0) + term(0, 1000, 1) + term(0, 2000, 1));
    expect(t.finalize({ drop: ['family:AVENIDA', 'no-such-class'] }).droppedClasses).toEqual(['family:AVENIDA']);
  });

  it('keeps small classes sparse and large ones dense (memory)', () => {
    const t = new EvidenceTally(10);
    const xs = new Uint8Array(10);
    const small = t.classIndex('family:small');
    const before = t.byteLength;
    for (let k = 0; k < 300; k++) t.observe((k & 1) as 0 | 1, 1 + ((k * 7919) % 65535), xs, small);
    const smallBytes = t.byteLength - before;
    expect(smallBytes).toBeLessThan(16 * 1024); // 512 slots x 12 bytes + sums
    const big = t.classIndex('family:big');
    for (let k = 0; k < 20000; k++) t.observe((k & 1) as 0 | 1, 1 + ((k * 7919) % 65535), xs, big);
    expect(t.byteLength).toBeLessThan(3 * 1024 * 1024 + 64 * 1024); // two dense classes at most
    expect(t.finalize().observations).toBe(20300);
  });
});

describe('term tables', () => {
  it('match the formulas, are quantized, and give an innocent mean 0 / E[exp] = 1', () => {
    for (const stat of [TARDOS, llr(0.05), llr(0.25)]) {
      const table = termTable(stat);
      expect(termTable(stat)).toBe(table); // shared
      for (const P of [1, 2, 77, 6554, 32768, 50000, 65535]) {
        for (const y of [0, 1] as const) {
          const raw = rawTermPair(stat, y, P);
          const q = termPair(stat, y, P);
          const b = (y * BIAS_SCALE + P) << 1;
          expect(table[b | 1]).toBe(q.ifX1);
          expect(table[b]).toBe(q.ifX0);
          expect(Math.abs(q.ifX1 - raw.ifX1)).toBeLessThanOrEqual(TERM_QUANTUM / 2);
          expect(Number.isInteger(q.ifX1 / TERM_QUANTUM)).toBe(true);
          const p = P / BIAS_SCALE;
          if (stat.kind === 'tardos') {
            expect(p * raw.ifX1 + (1 - p) * raw.ifX0).toBeCloseTo(0, 9);
            expect(p * raw.ifX1 ** 2 + (1 - p) * raw.ifX0 ** 2).toBeCloseTo(1, 9);
          } else {
            expect(p * Math.exp(raw.ifX1) + (1 - p) * Math.exp(raw.ifX0)).toBeCloseTo(1, 12);
          }
        }
      }
    }
    expect(termPair(TARDOS, 1, 16384).ifX1).toBe(Math.round(Math.sqrt(3) * 2 ** 20) / 2 ** 20); // p = 1/4
    expect(DEFAULT_STATISTICS.map(statisticName).map(parseStatistic)).toEqual(DEFAULT_STATISTICS);
  });
});

describe('biasFromUniform', () => {
  it('is an integer in [1, 65535], monotone, symmetric, and respects the cutoff', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (u, v) => {
        const P = biasFromUniform(u);
        expect(Number.isInteger(P) && P >= 1 && P <= 65535).toBe(true);
        expect(P / BIAS_SCALE).toBeGreaterThanOrEqual(DEFAULT_CUTOFF - 2 ** -17);
        expect(P / BIAS_SCALE).toBeLessThanOrEqual(1 - DEFAULT_CUTOFF + 2 ** -17);
        if (u <= v) expect(P).toBeLessThanOrEqual(biasFromUniform(v));
        expect(Math.abs(biasFromUniform(0xffffffff - u) - (BIAS_SCALE - P))).toBeLessThanOrEqual(1);
      }),
    );
    expect(biasFromUniform(0, 0)).toBe(1);
    expect(biasFromUniform(0xffffffff, 0)).toBe(65535);
  });

  it('follows the arcsine law with cutoff: P(p <= x) = (asin sqrt x - asin sqrt t) / (pi/2 - 2 asin sqrt t)', () => {
    const t = DEFAULT_CUTOFF;
    const r0 = Math.asin(Math.sqrt(t));
    const N = 1 << 16;
    const ps: number[] = [];
    for (let i = 0; i < N; i++) ps.push(biasFromUniform(Math.floor((i + 0.5) * (2 ** 32 / N))) / BIAS_SCALE);
    ps.sort((a, b) => a - b);
    for (const x of [0.03, 0.1, 0.3, 0.5, 0.8, 0.97]) {
      const empirical = ps.filter((p) => p <= x).length / N;
      const cdf = (Math.asin(Math.sqrt(x)) - r0) / (Math.PI / 2 - 2 * r0);
      expect(Math.abs(empirical - cdf)).toBeLessThan(1e-3);
    }
  });
});

describe('bound numerics', () => {
  it('gives 1 at or below the mean, and is monotone in s', () => {
    const hist = { bins: Int32Array.of(5000, BIAS_SCALE + 40000), counts: Float64Array.of(30, 50) };
    const model = TailModel.fromHistogram(hist, termTable(TARDOS));
    expect(model.lnTail(model.mean)).toBe(0);
    expect(model.lnTail(model.mean - 10)).toBe(0);
    let prev = 0;
    for (let s = model.mean; s <= model.offset + model.top + 1; s += 0.37) {
      const v = model.lnTail(s);
      expect(v).toBeLessThanOrEqual(prev + 1e-9);
      prev = v;
    }
  });

  it('upperQuantile certifies P(S > t) <= alpha (exact binomial) without being loose', () => {
    for (const [n, p, alpha] of [[500, 0.3, 0.05], [2000, 0.02, 0.01], [40, 0.9, 0.05], [10, 0.5, 0.001]] as const) {
      const model = new TailModel([n], [1], [0], [p]); // S = K ~ Binomial(n, p)
      const t = model.upperQuantile(alpha);
      // exact P(K > t)
      let pmf = (1 - p) ** n;
      let above = 0;
      for (let k = 0; k <= n; k++) {
        if (k > t) above += pmf;
        pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
      }
      expect(above).toBeLessThanOrEqual(alpha);
      expect(t).toBeLessThanOrEqual(Math.min(n, n * p + 4 * Math.sqrt(n * p * (1 - p)) + 1));
    }
    expect(new TailModel([3], [2], [2], [0.5]).upperQuantile(0.05)).toBe(6); // constant terms
  });

  it('handles huge evidence without overflow, returning exact log10 far below -300', () => {
    // 100,000 positions at P = 1 with y = 1, the recipient agreeing everywhere: P = 65536^-100000
    const hist = { bins: Int32Array.of(BIAS_SCALE + 1), counts: Float64Array.of(100000) };
    const s = 100000 * termPair(TARDOS, 1, 1).ifX1;
    const log10 = chernoffLog10Tail(hist, termTable(TARDOS), s);
    const exact = 100000 * Math.log10(1 / 65536);
    expect(log10).toBeGreaterThanOrEqual(exact);
    expect(log10 - exact).toBeLessThan(1e-3);
    // just below the top: a finite, huge lambda
    const near = chernoffLog10Tail(hist, termTable(TARDOS), s - 300);
    expect(Number.isFinite(near)).toBe(true);
    expect(near).toBeGreaterThan(log10);
    expect(near).toBeLessThan(-400000);
    for (const stat of [llr(0.05), llr(0.25)]) {
      const v = chernoffLog10Tail(hist, termTable(stat), 100000 * termPair(stat, 1, 1).ifX1);
      expect(Number.isFinite(v) && v < -300).toBe(true);
    }
  });

  it('reports log10 exactly and floors the pValue at 1e-300, corrected by #statistics x #recipients', () => {
    const t = new EvidenceTally(3);
    const xs = Uint8Array.of(1, 0, 0);
    for (let k = 0; k < 3000; k++) t.observe(1, 1 + (k % 1000), xs); // recipient 0 agrees everywhere
    const ev = t.finalize();
    const b = attributionBound(ev, 0, 12);
    const bestTail = Math.min(...b.statistics.map((s) => s.log10Tail));
    expect(b.log10PValue).toBeCloseTo(bestTail + Math.log10(DEFAULT_STATISTICS.length * 12), 9);
    expect(b.log10PValue).toBeLessThan(-1000);
    expect(b.pValue).toBe(P_VALUE_FLOOR);
    const innocent = attributionBound(ev, 1, 12);
    expect(innocent.pValue).toBe(1);
    expect(innocent.log10PValue).toBe(0);
  });
});
