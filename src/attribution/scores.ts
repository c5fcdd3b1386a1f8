/**
 * Per-position score terms of the attribution statistics.
 *
 * At an observed code position the dump shows a symbol y in {0,1}; the position's bias is the
 * 16-bit integer P (p = P / 65536, see code/bias.ts) and a recipient's symbol x is 1 with probability
 * exactly p. A statistic adds, for every observed position, a term that depends only on (y, P, x):
 *
 * - `tardos`: the symmetric Tardos score (Skoric, Vladimirova, Celik & Talstra, "Tardos
 *   fingerprinting is better than we thought", IEEE Trans. IT 2008, eq. 3; the symmetric form of
 *   Tardos, STOC 2003 / JACM 2008):
 *     y=1: x=1 -> +sqrt((1-p)/p),  x=0 -> -sqrt(p/(1-p))
 *     y=0: x=0 -> +sqrt(p/(1-p)),  x=1 -> -sqrt((1-p)/p)
 *   For a recipient who did not leak the term has mean 0 and variance 1.
 * - `llr(d)`: the log-likelihood ratio of "the dump is this recipient's copy with each symbol
 *   changed with probability d" against "the recipient is independent of the dump":
 *     agree (x == y) -> ln((1-d)/q),  disagree -> ln(d/(1-q)),  q = p if y=1 else 1-p
 *   q is the chance that an innocent agrees, so E[exp(term)] = 1 for an innocent (the
 *   likelihood-ratio martingale; cf. Furon & Desoubeaux, "Tardos codes for real", WIFS 2014, on
 *   single-decoder scores computed on the actual pirate copy).
 *
 * Quantization. Every term is rounded to a multiple of TERM_QUANTUM = 2^-20 before use. The
 * statistic *is* the sum of the rounded terms, and the tail bound (chernoff.ts) is computed on the
 * same rounded two-point distributions, so rounding costs no validity. What it buys: sums of such
 * values are exact in Float64 while |sum| < 2^33, so a recipient's score does not depend on the
 * order positions were seen in, and shard tallies merged by addition are bit-identical to one
 * tally over the whole dump.
 */

import { RollmarkError } from '../errors.js';
import { BIAS_SCALE } from '../code/bias.js';

/** Histogram bins over (y, P): bin = y * BIAS_SCALE + P (P = 0 is never used). */
export const BIN_COUNT = 2 * BIAS_SCALE;
/** Terms are multiples of this (2^-20); see the header comment. */
export const TERM_QUANTUM = 2 ** -20;
/** Sums of quantized terms are exact in Float64 while their magnitude stays below this. */
export const EXACT_SUM_LIMIT = 2 ** 33;

export type Statistic = { readonly kind: 'tardos' } | { readonly kind: 'llr'; readonly d: number };

export const TARDOS: Statistic = Object.freeze({ kind: 'tardos' as const });

/** The single-leaker log-likelihood-ratio statistic with symbol error rate d, 0 < d < 1/2. */
export function llr(d: number): Statistic {
  if (!(d > 0 && d < 0.5)) throw new RollmarkError('INTERNAL', `llr error rate must be in (0, 0.5), got ${d}`);
  return Object.freeze({ kind: 'llr' as const, d });
}

/**
 * The statistics trace uses by default.
 * - `tardos`: the collusion-secure one, and the strongest against minority-vote coalitions. For a
 *   copy leaked unchanged its Chernoff bound is exactly P(an innocent agrees with every observed
 *   symbol), the best any statistic can do for that case.
 * - `llr(0.05)`: a copy with a few symbols edited (one disagreement at a small-p position costs
 *   the Tardos score sqrt((1-p)/p), the LLR only ln(1/d)); also the best against 2-4 colluders by
 *   majority, whose disagreement rate with the dump is small (E[p(1-p)] = 1/8 for three).
 * - `llr(0.25)`: colluders who disagree with the dump a quarter of the time or more (five by
 *   majority, coin-flip and interleaving coalitions).
 * Each statistic costs a factor in the Bonferroni correction (ln 3 nats for three). Simulated
 * (bench/efficiency.mjs, 7 recipients, 1e-9, 95% power, cutoff 0.02): the Tardos score alone
 * needs 67% more positions against three colluders by majority and twice as many against five;
 * adding llr(0.125) as a fourth statistic changes no case by more than about 6%, either way.
 */
