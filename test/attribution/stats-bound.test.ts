/**
 * The false-accusation bound must hold: checked against exact tails (enumeration, binomial) and by
 * simulating innocent recipients against random and adversarial dumps.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TailModel, attributionBound, chernoffLog10Tail, tailModels } from '../../src/attribution/chernoff.js';
import { EvidenceTally, type Histogram } from '../../src/attribution/evidence.js';
import { BIAS_SCALE, biasFromUniform } from '../../src/code/bias.js';
import {
  DEFAULT_STATISTICS,
  TARDOS,
  llr,
  statisticName,
  termPair,
  termTable,
  type Statistic,
} from '../../src/attribution/scores.js';

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32: uniform u32. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const sm = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  return () => {
    const m = Math.imul(b, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = (d << 11) | (d >>> 21);
    return r;
  };
}

interface Position {
  y: 0 | 1;
  P: number;
}

function histogramOf(positions: Position[]): Histogram {
  const m = new Map<number, number>();
  for (const { y, P } of positions) m.set(y * BIAS_SCALE + P, (m.get(y * BIAS_SCALE + P) ?? 0) + 1);
  const keys = [...m.keys()].sort((a, b) => a - b);
  return { bins: Int32Array.from(keys), counts: Float64Array.from(keys.map((k) => m.get(k)!)) };
}

/** Exact null distribution by enumeration: distinct sums (descending) and ln P(S >= sum). */
function exactTails(stat: Statistic, positions: Position[]): { s: number; lnTail: number }[] {
  let dist = new Map<number, number>([[0, 1]]);
  for (const { y, P } of positions) {
    const { ifX1, ifX0 } = termPair(stat, y, P);
    const p = P / BIAS_SCALE;
    const next = new Map<number, number>();
    for (const [s, q] of dist) {
      next.set(s + ifX1, (next.get(s + ifX1) ?? 0) + q * p);
      next.set(s + ifX0, (next.get(s + ifX0) ?? 0) + q * (1 - p));
    }
    dist = next;
  }
  const sums = [...dist.keys()].sort((a, b) => b - a);
  let cum = 0;
  return sums.map((s) => {
    cum += dist.get(s)!;
    return { s, lnTail: Math.log(cum) };
  });
}

const arbP = fc.oneof(
  fc.constantFrom(1, 2, 3, 100, 32768, 65436, 65533, 65534, 65535),
  fc.integer({ min: 1, max: 65535 }),
  fc.integer({ min: 0, max: 0xffffffff }).map((u) => biasFromUniform(u, 0)),
);
const arbStat = fc.constantFrom<Statistic>(TARDOS, llr(0.02), llr(0.05), llr(0.125), llr(0.25), llr(0.45));
const arbPositions = fc.array(
  fc.record({ y: fc.constantFrom<0 | 1>(0, 1), P: arbP }),
  { minLength: 1, maxLength: 11 },
);

