/**
 * The false-accusation bound: a Chernoff bound on the exact null distribution of each statistic,
 * computed numerically on the dump's actual terms, then a Bonferroni correction.
 *
 * For a recipient who did not leak, statistic S = sum_k T_k with independent two-point terms:
 * T_k = a_k with probability p_k, b_k otherwise (a_k, b_k, p_k fixed by the dump's (y_k, P_k);
 * scores.ts). For every lambda >= 0 (Chernoff 1952; the exponential Markov inequality)
 *     P(S >= s) <= exp(Lambda(lambda) - lambda s),  Lambda(lambda) = sum_k ln E[exp(lambda T_k)],
 * so the bound holds at any lambda and the minimization over lambda only tightens it: a
 * root-finder that stops early costs tightness, never validity. This is the "bound on the actual
 * pirate copy" of Furon & Desoubeaux (WIFS 2014), here with the exact cumulant generating function
 * rather than a Gaussian approximation, whose tails are wrong exactly where a court looks (1e-9):
 * with heavy-tailed Tardos terms (y = 1 where p is small) the Gaussian tail is anti-conservative.
 * For the LLR statistics E[exp(T_k)] = 1, so lambda = 1 already gives Markov's exp(-s).
 *
 * Numerics. Terms are grouped by (y, P) bin with count n. With hi/lo the two values and q_hi, q_lo
 * their probabilities, gap = hi - lo > 0, r = ln q_lo - ln q_hi:
 *     Lambda(lambda) = lambda * sum n hi + sum n ln q_hi + sum n softplus(r - lambda gap)
 * which never overflows for lambda >= 0 (softplus(w) = ln(1 + e^w), evaluated stably), and
 * Lambda'(lambda) = sum n hi - sum n gap sigmoid(r - lambda gap). The optimum solves
 * Lambda'(lambda) = s; the left side rises from the mean (lambda = 0) to the maximum sum n hi
 * (lambda -> infinity), so: s <= mean gives the trivial bound 1; s within half the smallest gap
 * of the maximum means S >= s iff every term is at its high value, whose probability
 * prod q_hi^n is both exact and the Chernoff infimum; otherwise a bracketed Newton iteration
 * on ln(sum n gap sigmoid) finds lambda. To keep the computed bound above the true one, a margin
 * covering Float64 rounding (2^-33 times the absolute magnitudes summed, over 2^3 times the
 * worst-case error of summing 2^17 bins) is added to the exponent, and the observed sum is
 * reduced by its own worst-case rounding when it could not be exact (scores.ts: sums of
 * quantized terms are exact below 2^33).
 *
 * Correction: p-value = min over statistics of the bound, times (#statistics) x (#recipients
 * tested across all releases) (Bonferroni), capped at 1.
 */
import { RollmarkError } from '../errors.js';
import type { Evidence, Histogram } from './evidence.js';
import { BIAS_SCALE } from '../code/bias.js';
import { EXACT_SUM_LIMIT, statisticName, termTable } from './scores.js';

const LN10 = Math.LN10;
const MARGIN = 2 ** -33;
/** The smallest double a pValue is floored at (contract). */
export const P_VALUE_FLOOR = 1e-300;

function softplus(w: number): number {
  return w > 0 ? w + Math.log1p(Math.exp(-w)) : Math.log1p(Math.exp(w));
}

/**
 * The distribution of a sum of independent two-point terms, grouped: n[i] terms equal hi[i] with
 * probability exp(lnQhi[i]) and hi[i] - gap[i] otherwise. Constant terms are folded into `offset`.
 */
export class TailModel {
  /** Sum of the constant terms. */
  readonly offset: number;
  /** The largest value the random part can take: sum n hi. */
  readonly top: number;
  /** ln P(every random term at its high value) = sum n ln q_hi. */
  readonly lnTop: number;
  /** E[S] (offset included). */
  readonly mean: number;
  /** Var[S]. */
  readonly variance: number;
  /** Number of terms. */
  readonly count: number;
  /** E[top - S] = sum n gap q_lo. */
  private readonly g0: number;
  private readonly n: Float64Array;
  private readonly gap: Float64Array;
  private readonly ratio: Float64Array;
  private readonly minGap: number;
  /** Sum of n * max |value| over all terms: bounds every partial sum (exactness test). */
  private readonly absSum: number;
  private readonly absHi: number;
  private readonly sumGap: number;
  private readonly absLn: number;

