/**
 * Code-position biases: Tardos' arcsine density with a cutoff, quantized to 16 bits.
 *
 * Tardos (STOC 2003 / JACM 2008, section 2.1) draws each position's bias as p = sin^2(r) with r
 * uniform in [r_t, pi/2 - r_t], r_t = asin(sqrt(t)): the arcsine density 1/(pi sqrt(p(1-p)))
 * restricted to [t, 1-t]. The bias is stored as an integer P in [1, 65535] and a recipient's
 * symbol is 1 exactly when a keyed uniform 16-bit value is below P, so p = P / 65536 holds exactly
 * and the statistics (scores.ts, chernoff.ts) use that exact p; the quantization changes the bias
 * distribution by at most 2^-17, never the validity of the bound.
 *
 * The cutoff. Tardos' proof uses t = 1/(300c); Skoric et al. (2008) and Laarhoven & de Weger
 * (DCC 2014) show the symmetric score needs far less cutoff, and Nuida et al.'s optimal discrete
 * bias sets for small c (c <= 6) never put a bias below 0.11. A small t spends positions on
 * biases near 0 or 1, where a single leaker's copy says little (an innocent agrees with
 * probability ~1) and colluders' extreme-bias positions are rare; a large t loses the rare
 * all-colluders-agree-on-the-rare-symbol positions that catch larger coalitions. Simulated with
 * this module's own statistics and bound (bench/efficiency.mjs, 7 recipients, 1e-9, 95% power),
 * see DEFAULT_CUTOFF for the figures.
 */
import { BIAS_SCALE } from './scores.js';

/**
 * Default cutoff t = 0.02, chosen by simulation (bench/efficiency.mjs --cutoffs): it is within a
 * few percent of the best cutoff for the single leaker and for three colluders by majority,
 * minority or coin-flip, where the fewest positions needed against the cutoff are flat between
 * about 0.01 and 0.05; Tardos' t = 1/(300c) (1/1500 for c = 5) needs more positions in every case.
 */
export const DEFAULT_CUTOFF = 0.02;

/**
 * The bias P (integer in [1, 65535], p = P/65536) for a uniform 32-bit value `u32` (the output
 * of the keyed PRF), cutoff t in [0, 0.5). Deterministic and monotone in u32; symmetric:
 * biasFromUniform(2^32 - 1 - u) = 65536 - biasFromUniform(u) up to rounding at ties.
 */
export function biasFromUniform(u32: number, cutoff: number = DEFAULT_CUTOFF): number {
  if (!(cutoff >= 0 && cutoff < 0.5)) throw new RangeError(`cutoff must be in [0, 0.5), got ${cutoff}`);
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
