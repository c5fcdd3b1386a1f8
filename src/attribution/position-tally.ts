/**
 * The batched position tally of the trace row core (trace-core.ts): the hot path's EvidenceTally,
 * fed code positions in batches that are radix-sorted by class and bin before they are added up.
 */
import { BIAS_SCALE } from '../code/bias.js';
import type { EvidenceTallyJSON } from './evidence.js';
import { BIN_COUNT, DEFAULT_STATISTICS, statisticName, termTable, type Statistic } from './scores.js';

/**
 * An EvidenceTally fed in batches, for the hot path. EvidenceTally.observe looks up three 2 MiB
 * term tables and a histogram at a random bin for every position: four cache misses. Here
 * positions wait in a log (class and bin, and the recipients' symbols as bits), which is sorted by
 * class and bin (LSD radix) before it is added up, so the tables and histograms are swept in
 * order. The sums are the same: every term is a multiple of 2^-20 (scores.ts), so sums and the
 * products count * term are exact in Float64 whatever the order, and `toBytes` is byte for byte
 * what an EvidenceTally fed the same positions would write.
 */
export class PositionTally {
  readonly recipients: number;
  readonly names: string[];
  private readonly statistics: readonly Statistic[];
  private readonly tables: Float64Array[];
  private readonly hists: BinHistogram[];
  /** Per class: sums[s * R + j], recipient j's value of statistic s. */
  private readonly sums: Float64Array[];
  private keys = new Uint32Array(LOG_SIZE);
  private bits = new Int32Array(LOG_SIZE);
  private keysTmp = new Uint32Array(LOG_SIZE);
  private bitsTmp = new Int32Array(LOG_SIZE);
  private logged = 0;
  private readonly keyPasses: number;
  private readonly count = new Uint32Array(1 << RADIX_BITS);

  /** Classes in EvidenceTally order: index 0 is the default class ''. Up to 30 recipients. */
  constructor(recipients: number, names: string[], statistics: readonly Statistic[] = DEFAULT_STATISTICS) {
    if (!(Number.isInteger(recipients) && recipients >= 0 && recipients <= 30)) throw new RangeError('PositionTally holds up to 30 recipients');
    this.recipients = recipients;
    this.names = names;
    this.statistics = statistics;
    this.tables = statistics.map(termTable);
    this.hists = names.map(() => new BinHistogram());
    this.sums = names.map(() => new Float64Array(statistics.length * recipients));
    this.keyPasses = Math.ceil((17 + Math.ceil(Math.log2(Math.max(2, names.length)))) / RADIX_BITS);
  }

  /**
   * One observed position: class, symbol y, bias P in [1, 65535], and the recipients' symbols as
   * bits (recipient j's symbol is bit j).
   */
  observe(cls: number, y: number, P: number, bits: number): void {
    const i = this.logged;
    this.keys[i] = (cls << 17) | (y << 16) | P;
    this.bits[i] = bits;
    if (++this.logged === LOG_SIZE) this.flush();
  }

  /**
   * Sorts the log by class and bin and adds it up. (Small helpers do the loops: a long loop in a
   * function that runs once in a while is compiled before it has seen its types, and falls back.)
   */
  private flush(): void {
    const n = this.logged;
    if (n === 0) return;
    for (let pass = 0; pass < this.keyPasses; pass++) {
      radixPass(this.keys, this.bits, this.keysTmp, this.bitsTmp, n, pass * RADIX_BITS, this.count);
      const k = this.keys;
      this.keys = this.keysTmp;
      this.keysTmp = k;
      const b = this.bits;
      this.bits = this.bitsTmp;
      this.bitsTmp = b;
    }
    const keys = this.keys;
    let i = 0;
    while (i < n) {
      const key = keys[i];
      let j = i + 1;
      while (j < n && keys[j] === key) j++;
      this.addRun(key, i, j);
      i = j;
    }
    this.logged = 0;
  }

  /** Adds log entries [i, j), all of one class and bin. */
  private addRun(key: number, i: number, j: number): void {
    const cls = key >>> 17;
    const bin = key & 0x1ffff;
    const runs = j - i;
    const R = this.recipients;
    const bits = this.bits;
    const tables = this.tables;
    this.hists[cls].add(bin, runs);
    const sums = this.sums[cls];
    for (let s = 0; s < tables.length; s++) {
      const t = tables[s];
      const v0 = t[bin << 1];
      const v1 = t[(bin << 1) | 1];
      const base = s * R;
      if (runs === 1) {
        // v0 + x * (v1 - v0) is exactly v0 or v1 (multiples of 2^-20), with no branch to miss.
        const b = bits[i];
        const d = v1 - v0;
        for (let r = 0; r < R; r++) sums[base + r] += v0 + ((b >>> r) & 1) * d;
      } else {
        for (let r = 0; r < R; r++) {
          let ones = 0;
          for (let m = i; m < j; m++) ones += (bits[m] >>> r) & 1;
          sums[base + r] += ones * v1 + (runs - ones) * v0;
        }
      }
    }
  }