export const DEFAULT_STATISTICS: readonly Statistic[] = Object.freeze([TARDOS, llr(0.05), llr(0.25)]);

/** A stable name: `tardos` or `llr(0.05)`. */
export function statisticName(s: Statistic): string {
  return s.kind === 'tardos' ? 'tardos' : `llr(${s.d})`;
}

/** Inverse of statisticName. */
export function parseStatistic(name: string): Statistic {
  if (name === 'tardos') return TARDOS;
  const m = /^llr\(([0-9.eE+-]+)\)$/.exec(name);
  if (m) return llr(Number(m[1]));
  throw new RollmarkError('INTERNAL', `unknown statistic '${name}'`);
}

export function binIndex(y: 0 | 1, P: number): number {
  return y * BIAS_SCALE + P;
}

function quantize(v: number): number {
  // Multiplying and dividing by a power of two is exact; only Math.round rounds.
  return Math.round(v / TERM_QUANTUM) * TERM_QUANTUM;
}

/** Unquantized term values, for documentation and tests. */
export function rawTermPair(stat: Statistic, y: 0 | 1, P: number): { ifX1: number; ifX0: number } {
  const p = P / BIAS_SCALE;
  const p0 = (BIAS_SCALE - P) / BIAS_SCALE; // 1 - p, exact
  if (stat.kind === 'tardos') {
    const up = Math.sqrt(p0 / p); // sqrt((1-p)/p)
    const down = Math.sqrt(p / p0); // sqrt(p/(1-p))
    return y === 1 ? { ifX1: up, ifX0: -down } : { ifX1: -up, ifX0: down };
  }
  const d = stat.d;
  if (y === 1) return { ifX1: Math.log((1 - d) / p), ifX0: Math.log(d / p0) };
  return { ifX1: Math.log(d / p), ifX0: Math.log((1 - d) / p0) };
}

/** The quantized term values the statistic adds when the recipient's symbol is 1 or 0. */
export function termPair(stat: Statistic, y: 0 | 1, P: number): { ifX1: number; ifX0: number } {
  if (!(Number.isInteger(P) && P >= 1 && P < BIAS_SCALE)) throw new RollmarkError('INTERNAL', `bias P must be an integer in [1, 65535], got ${P}`);
  if (y !== 0 && y !== 1) throw new RollmarkError('INTERNAL', `symbol must be 0 or 1, got ${String(y)}`);
  const r = rawTermPair(stat, y, P);
  return { ifX1: quantize(r.ifX1), ifX0: quantize(r.ifX0) };
}

const tables = new Map<string, Float64Array>();

/**
 * The term table of a statistic: a Float64Array of 2 * BIN_COUNT values where
 * table[(bin << 1) | x] is the term for recipient symbol x at bin = y * 65536 + P.
 * Built on first use (about 10 ms) and shared; treat it as read-only.
 */
export function termTable(stat: Statistic): Float64Array {
  const key = statisticName(stat);
  let t = tables.get(key);
  if (t) return t;
  t = new Float64Array(2 * BIN_COUNT);
  for (const y of [0, 1] as const) {
    for (let P = 1; P < BIAS_SCALE; P++) {
      const { ifX1, ifX0 } = termPair(stat, y, P);
      const b = (y * BIAS_SCALE + P) << 1;
      t[b] = ifX0;
      t[b | 1] = ifX1;
    }
  }
  tables.set(key, t);
  return t;
}