  /**
   * From term groups: counts[i] terms each equal to a[i] with probability pa[i] (in [0, 1]) and
   * b[i] otherwise.
   */
  constructor(counts: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, pa: ArrayLike<number>) {
    const m = counts.length;
    const n = new Float64Array(m);
    const gap = new Float64Array(m);
    const ratio = new Float64Array(m);
    let k = 0;
    let offset = 0;
    let top = 0;
    let lnTop = 0;
    let mean = 0;
    let variance = 0;
    let g0 = 0;
    let count = 0;
    let minGap = Infinity;
    let absSum = 0;
    let absHi = 0;
    let sumGap = 0;
    let absLn = 0;
    for (let i = 0; i < m; i++) {
      const c = counts[i];
      if (c === 0) continue;
      if (!(c > 0 && Number.isFinite(c))) throw new RollmarkError('INTERNAL', `bad term count ${c}`);
      const va = a[i];
      const vb = b[i];
      const qa = pa[i];
      if (!(Number.isFinite(va) && Number.isFinite(vb) && qa >= 0 && qa <= 1)) throw new RollmarkError('INTERNAL', 'bad two-point term');
      count += c;
      absSum += c * Math.max(Math.abs(va), Math.abs(vb));
      if (va === vb || qa === 1 || qa === 0) {
        const v = va === vb || qa === 1 ? va : vb;
        offset += c * v;
        mean += c * v;
        continue;
      }
      const aHigh = va > vb;
      const hi = aHigh ? va : vb;
      const g = aHigh ? va - vb : vb - va;
      const qHi = aHigh ? qa : 1 - qa;
      const qLo = 1 - qHi;
      const lnHi = Math.log(qHi);
      const r = Math.log(qLo) - lnHi;
      n[k] = c;
      gap[k] = g;
      ratio[k] = r;
      k++;
      top += c * hi;
      lnTop += c * lnHi;
      mean += c * (hi - g * qLo);
      variance += c * g * g * qLo * qHi;
      g0 += c * g * qLo;
      if (g < minGap) minGap = g;
      absHi += c * Math.abs(hi);
      sumGap += c * g;
      absLn += c * (Math.abs(lnHi) + Math.abs(r) + 1);
    }
    this.n = n.subarray(0, k);
    this.gap = gap.subarray(0, k);
    this.ratio = ratio.subarray(0, k);
    this.offset = offset;
    this.top = top;
    this.lnTop = lnTop;
    this.mean = mean;
    this.variance = variance;
    this.g0 = g0;
    this.count = count;
    this.minGap = minGap;
    this.absSum = absSum + Math.abs(offset);
    this.absHi = absHi + Math.abs(offset);
    this.sumGap = sumGap;
    this.absLn = absLn;
  }