  /**
   * Takes out another tally's positions, which must be part of this one's (rows a shard took
   * back: take-back.ts). The sums are exact (multiples of 2^-20), so this tally is then the one
   * that never saw those positions, byte for byte. Returns this.
   */
  subtract(other: PositionTally): this {
    if (other.recipients !== this.recipients || other.names.join('\n') !== this.names.join('\n')) {
      throw new RangeError('PositionTally.subtract needs a tally of the same recipients and classes');
    }
    this.flush();
    other.flush();
    for (let c = 0; c < this.hists.length; c++) {
      this.hists[c].subtract(other.hists[c]);
      const sums = this.sums[c];
      const theirs = other.sums[c];
      for (let i = 0; i < sums.length; i++) sums[i] -= theirs[i];
    }
    return this;
  }

  /** The EvidenceTally binary form (evidence.ts `toBytes`) of what was observed. */
  toBytes(): Uint8Array {
    this.flush();
    const R = this.recipients;
    const S = this.statistics.length;
    const enc = new TextEncoder();
    const statNames = this.statistics.map((s) => enc.encode(statisticName(s)));
    const parts = this.hists.map((h, i) => ({ name: enc.encode(this.names[i]), sums: this.sums[i], ...h.sorted() }));
    let size = 20;
    for (const n of statNames) size += 2 + n.length;
    for (const p of parts) size += 2 + p.name.length + 20 + p.bins.length * 12 + S * R * 8;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    out.set([0x52, 0x4d, 0x45, 0x56], 0); // 'RMEV'
    dv.setUint32(4, 1, true);
    dv.setUint32(8, R, true);
    dv.setUint32(12, S, true);
    dv.setUint32(16, parts.length, true);
    let o = 20;
    const putName = (b: Uint8Array): void => {
      dv.setUint16(o, b.length, true);
      out.set(b, o + 2);
      o += 2 + b.length;
    };
    for (const n of statNames) putName(n);
    for (const p of parts) {
      putName(p.name);
      let observations = 0;
      let ones = 0;
      for (let i = 0; i < p.bins.length; i++) {
        observations += p.counts[i];
        if (p.bins[i] >= BIAS_SCALE) ones += p.counts[i];
      }
      dv.setFloat64(o, observations, true);
      dv.setFloat64(o + 8, ones, true);
      dv.setUint32(o + 16, p.bins.length, true);
      o += 20;
      o = putArray(out, dv, o, p.bins);
      o = putArray(out, dv, o, p.counts);
      o = putArray(out, dv, o, p.sums);
    }
    return out;
  }

  /** The tally as EvidenceTally JSON (its binary form in base64). */
  toJSON(): EvidenceTallyJSON {
    return { format: 'rollmark-evidence', version: 1, data: Buffer.from(this.toBytes()).toString('base64') };
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes a typed array little-endian at o (a byte copy where the platform is little-endian). */
function putArray(out: Uint8Array, dv: DataView, o: number, a: Int32Array | Float64Array): number {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    return o + a.byteLength;
  }
  if (a instanceof Int32Array) for (let i = 0; i < a.length; i++, o += 4) dv.setUint32(o, a[i], true);
  else for (let i = 0; i < a.length; i++, o += 8) dv.setFloat64(o, a[i], true);
  return o;
}

/** One LSD radix pass: (keys, bits) -> (k2, b2), stably by the key digit at `shift`. */
function radixPass(keys: Uint32Array, bits: Int32Array, k2: Uint32Array, b2: Int32Array, n: number, shift: number, count: Uint32Array): void {
  count.fill(0);
  for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & RADIX_MASK]++;
  let sum = 0;
  for (let d = 0; d < count.length; d++) {
    const c = count[d];
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const at = count[(key >>> shift) & RADIX_MASK]++;
    k2[at] = key;
    b2[at] = bits[i];
  }
}

/** Positions logged before they are sorted and added up (2 MiB of log and as much scratch). */
const LOG_SIZE = 1 << 18;
const RADIX_BITS = 12;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/**
 * Counts per histogram bin, dense: 512 KiB of address space a class, of which only the pages of
 * the bins used are ever touched.
 */
class BinHistogram {
  private counts: Uint32Array | null = null;
  /** Bins holding a count. */
  used = 0;

  add(bin: number, n: number): void {
    let c = this.counts;
    if (c === null) c = this.counts = new Uint32Array(BIN_COUNT);
    if (c[bin] === 0) this.used++;
    c[bin] += n;
  }

  /** Takes out another histogram's counts (part of this one's). */
  subtract(other: BinHistogram): void {
    const theirs = other.counts;
    if (theirs === null) return;
    const c = this.counts;
    for (let b = 0; b < BIN_COUNT; b++) {
      const n = theirs[b];
      if (n === 0) continue;
      if (c === null || c[b] < n) throw new RangeError('PositionTally.subtract took out positions it did not hold');
      c[b] -= n;
      if (c[b] === 0) this.used--;
    }
  }

  /** The nonzero bins in order, with their counts. */
  sorted(): { bins: Int32Array; counts: Float64Array } {
    const bins = new Int32Array(this.used);
    const counts = new Float64Array(this.used);
    const c = this.counts;
    if (c !== null) {
      let k = 0;
      for (let b = 0; b < BIN_COUNT && k < bins.length; b++) {
        const v = c[b];
        if (v !== 0) {
          bins[k] = b;
          counts[k++] = v;
        }
      }
    }
    return { bins, counts };
  }
}
