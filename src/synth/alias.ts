import type { Rng } from './prng.js';

/**
 * Walker/Vose alias table: draws index i with probability weights[i] / sum in O(1) from one
 * random word, which is what lets the generator draw a dozen weighted choices per row at
 * half a million rows a second.
 */
export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: readonly number[]) {
    const n = weights.length;
    const total = weights.reduce((s, w) => s + w, 0);
    if (n === 0 || !(total > 0)) throw new Error('AliasTable needs at least one positive weight');
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = weights.map((w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small.push(large.pop()!);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
  }

  sample(rng: Rng): number {
    const x = (rng.next() / 4294967296) * this.size;
    const i = Math.floor(x);
    return x - i < this.prob[i] ? i : this.alias[i];
  }
}

/** An alias table over labelled choices, returning the label. */
export class WeightedChoice<T> {
  private readonly table: AliasTable;
  constructor(private readonly items: readonly T[], weights: readonly number[]) {
    this.table = new AliasTable(weights);
  }
  static of<T>(pairs: readonly (readonly [T, number])[]): WeightedChoice<T> {
    return new WeightedChoice(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  }
  pick(rng: Rng): T {
    return this.items[this.table.sample(rng)];
  }
}