  /**
   * The null model of a statistic over a histogram of (y, P) bins: at bin y*65536+P a term is
   * table[(bin << 1) | 1] with probability P/65536 (the recipient's symbol is 1), else
   * table[bin << 1].
   */
  static fromHistogram(hist: Histogram, table: Float64Array): TailModel {
    const m = hist.bins.length;
    const a = new Float64Array(m);
    const b = new Float64Array(m);
    const pa = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const bin = hist.bins[i];
      const P = bin % BIAS_SCALE;
      if (P === 0 || bin >= 2 * BIAS_SCALE) throw new RollmarkError('INTERNAL', `bad histogram bin ${bin}`);
      a[i] = table[(bin << 1) | 1];
      b[i] = table[bin << 1];
      pa[i] = P / BIAS_SCALE;
    }
    return new TailModel(hist.counts, a, b, pa);
  }

  /** The number of random (non-constant) term groups. */
  get groups(): number {
    return this.n.length;
  }

  /** Upper bound on the rounding error of an observed Float64 sum of these terms. */
  private sumError(): number {
    if (this.absSum <= EXACT_SUM_LIMIT / 2) return 0; // quantized terms: every partial sum exact
    return (this.count + 2 ** 20) * this.absSum * 2 ** -52;
  }

  /** Lambda(lambda) - lambda * t for the random part, t = s - offset, D = top - t. */
  private exponent(lambda: number, D: number): number {
    const n = this.n;
    const gap = this.gap;
    const ratio = this.ratio;
    let acc = 0;
    for (let i = 0; i < n.length; i++) acc += n[i] * softplus(ratio[i] - lambda * gap[i]);
    return lambda * D + this.lnTop + acc;
  }

  private margin(lambda: number, s: number): number {
    return MARGIN * (lambda * (this.absHi + Math.abs(s) + this.sumGap) + this.absLn + 1);
  }

  /** G(lambda) = sum n gap sigmoid(r - lambda gap) and its derivative (<= 0). */
  private tilt(lambda: number): { g: number; dg: number } {
    const n = this.n;
    const gap = this.gap;
    const ratio = this.ratio;
    let g = 0;
    let dg = 0;
    for (let i = 0; i < n.length; i++) {
      const w = ratio[i] - lambda * gap[i];
      let sig: number;
      let one: number; // 1 - sig
      if (w >= 0) {
        const e = Math.exp(-w);
        sig = 1 / (1 + e);
        one = e / (1 + e);
      } else {
        const e = Math.exp(w);
        sig = e / (1 + e);
        one = 1 / (1 + e);
      }
      const ng = n[i] * gap[i];
      g += ng * sig;
      dg -= ng * gap[i] * sig * one;
    }
    return { g, dg };
  }

  /**
   * The minimizing lambda >= 0 of Lambda(lambda) - lambda s for s strictly between the mean and
   * the top: the root of G(lambda) = D, found by safeguarded Newton on ln G (nearly linear in
   * lambda where G decays exponentially), bracketed so it always converges.
   */
  private optimalLambda(D: number, G0: number): number {
    const lnD = Math.log(D);
    let lo = 0; // G(lo) > D
    let hi = Infinity; // G(hi) <= D
    let x = this.variance > 0 ? (G0 - D) / this.variance : 1;
    if (!(x > 0 && Number.isFinite(x))) x = 1;
    for (let iter = 0; iter < 200; iter++) {
      const { g, dg } = this.tilt(x);
      if (g > D) lo = x;
      else hi = x;
      if (g <= 0 || !(dg < 0)) {
        // underflow far past the root: bisect
        x = hi === Infinity ? x * 4 : (lo + hi) / 2;
        continue;
      }
      const h = Math.log(g) - lnD;
      if (Math.abs(h) < 1e-13 || (hi !== Infinity && hi - lo <= 1e-14 * hi)) break;
      let next = x - h * (g / dg);
      if (!(next > lo && next < hi)) next = hi === Infinity ? Math.max(x * 4, lo * 4) : (lo + hi) / 2;
      if (next > 1e300) break;
      x = next;
    }
    return x;
  }

  /**
   * ln of an upper bound on P(S >= s); 0 means the trivial bound 1. Never below the true
   * Chernoff infimum's value by more than Float64 rounding, which the margin covers.
   */
  lnTail(s: number): number {
    if (Number.isNaN(s)) throw new RollmarkError('INTERNAL', 'observed statistic is NaN');
    const err = this.sumError();
    const t = s - err - this.offset;
    if (this.n.length === 0) return 0;
    const D = this.top - t;
    // s at (or, impossibly, above) the maximum: S >= s iff every term is high, whose probability
    // is exact and is the Chernoff infimum (lambda -> infinity). When err = 0 every quantity here
    // is a sum of quantized terms below 2^33, so D is exact and D < minGap decides it exactly.
    if (D <= 0 || (err === 0 && D <= this.minGap / 2)) return Math.min(0, this.lnTop + MARGIN * (this.absLn + 1));
    const G0 = this.g0; // E[top - S] = Lambda'(0) gap
    if (D >= G0) return 0; // s <= mean: the optimum is lambda = 0, bound 1
    const lambda = this.optimalLambda(D, G0);
    const v = this.exponent(lambda, D) + this.margin(lambda, s);
    return v < 0 ? v : 0;
  }

  /** log10 of the bound on P(S >= s). */
  log10Tail(s: number): number {
    return this.lnTail(s) / LN10;
  }

  /**
   * A conservative upper quantile: a value t with P(S > t) <= alpha by the Chernoff bound (the
   * smallest such t the bound certifies, up to the root-finder's tolerance). Used on the negated
   * statistic of a hypothetical leaker to get a lower quantile of its score.
   */
  upperQuantile(alpha: number): number {
    if (!(alpha > 0 && alpha < 1)) throw new RollmarkError('INTERNAL', `quantile level must be in (0, 1), got ${alpha}`);
    const top = this.offset + this.top;
    if (this.n.length === 0) return this.offset;
    const L = -Math.log(alpha);
    // P(S = top) >= alpha: nothing below the top is certified, and P(S > top) = 0
    if (this.lnTop >= -L) return top;
    // For lambda > 0 the Chernoff bound at t(lambda) = offset + (Lambda(lambda) + L) / lambda is
    // exactly alpha, so every lambda certifies t(lambda). The best lambda solves
    // g(lambda) = lambda Lambda'(lambda) - Lambda(lambda) = L, g increasing (g' = lambda Lambda'');
    // bracketed Newton, keeping the smallest t(lambda) seen (each one is valid).
    let best = top;
    let lo = 0;
    let hi = Infinity;
    let x = this.variance > 0 ? Math.sqrt((2 * L) / this.variance) : 1;
    for (let iter = 0; iter < 100 && x > 0 && Number.isFinite(x); iter++) {
      const { cgf, d1, d2 } = this.cgf(x);
      const lam = cgf + this.margin(x, top);
      const tx = this.offset + (lam + L) / x;
      if (tx < best) best = tx;
      const g = x * d1 - cgf - L;
      if (g < 0) lo = x;
      else hi = x;
      if (Math.abs(g) < 1e-12 * L || (hi !== Infinity && hi - lo <= 1e-12 * hi)) break;
      let next = x - g / (x * d2);
      if (!(next > lo && next < hi)) next = hi === Infinity ? x * 4 : (lo + hi) / 2;
      if (next > 1e300) break;
      x = next;
    }
    return Math.min(best, top);
  }

  /** Lambda(lambda) of the random part and its first two derivatives, in one pass. */
  private cgf(lambda: number): { cgf: number; d1: number; d2: number } {
    const n = this.n;
    const gap = this.gap;
    const ratio = this.ratio;
    let sp = 0;
    let g = 0;
    let v = 0;
    for (let i = 0; i < n.length; i++) {
      const w = ratio[i] - lambda * gap[i];
      let soft: number;
      let sig: number;
      let one: number;
      if (w > 0) {
        const e = Math.exp(-w);
        soft = w + Math.log1p(e);
        sig = 1 / (1 + e);
        one = e / (1 + e);
      } else {
        const e = Math.exp(w);
        soft = Math.log1p(e);
        sig = e / (1 + e);
        one = 1 / (1 + e);
      }
      const ni = n[i];
      const gi = gap[i];
      sp += ni * soft;
      g += ni * gi * sig;
      v += ni * gi * gi * sig * one;
    }
    return { cgf: lambda * this.top + this.lnTop + sp, d1: this.top - g, d2: v };
  }
}

