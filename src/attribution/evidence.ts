/**
 * The evidence a dump carries about the recipients, as a mergeable tally.
 *
 * Under the null hypothesis "recipient j did not leak", j's symbols are independent Bernoulli(p)
 * draws given the dump, whatever the leaker did; so each statistic's sum for j is a sum of
 * independent two-point terms whose distributions depend only on (y, P) at each observed position,
 * the same for every recipient. The tally therefore keeps:
 * - one histogram of observed (y, P) pairs (the null distribution of every recipient's score), and
 * - per recipient and statistic, the observed sum of terms.
 * That is all the tail bound (chernoff.ts) needs. Tallies are sums, so shard tallies merge by
 * addition; with quantized terms (scores.ts) the merged sums are bit-identical to one tally.
 *
 * Classes. Each observation may belong to a named class (a variant family, 'canary', ...). A
 * class whose every observation shows the same symbol was probably normalized by the leaker
 * (every AVENIDA turned into AV) and carries no evidence against the leaker, only noise. Dropping
 * classes chosen from the dump's symbols alone keeps the bound valid: the choice is a function of
 * y, and given y an innocent's symbols are still independent Bernoulli(p). (The class of a position
 * must itself not depend on any recipient's symbol: a family, a canary, never "marked for j".)
 * So per-class histograms and sums are kept and the live classes summed at `finalize`.
 *
 * Callers must count each code position once (de-duplicate repeated rows): the independence the
 * bound rests on is between distinct positions.
 */
import { RollmarkError } from '../errors.js';
import { BIAS_SCALE } from '../code/bias.js';
import {
  BIN_COUNT,
  DEFAULT_STATISTICS,
  parseStatistic,
  statisticName,
  termTable,
  type Statistic,
} from './scores.js';

/** A histogram over bins y * 65536 + P: `bins` strictly increasing, `counts` positive. */
export interface Histogram {
  readonly bins: Int32Array;
  readonly counts: Float64Array;
}

const SPARSE_MAX_CAPACITY = 1 << 14; // 16,384 slots x 12 bytes = 192 KiB; beyond that go dense (1 MiB)

/**
 * Counts per bin. Starts as an open-addressing hash table in typed arrays (a class that touches a
 * few hundred bins costs a few KiB, not the 1 MiB of a dense array) and turns dense once it holds
 * more than 8,192 distinct bins.
 */
class BinCounts {
  private dense: Float64Array | null = null;
  private keys: Int32Array;
  private vals: Float64Array;
  private size = 0;
  private shift: number;

  constructor() {
    this.keys = new Int32Array(64).fill(-1);
    this.vals = new Float64Array(64);
    this.shift = 32 - 6;
  }

  add(bin: number, n: number): void {
    const dense = this.dense;
    if (dense !== null) {
      dense[bin] += n;
      return;
    }
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = Math.imul(bin, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === bin) {
        this.vals[i] += n;
        return;
      }
      if (k === -1) break;
      i = (i + 1) & mask;
    }
    keys[i] = bin;
    this.vals[i] = n;
    if (++this.size * 2 > keys.length) this.grow();
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    if (cap > SPARSE_MAX_CAPACITY) {
      const dense = new Float64Array(BIN_COUNT);
      for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] >= 0) dense[oldKeys[i]] += oldVals[i];
      this.dense = dense;
      this.keys = new Int32Array(0);
      this.vals = new Float64Array(0);
      return;
    }
    this.keys = new Int32Array(cap).fill(-1);
    this.vals = new Float64Array(cap);
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] >= 0) this.add(oldKeys[i], oldVals[i]);
  }

  /** Adds every count into a dense array of BIN_COUNT. */
  addInto(target: Float64Array): void {
    const dense = this.dense;
    if (dense !== null) {
      for (let b = 0; b < BIN_COUNT; b++) if (dense[b] !== 0) target[b] += dense[b];
      return;
    }
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] >= 0) target[this.keys[i]] += this.vals[i];
  }

  /** The nonzero bins, sorted. */
  histogram(): Histogram {
    if (this.dense !== null) return histogramOfDense(this.dense);
    const idx: number[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] >= 0 && this.vals[i] !== 0) idx.push(i);
    idx.sort((a, b) => this.keys[a] - this.keys[b]);
    const bins = new Int32Array(idx.length);
    const counts = new Float64Array(idx.length);
    idx.forEach((slot, k) => {
      bins[k] = this.keys[slot];
      counts[k] = this.vals[slot];
    });
    return { bins, counts };
  }

  /** Bytes held, for measurement. */
  get byteLength(): number {
    return this.dense !== null ? this.dense.byteLength : this.keys.byteLength + this.vals.byteLength;
  }
}