describe('Chernoff bound against exact tails', () => {
  it('is never below the exact tail, at every point of the support (enumeration)', () => {
    fc.assert(
      fc.property(arbStat, arbPositions, (stat, positions) => {
        const model = TailModel.fromHistogram(histogramOf(positions), termTable(stat));
        for (const { s, lnTail } of exactTails(stat, positions)) {
          const bound = model.lnTail(s);
          expect(bound).toBeLessThanOrEqual(0);
          if (!(bound >= lnTail - 1e-12)) {
            throw new Error(`bound ln ${bound} below exact ln ${lnTail} at s=${s} (${statisticName(stat)})`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is exact at the maximum: P(every term high) = prod q', () => {
    // 40 positions where the recipient agrees with y: Tardos score at its maximum
    const next = rng(7);
    const positions: Position[] = [];
    let lnExact = 0;
    for (let k = 0; k < 40; k++) {
      const P = biasFromUniform(next());
      const y = (next() & 1) as 0 | 1;
      positions.push({ y, P });
      lnExact += Math.log(y === 1 ? P / BIAS_SCALE : 1 - P / BIAS_SCALE);
    }
    const s = positions.reduce((acc, { y, P }) => acc + (y === 1 ? termPair(TARDOS, y, P).ifX1 : termPair(TARDOS, y, P).ifX0), 0);
    const log10 = chernoffLog10Tail(histogramOf(positions), termTable(TARDOS), s);
    expect(log10).toBeGreaterThanOrEqual(lnExact / Math.LN10);
    expect(log10 - lnExact / Math.LN10).toBeLessThan(1e-6);
  });

  /** ln P(K >= k), K ~ Binomial(n, p), by summing the pmf in log space. */
  function lnBinomialTail(n: number, p: number, k: number): number {
    const lf = new Float64Array(n + 1);
    for (let i = 1; i <= n; i++) lf[i] = lf[i - 1] + Math.log(i);
    const terms: number[] = [];
    for (let j = k; j <= n; j++) terms.push(lf[n] - lf[j] - lf[n - j] + j * Math.log(p) + (n - j) * Math.log1p(-p));
    const m = Math.max(...terms);
    return m + Math.log(terms.reduce((a, t) => a + Math.exp(t - m), 0));
  }

  it('iid two-point terms: above the exact binomial tail and within 2 orders of magnitude near 1e-9', () => {
    const cases: { stat: Statistic; y: 0 | 1; P: number; n: number }[] = [
      { stat: TARDOS, y: 1, P: 32768, n: 200 },
      { stat: TARDOS, y: 1, P: 1311, n: 500 }, // p = 0.02: heavy right tail
      { stat: TARDOS, y: 0, P: 655, n: 2000 },
      { stat: llr(0.05), y: 1, P: 6554, n: 300 },
      { stat: llr(0.25), y: 0, P: 50000, n: 1000 },
      { stat: llr(0.125), y: 1, P: 20000, n: 4000 },
    ];
    for (const { stat, y, P, n } of cases) {
      const { ifX1, ifX0 } = termPair(stat, y, P);
      const p = P / BIAS_SCALE;
      const hist: Histogram = { bins: Int32Array.of(y * BIAS_SCALE + P), counts: Float64Array.of(n) };
      // S = n ifX0 + K (ifX1 - ifX0) with K ~ Binomial(n, p): find k where the exact tail is ~1e-9
      const up = ifX1 > ifX0;
      let checked = 0;
      for (let k = 0; k <= n; k++) {
        // S >= s  <=>  K >= k when ifX1 > ifX0, K <= k otherwise
        const s = up ? n * ifX0 + k * (ifX1 - ifX0) : n * ifX1 + (n - k) * (ifX0 - ifX1);
        const lnExact = up ? lnBinomialTail(n, p, k) : lnBinomialTail(n, 1 - p, n - k);
        const log10Bound = chernoffLog10Tail(hist, termTable(stat), s);
        const log10Exact = Math.min(0, lnExact) / Math.LN10; // the pmf sum can round above 1
        expect(log10Bound).toBeGreaterThanOrEqual(log10Exact - 1e-12);
        if (log10Exact < -7 && log10Exact > -11) {
          expect(log10Bound - log10Exact).toBeLessThan(2);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    }
  });
});

describe('validity: innocent recipients against simulated dumps', () => {
  type Pattern = (P: number, next: () => number, leaker: number) => 0 | 1;
  const patterns: Record<string, { n: number; cutoff: number; y: Pattern }> = {
    // a leaked copy of someone else
    'another recipient\'s copy': { n: 200, cutoff: 0.02, y: (_P, _n, leaker) => leaker as 0 | 1 },
    'all ones': { n: 150, cutoff: 0.02, y: () => 1 },
    // y = 1 exactly where p is small (and 0 where it is large): every Tardos term heavy-tailed
    'y = 1 where p < 0.1': { n: 60, cutoff: 0, y: (P) => (P < 6554 ? 1 : 0) },
    'y = the rarer symbol everywhere, short dump': { n: 12, cutoff: 0, y: (P) => (P < 32768 ? 1 : 0) },
    'y = the rarer symbol everywhere': { n: 80, cutoff: 0.02, y: (P) => (P < 32768 ? 1 : 0) },
    'fair coin': { n: 400, cutoff: 0.02, y: (_P, next) => (next() & 1) as 0 | 1 },
    'tiny p only, y = 1': { n: 25, cutoff: 0.0005, y: (P) => (P < 1000 ? 1 : 0) },
  };
  const INNOCENTS = 12000;
  const ALPHAS = [0.1, 0.01, 0.001];

  /** Binomial slack: count <= alpha M + 4.5 sd + 1 fails with probability < 1e-5 if valid. */
  const limit = (alpha: number, m: number): number => alpha * m + 4.5 * Math.sqrt(m * alpha * (1 - alpha)) + 1;

  for (const [name, spec] of Object.entries(patterns)) {
    it(`never rejects more than alpha: ${name}`, () => {
      const next = rng(name.length * 7919 + spec.n);
      const tally = new EvidenceTally(INNOCENTS, DEFAULT_STATISTICS);
      const xs = new Uint8Array(INNOCENTS);
      let kept = 0;
      while (kept < spec.n) {
        const P = biasFromUniform(next(), spec.cutoff);
        if (name.startsWith('tiny') && P >= 1000) continue; // condition on the position set: still the null
        const leaker = (next() & 0xffff) < P ? 1 : 0;
        const y = spec.y(P, next, leaker);
        for (let j = 0; j < INNOCENTS; j++) xs[j] = (next() & 0xffff) < P ? 1 : 0;
        tally.observe(y, P, xs);
        kept++;
      }
      const ev = tally.finalize();
      const S = ev.statistics.length;
      const rejected = { combined: ALPHAS.map(() => 0), perStat: ev.statistics.map(() => ALPHAS.map(() => 0)) };
      const gaussian = ALPHAS.map(() => 0);
      const tardos = tailModels(ev)[0];
      for (let j = 0; j < INNOCENTS; j++) {
        const b = attributionBound(ev, j, 1); // corrected for the S statistics only
        b.statistics.forEach((sb, s) => ALPHAS.forEach((a, i) => (rejected.perStat[s][i] += sb.log10Tail <= Math.log10(a) ? 1 : 0)));
        ALPHAS.forEach((a, i) => (rejected.combined[i] += b.pValue <= a ? 1 : 0));
        // what a Gaussian approximation of the Tardos score would claim (not used by the library)
        const z = (ev.score(0, j) - tardos.mean) / Math.sqrt(tardos.variance);
        ALPHAS.forEach((a, i) => (gaussian[i] += upperNormal(z) <= a ? 1 : 0));
      }
      ALPHAS.forEach((a, i) => {
        expect(rejected.combined[i], `combined at alpha ${a}`).toBeLessThanOrEqual(limit(a, INNOCENTS));
        for (let s = 0; s < S; s++) {
          expect(rejected.perStat[s][i], `${statisticName(ev.statistics[s])} at alpha ${a}`).toBeLessThanOrEqual(limit(a, INNOCENTS));
        }
      });
      gaussianFailures.set(name, ALPHAS.map((a, i) => gaussian[i] - limit(a, INNOCENTS)));
    });
  }

  /** Per case and alpha: the Gaussian approximation's rejections minus the allowed limit. */
  const gaussianFailures = new Map<string, number[]>();
  it('has teeth: a Gaussian approximation of the Tardos tail fails the same check', () => {
    // Runs after the cases above, which record what a Gaussian tail would have rejected. Where
    // y = 1 sits on small p the Tardos terms are heavy-tailed and the Gaussian claims about 15-20
    // times too little at alpha = 0.001; the check above must catch that.
    expect(gaussianFailures.size).toBe(Object.keys(patterns).length);
    const excess = gaussianFailures.get('tiny p only, y = 1')!;
    expect(excess[2]).toBeGreaterThan(0);
    expect(gaussianFailures.get('y = the rarer symbol everywhere, short dump')![2]).toBeGreaterThan(0);
  });
});

describe('validity under class dropping and arbitrary attacks', () => {
  it('dropping classes chosen from the dump (collapsed ones) keeps the bound valid', () => {
    const next = rng(99);
    const M = 8000;
    const tally = new EvidenceTally(M, DEFAULT_STATISTICS);
    const xs = new Uint8Array(M);
    const classes = Array.from({ length: 12 }, (_, i) => tally.classIndex(`family:${i}`));
    for (let k = 0; k < 300; k++) {
      const P = biasFromUniform(next());
      const c = k % 12;
      for (let j = 0; j < M; j++) xs[j] = (next() & 0xffff) < P ? 1 : 0;
      // families 0-3 normalized by the leaker (always the short form); the rest a leaked copy
      const y = c < 4 ? 0 : (next() & 0xffff) < P ? 1 : 0;
      tally.observe(y, P, xs, classes[c]);
    }
    const ev = tally.finalize({ dropCollapsed: true });
    expect(ev.droppedClasses.length).toBeGreaterThanOrEqual(4);
    for (const alpha of [0.1, 0.01, 0.001]) {
      let rejected = 0;
      for (let j = 0; j < M; j++) if (attributionBound(ev, j, 1).pValue <= alpha) rejected++;
      expect(rejected).toBeLessThanOrEqual(alpha * M + 4.5 * Math.sqrt(M * alpha * (1 - alpha)) + 1);
    }
  });

  it('no attack implicates an innocent at 1e-9 (fast-check over coalition strategies)', () => {
    const RECIPIENTS = 8;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 400 }),
        fc.func(fc.constantFrom<0 | 1>(0, 1)),
        fc.integer(),
        (c, n, strategy, seed) => {
          const next = rng(seed);
          const tally = new EvidenceTally(RECIPIENTS);
          const xs = new Uint8Array(RECIPIENTS);
          for (let k = 0; k < n; k++) {
            const P = biasFromUniform(next());
            for (let j = 0; j < RECIPIENTS; j++) xs[j] = (next() & 0xffff) < P ? 1 : 0;
            // any function of what the coalition sees (its symbols) and even of the bias
            const y = strategy(xs.subarray(0, c).join(''), Math.floor(P / 4096), k % 3);
            tally.observe(y, P, xs);
          }
          const ev = tally.finalize();
          for (let j = c; j < RECIPIENTS; j++) expect(attributionBound(ev, j, RECIPIENTS).pValue).toBeGreaterThan(1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** P(Z >= z) for a standard normal, via erfc (Numerical Recipes' erfcc, rel. error < 1.2e-7). */
function upperNormal(z: number): number {
  const x = z / Math.SQRT2;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const r =
    t *
    Math.exp(
      -ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r / 2 : 1 - r / 2;
}
