/**
 * Code-position biases: Tardos' arcsine density with a cutoff, quantized to 16 bits.
 *
 * Tardos (STOC 2003 / JACM 2008, section 2.1) draws each position's bias as p = sin^2(r) with r
 * uniform in [r_t, pi/2 - r_t], r_t = asin(sqrt(t)): the arcsine density 1/(pi sqrt(p(1-p)))
 * restricted to [t, 1-t]. The bias is stored as an integer P in [1, 65535] and a recipient's
 * symbol is 1 exactly when a keyed uniform 16-bit value is below P, so p = P / 65536 holds exactly
 * and the statistics (attribution/scores.ts, attribution/chernoff.ts) use that exact p; the
 * quantization changes the bias distribution by at most 2^-17, never the validity of the bound.
 *
 * The cutoff. Tardos' proof uses t = 1/(300c); Skoric et al. (2008) and Laarhoven & de Weger
 * (DCC 2014) show the symmetric score needs far less, and Nuida et al.'s optimal discrete bias
 * sets for small coalitions put no bias below 0.11 (c <= 6). A small t spends positions on biases
 * near 0 or 1, where a single leaker's copy says little (an innocent agrees with probability ~1);
 * a large t loses the rare "every colluder holds the rare symbol" positions that survive a
 * minority vote. See DEFAULT_CUTOFF for the measured trade-off.
 */
import { RollmarkError } from '../errors.js';

/** Biases are 16-bit: P in [1, 65535], p = P / BIAS_SCALE. */
export const BIAS_SCALE = 65536;

/**
 * Default cutoff t = 0.02. Fewest observed positions for 95% power at 1e-9 with 7 recipients
 * (bench/efficiency.mjs, 200 trials a point, grid steps of 4%; default statistics):
 *
 *     t        single  3 majority  3 minority  3 coin  5 majority  5 minority
 *     1/1500     82       466         963        856      882          -
 *     0.01       73       431         890        773      893        2568
 *     0.02       67       383         890        714      826        2966
 *     0.03       64       383         950        714      763        3422
 *     0.04       62       343        1028        687      719        3796
 *     0.1        54       276        1482        687      539          -
 *
 * (1/1500 and 0.1 were run with an extra llr(0.125) statistic, within ~6% of the default set.)
 * Minority vote is the three-colluder attack that hurts most and it wants a small cutoff; the
 * single leaker and the other strategies want a large one. 0.02 ties 0.01 for the smallest worst
 * case over the three-colluder strategies (890, minority vote) and beats it by 8-12% in every
 * other column; larger cutoffs gain 4-7% on the single leaker but lose on the minority vote.
 * Tardos' 1/(300c) is worse in every column. Against five colluders by minority vote 0.01 would
 * be 13% better: the price of the choice.
 */
export const DEFAULT_CUTOFF = 0.02;

/**
 * The bias P (integer in [1, 65535], p = P/65536) for a uniform 32-bit value `u32` (the output
 * of the keyed PRF), cutoff t in [0, 0.5). Deterministic and monotone in u32; symmetric:
 * biasFromUniform(2^32 - 1 - u) = 65536 - biasFromUniform(u) up to rounding at ties.
 */
export function biasFromUniform(u32: number, cutoff: number = DEFAULT_CUTOFF): number {
  if (!(cutoff >= 0 && cutoff < 0.5)) throw new RollmarkError('INTERNAL', `cutoff must be in [0, 0.5), got ${cutoff}`);
  const u = ((u32 >>> 0) + 0.5) / 4294967296; // midpoint of the u32 cell, in (0, 1)
  const r0 = Math.asin(Math.sqrt(cutoff));
  const r = r0 + u * (Math.PI / 2 - 2 * r0);
  const s = Math.sin(r);
  const P = Math.round(s * s * BIAS_SCALE);
  return P < 1 ? 1 : P > BIAS_SCALE - 1 ? BIAS_SCALE - 1 : P;
}

/** p = P / 65536 for a bias produced by biasFromUniform. */
export function biasProbability(P: number): number {
  return P / BIAS_SCALE;
}