function histogramOfDense(dense: Float64Array): Histogram {
  let n = 0;
  for (let b = 0; b < BIN_COUNT; b++) if (dense[b] !== 0) n++;
  const bins = new Int32Array(n);
  const counts = new Float64Array(n);
  let k = 0;
  for (let b = 0; b < BIN_COUNT; b++) {
    if (dense[b] !== 0) {
      bins[k] = b;
      counts[k++] = dense[b];
    }
  }
  return { bins, counts };
}

/** Sum of sorted sparse histograms (small ones: a sort of the concatenation). */
function mergeHistograms(parts: Histogram[]): Histogram {
  const total = parts.reduce((n, h) => n + h.bins.length, 0);
  const bins = new Int32Array(total);
  const counts = new Float64Array(total);
  let k = 0;
  for (const h of parts) {
    bins.set(h.bins, k);
    counts.set(h.counts, k);
    k += h.bins.length;
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => bins[a] - bins[b]);
  const outBins: number[] = [];
  const outCounts: number[] = [];
  for (const i of order) {
    const last = outBins.length - 1;
    if (last >= 0 && outBins[last] === bins[i]) outCounts[last] += counts[i];
    else {
      outBins.push(bins[i]);
      outCounts.push(counts[i]);
    }
  }
  return { bins: Int32Array.from(outBins), counts: Float64Array.from(outCounts) };
}

interface ClassState {
  readonly name: string;
  readonly counts: BinCounts;
  /** sums[s * recipientCount + j] */
  readonly sums: Float64Array;
  observations: number;
  ones: number;
}

export interface ClassSummary {
  name: string;
  observations: number;
  /** Observations showing symbol 1. */
  ones: number;
  /** Every observation shows the same symbol (and there is at least one). */
  collapsed: boolean;
}

export interface FinalizeOptions {
  /** Classes to leave out (chosen from the dump alone; see the header comment). */
  drop?: Iterable<string>;
  /** Also leave out every collapsed class (all observations the same symbol). */
  dropCollapsed?: boolean;
}

/** The JSON form of a tally: the binary form (toBytes) in base64. */
export interface EvidenceTallyJSON {
  format: 'rollmark-evidence';
  version: 1;
  data: string;
}

/** The name of the class observations go to when none is given (index 0). */
export const DEFAULT_CLASS = '';

function fail(message: string): never {
  throw new RollmarkError('INTERNAL', message);
}

/**
 * Accumulates observed positions. Hot path: `observe`, no allocation once a class exists.
 *
 *   const tally = new EvidenceTally(recipients.length);
 *   const fam = tally.classIndex('family:AVENIDA');
 *   tally.observe(y, P, xs, fam);          // per observed position, once per position
 *   const ev = tally.finalize({ dropCollapsed: true });
 *   attributionBound(ev, j, recipientsTested);   // chernoff.ts
 */
export class EvidenceTally {
  readonly recipientCount: number;
  readonly statistics: readonly Statistic[];
  private readonly tables: Float64Array[];
  private readonly classList: ClassState[] = [];
  private readonly classByName = new Map<string, number>();