/** log10 of the Chernoff bound on P(S >= s) for a statistic's term table over a histogram. */
export function chernoffLog10Tail(hist: Histogram, table: Float64Array, s: number): number {
  return TailModel.fromHistogram(hist, table).log10Tail(s);
}

const models = new WeakMap<Evidence, TailModel[]>();

/** The null tail models of an evidence's statistics (built once, cached). */
export function tailModels(ev: Evidence): TailModel[] {
  let m = models.get(ev);
  if (!m) {
    m = ev.statistics.map((s) => TailModel.fromHistogram(ev.histogram, termTable(s)));
    models.set(ev, m);
  }
  return m;
}

export interface StatisticBound {
  statistic: string;
  /** The recipient's observed value. */
  value: number;
  /** log10 of the uncorrected bound on an innocent's P(statistic >= value). */
  log10Tail: number;
}

export interface AttributionBound {
  /** log10 of the corrected p-value, exact (may be far below -300). */
  log10PValue: number;
  /** The corrected p-value, floored at 1e-300 (a double's range), capped at 1. */
  pValue: number;
  /** The statistic giving the smallest bound. */
  bestStatistic: string;
  /** The recipient's observed value of bestStatistic. */
  score: number;
  statistics: StatisticBound[];
}

function checkTested(recipientsTested: number): void {
  if (!(Number.isInteger(recipientsTested) && recipientsTested >= 1)) {
    throw new RollmarkError('INTERNAL', `recipients tested must be a positive integer, got ${recipientsTested}`);
  }
}

/** log10 of the Bonferroni factor (#statistics x #recipients tested), rounded up. */
function log10Correction(statistics: number, recipientsTested: number): number {
  const f = Math.log10(statistics * recipientsTested);
  return f + 4 * Number.EPSILON * Math.abs(f);
}

function toPValue(log10P: number): number {
  if (log10P >= 0) return 1;
  const p = 10 ** log10P * (1 + 2 ** -40); // round the power up
  return p < P_VALUE_FLOOR ? P_VALUE_FLOOR : p > 1 ? 1 : p;
}

/**
 * The corrected false-accusation bound for one recipient: an upper bound on the probability that
 * a recipient who did not leak shows evidence this strong on some statistic, corrected for the
 * statistics used and `recipientsTested` (every recipient of every release considered).
 */