  constructor(recipientCount: number, statistics: readonly Statistic[] = DEFAULT_STATISTICS) {
    if (!(Number.isInteger(recipientCount) && recipientCount >= 0)) fail(`recipient count must be a non-negative integer, got ${recipientCount}`);
    if (statistics.length === 0) fail('at least one statistic is needed');
    const names = statistics.map(statisticName);
    if (new Set(names).size !== names.length) fail(`statistics repeat: ${names.join(', ')}`);
    this.recipientCount = recipientCount;
    this.statistics = Object.freeze(statistics.slice());
    this.tables = statistics.map(termTable);
    this.classIndex(DEFAULT_CLASS);
  }

  /** The index of a class for `observe`, created on first use. The default class '' is 0. */
  classIndex(name: string): number {
    const found = this.classByName.get(name);
    if (found !== undefined) return found;
    const index = this.classList.length;
    this.classList.push({
      name,
      counts: new BinCounts(),
      sums: new Float64Array(this.statistics.length * this.recipientCount),
      observations: 0,
      ones: 0,
    });
    this.classByName.set(name, index);
    return index;
  }

  /**
   * One observed code position: the dump's symbol y, the bias P (integer in [1, 65535]) and every
   * recipient's symbol there (xs[j] nonzero means 1), in recipient order.
   */
  observe(y: 0 | 1, P: number, xs: Uint8Array, cls = 0): void {
    if (!(P >= 1 && P < BIAS_SCALE && (P | 0) === P) || (y !== 0 && y !== 1)) fail(`bad observation y=${y} P=${P}`);
    const R = this.recipientCount;
    if (xs.length !== R) fail(`expected ${R} recipient symbols, got ${xs.length}`);
    const c = this.classList[cls];
    if (c === undefined) fail(`unknown class index ${cls}`);
    const bin = y * BIAS_SCALE + P;
    c.counts.add(bin, 1);
    c.observations++;
    c.ones += y;
    const sums = c.sums;
    const base = bin << 1;
    const tables = this.tables;
    for (let s = 0; s < tables.length; s++) {
      const t = tables[s];
      const v0 = t[base];
      const v1 = t[base | 1];
      const off = s * R;
      for (let j = 0; j < R; j++) sums[off + j] += xs[j] !== 0 ? v1 : v0;
    }
  }

  /** Observed positions, all classes. */
  get observations(): number {
    let n = 0;
    for (const c of this.classList) n += c.observations;
    return n;
  }

  classes(): ClassSummary[] {
    return this.classList.map((c) => ({
      name: c.name,
      observations: c.observations,
      ones: c.ones,
      collapsed: c.observations > 0 && (c.ones === 0 || c.ones === c.observations),
    }));
  }

  /** Classes whose every observation shows the same symbol. */
  collapsedClasses(): string[] {
    return this.classes()
      .filter((c) => c.collapsed)
      .map((c) => c.name);
  }

  /** Bytes held by the histograms and sums, for measurement. */
  get byteLength(): number {
    let n = 0;
    for (const c of this.classList) n += c.counts.byteLength + c.sums.byteLength;
    return n;
  }

  /** Adds another tally (same recipients and statistics) into this one. Returns this. */
  merge(other: EvidenceTally): this {
    return this.add(other, 1);
  }

  /**
   * Takes out another tally's observations, which must be part of this one's (a shard taking back
   * rows it counted: take-back.ts). Terms are multiples of 2^-20, so the sums come out exactly as
   * if those observations had never been made, and emptied bins leave the histogram. Returns this.
   */
  subtract(other: EvidenceTally): this {
    return this.add(other, -1);
  }

  private add(other: EvidenceTally, sign: 1 | -1): this {
    if (other.recipientCount !== this.recipientCount) fail(`cannot merge tallies for ${other.recipientCount} and ${this.recipientCount} recipients`);
    const a = this.statistics.map(statisticName).join(',');
    const b = other.statistics.map(statisticName).join(',');
    if (a !== b) fail(`cannot merge tallies of different statistics (${a} / ${b})`);
    for (const oc of other.classList) {
      const c = this.classList[this.classIndex(oc.name)];
      const h = oc.counts.histogram();
      for (let i = 0; i < h.bins.length; i++) c.counts.add(h.bins[i], sign * h.counts[i]);
      for (let i = 0; i < c.sums.length; i++) c.sums[i] += sign * oc.sums[i];
      c.observations += sign * oc.observations;
      c.ones += sign * oc.ones;
      if (c.observations < 0 || c.ones < 0) fail('a tally took out observations it did not hold');
    }
    return this;
  }