export function attributionBound(ev: Evidence, recipientIndex: number, recipientsTested: number): AttributionBound {
  checkTested(recipientsTested);
  if (!(Number.isInteger(recipientIndex) && recipientIndex >= 0 && recipientIndex < ev.recipientCount)) {
    throw new RollmarkError('INTERNAL', `recipient index ${recipientIndex} out of range`);
  }
  const ms = tailModels(ev);
  const stats: StatisticBound[] = [];
  let best = 0;
  for (let s = 0; s < ms.length; s++) {
    const value = ev.score(s, recipientIndex);
    const log10Tail = ms[s].log10Tail(value);
    stats.push({ statistic: statisticName(ev.statistics[s]), value, log10Tail });
    if (log10Tail < stats[best].log10Tail) best = s;
  }
  const raw = stats[best].log10Tail + log10Correction(ms.length, recipientsTested);
  const log10PValue = raw < 0 ? raw : 0;
  return {
    log10PValue,
    pValue: toPValue(log10PValue),
    bestStatistic: stats[best].statistic,
    score: stats[best].value,
    statistics: stats,
  };
}

/** attributionBound for every recipient of the evidence, in recipient order. */
export function attributionBounds(ev: Evidence, recipientsTested: number): AttributionBound[] {
  const out: AttributionBound[] = [];
  for (let j = 0; j < ev.recipientCount; j++) out.push(attributionBound(ev, j, recipientsTested));
  return out;
}

export interface PowerOptions {
  /** Every recipient of every release considered (the same correction as attributionBound). */
  recipientsTested: number;
  /** The false-accusation bound a leaker must reach (default 1e-9). */
  bound?: number;
  /** The hypothetical leaker changed each observed symbol with this probability (default 0.05). */
  errorRate?: number;
  /** Required probability that the leaker's evidence reaches its quantile (default 0.95). */
  confidence?: number;
}

export interface PowerEstimate {
  /** Corrected log10 p-value the hypothetical leaker would get with probability >= confidence. */
  log10PValue: number;
  /** log10PValue <= log10(bound): a single leaker would have been implicated. */
  wouldImplicate: boolean;
  /** The statistic that would implicate it first. */
  statistic: string;
  /** The (conservative lower quantile of the) leaker's value of that statistic. */
  leakerScore: number;
  observations: number;
}

/**
 * Would a single recipient who leaked these observed positions (changing each symbol with
 * probability errorRate) be implicated? Computed on the dump's own histogram: the leaker's symbol
 * equals y except for independent changes, so its statistic is again a sum of independent
 * two-point terms; a Chernoff lower quantile of it (holds with probability >= confidence) is fed
 * to the null bound. Used for the verdict `no-recipient` (a leaker would have been found, yet none
 * is implicated) versus `inconclusive`. For one statistic this is a valid power guarantee; the
 * minimum over statistics only says which one would have done it.
 */
export function singleLeakerPower(ev: Evidence, options: PowerOptions): PowerEstimate {
  const { recipientsTested, bound = 1e-9, errorRate = 0.05, confidence = 0.95 } = options;
  checkTested(recipientsTested);
  if (!(errorRate >= 0 && errorRate < 0.5)) throw new RollmarkError('INTERNAL', `error rate must be in [0, 0.5), got ${errorRate}`);
  if (!(confidence > 0 && confidence < 1)) throw new RollmarkError('INTERNAL', `confidence must be in (0, 1), got ${confidence}`);
  if (!(bound > 0 && bound <= 1)) throw new RollmarkError('INTERNAL', `bound must be in (0, 1], got ${bound}`);
  const ms = tailModels(ev);
  const { bins, counts } = ev.histogram;
  const m = bins.length;
  let best = { log10: 0, statistic: statisticName(ev.statistics[0]), score: 0 };
  for (let s = 0; s < ms.length; s++) {
    const table = termTable(ev.statistics[s]);
    // the negated leaker statistic: -agree w.p. 1 - errorRate, -disagree w.p. errorRate
    const a = new Float64Array(m);
    const b = new Float64Array(m);
    const pa = new Float64Array(m).fill(1 - errorRate);
    for (let i = 0; i < m; i++) {
      const bin = bins[i];
      const y = bin >= BIAS_SCALE ? 1 : 0;
      a[i] = -table[(bin << 1) | y];
      b[i] = -table[(bin << 1) | (1 - y)];
    }
    const leaker = new TailModel(counts, a, b, pa);
    const score = -leaker.upperQuantile(1 - confidence);
    const log10 = ms[s].log10Tail(score);
    if (s === 0 || log10 < best.log10) best = { log10, statistic: statisticName(ev.statistics[s]), score };
  }
  const raw = best.log10 + log10Correction(ms.length, recipientsTested);
  const log10PValue = raw < 0 ? raw : 0;
  return {
    log10PValue,
    wouldImplicate: m > 0 && log10PValue <= Math.log10(bound),
    statistic: best.statistic,
    leakerScore: best.score,
    observations: ev.observations,
  };
}