  /**
   * The evidence over the live classes: their summed histogram and per-recipient sums. Dropping
   * classes must be decided from the dump alone (see the header comment).
   */
  finalize(options: FinalizeOptions = {}): Evidence {
    const dropped = new Set(options.drop ?? []);
    for (const name of dropped) if (!this.classByName.has(name)) dropped.delete(name);
    if (options.dropCollapsed) for (const name of this.collapsedClasses()) dropped.add(name);
    const S = this.statistics.length;
    const R = this.recipientCount;
    const sums = new Float64Array(S * R);
    let observations = 0;
    let ones = 0;
    const live = this.classList.filter((c) => !dropped.has(c.name));
    const parts = live.map((c) => c.counts.histogram());
    let hist: Histogram;
    if (parts.length === 1) {
      hist = parts[0];
    } else if (parts.reduce((n, h) => n + h.bins.length, 0) <= BIN_COUNT / 8) {
      hist = mergeHistograms(parts);
    } else {
      const dense = new Float64Array(BIN_COUNT);
      for (const c of live) c.counts.addInto(dense);
      hist = histogramOfDense(dense);
    }
    for (const c of live) {
      for (let i = 0; i < sums.length; i++) sums[i] += c.sums[i];
      observations += c.observations;
      ones += c.ones;
    }
    return new Evidence(this.statistics, R, hist, sums, observations, ones, [...dropped].sort());
  }

  // ---- serialization ------------------------------------------------------------------------

  /**
   * A compact binary form (little-endian): magic 'RMEV', version 1, recipient count, statistics
   * by name, then per class its name, observation and ones counts, sparse histogram and sums.
   * Float64 throughout, so a round trip is exact.
   */
  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    const statNames = this.statistics.map((s) => enc.encode(statisticName(s)));
    const parts = this.classList.map((c) => ({ c, name: enc.encode(c.name), h: c.counts.histogram() }));
    let size = 4 + 4 * 4;
    for (const n of statNames) size += 2 + n.length;
    for (const p of parts) size += 2 + p.name.length + 8 + 8 + 4 + p.h.bins.length * 12 + p.c.sums.length * 8;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    let o = 0;
    out.set([0x52, 0x4d, 0x45, 0x56], 0); // 'RMEV'
    o = 4;
    dv.setUint32(o, 1, true);
    dv.setUint32(o + 4, this.recipientCount, true);
    dv.setUint32(o + 8, this.statistics.length, true);
    dv.setUint32(o + 12, parts.length, true);
    o += 16;
    const putBytes = (b: Uint8Array): void => {
      if (b.length > 0xffff) fail('name too long to serialize');
      dv.setUint16(o, b.length, true);
      out.set(b, o + 2);
      o += 2 + b.length;
    };
    for (const n of statNames) putBytes(n);
    for (const { c, name, h } of parts) {
      putBytes(name);
      dv.setFloat64(o, c.observations, true);
      dv.setFloat64(o + 8, c.ones, true);
      dv.setUint32(o + 16, h.bins.length, true);
      o += 20;
      for (let i = 0; i < h.bins.length; i++, o += 4) dv.setUint32(o, h.bins[i], true);
      for (let i = 0; i < h.counts.length; i++, o += 8) dv.setFloat64(o, h.counts[i], true);
      for (let i = 0; i < c.sums.length; i++, o += 8) dv.setFloat64(o, c.sums[i], true);
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array): EvidenceTally {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dec = new TextDecoder('utf-8', { fatal: true });
    let o = 0;
    const need = (n: number): void => {
      if (o + n > bytes.byteLength) fail('evidence tally bytes are truncated');
    };
    need(20);
    if (bytes[0] !== 0x52 || bytes[1] !== 0x4d || bytes[2] !== 0x45 || bytes[3] !== 0x56) fail('not an evidence tally (bad magic)');
    const version = dv.getUint32(4, true);
    if (version !== 1) fail(`unsupported evidence tally version ${version}`);
    const R = dv.getUint32(8, true);
    const S = dv.getUint32(12, true);
    const classCount = dv.getUint32(16, true);
    o = 20;
    const getString = (): string => {
      need(2);
      const len = dv.getUint16(o, true);
      need(2 + len);
      let s: string;
      try {
        s = dec.decode(bytes.subarray(o + 2, o + 2 + len));
      } catch {
        fail('evidence tally holds a name that is not UTF-8');
      }
      o += 2 + len;
      return s;
    };
    const stats: Statistic[] = [];
    for (let i = 0; i < S; i++) {
      const name = getString();
      try {
        stats.push(parseStatistic(name));
      } catch {
        fail(`evidence tally names an unknown statistic '${name}'`);
      }
    }
    const t = new EvidenceTally(R, stats);
    const seen = new Set<string>();
    for (let k = 0; k < classCount; k++) {
      const name = getString();
      if (seen.has(name)) fail(`evidence tally repeats class '${name}'`);
      seen.add(name);
      const c = t.classList[t.classIndex(name)];
      need(20);
      c.observations = dv.getFloat64(o, true);
      c.ones = dv.getFloat64(o + 8, true);
      const nb = dv.getUint32(o + 16, true);
      o += 20;
      need(nb * 12 + c.sums.length * 8);
      const binsAt = o;
      const countsAt = o + nb * 4;
      let total = 0;
      let ones = 0;
      let prev = -1;
      for (let i = 0; i < nb; i++) {
        const bin = dv.getUint32(binsAt + 4 * i, true);
        const n = dv.getFloat64(countsAt + 8 * i, true);
        const P = bin % BIAS_SCALE;
        if (bin <= prev || bin >= BIN_COUNT || P === 0 || !(n > 0) || !Number.isInteger(n)) fail('evidence tally holds a bad histogram bin');
        prev = bin;
        c.counts.add(bin, n);
        total += n;
        if (bin >= BIAS_SCALE) ones += n;
      }
      o = countsAt + nb * 8;
      for (let i = 0; i < c.sums.length; i++, o += 8) {
        const v = dv.getFloat64(o, true);
        if (!Number.isFinite(v)) fail('evidence tally holds a non-finite score');
        c.sums[i] = v;
      }
      if (total !== c.observations || ones !== c.ones) fail(`evidence tally class '${name}' has inconsistent counts`);
    }
    if (o !== bytes.byteLength) fail('evidence tally bytes have trailing data');
    return t;
  }

  toJSON(): EvidenceTallyJSON {
    return { format: 'rollmark-evidence', version: 1, data: Buffer.from(this.toBytes()).toString('base64') };
  }

  static fromJSON(json: unknown): EvidenceTally {
    const j = json as Partial<EvidenceTallyJSON> | null;
    if (!j || j.format !== 'rollmark-evidence' || j.version !== 1 || typeof j.data !== 'string') fail('not an evidence tally JSON');
    return EvidenceTally.fromBytes(new Uint8Array(Buffer.from(j.data, 'base64')));
  }
}

/**
 * Finalized evidence: the live histogram and each recipient's observed sums. Immutable;
 * chernoff.ts turns it into bounds.
 */
export class Evidence {
  constructor(
    readonly statistics: readonly Statistic[],
    readonly recipientCount: number,
    /** Observed (y, P) over the live classes. */
    readonly histogram: Histogram,
    /** sums[s * recipientCount + j]: recipient j's observed value of statistic s. */
    readonly sums: Float64Array,
    /** Observed positions in the live classes. */
    readonly observations: number,
    /** ... of which show symbol 1. */
    readonly ones: number,
    readonly droppedClasses: readonly string[],
  ) {}

  /** Recipient j's observed value of statistic s (by index). */
  score(statisticIndex: number, recipient: number): number {
    return this.sums[statisticIndex * this.recipientCount + recipient];
  }
}
