import { sha256 } from '@noble/hashes/sha2.js';

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, PractRand-clean), seeded from
 * SHA-256 of a label and the user's seed so that each purpose gets an independent stream and
 * the same seed always gives the same registry. Not a cryptographic generator: the synthetic
 * registry needs speed and reproducibility, never secrecy.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string, label: string) {
    const h = sha256(new TextEncoder().encode(`rollmark-synth\u0000${label}\u0000${seed}`));
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    this.a = v.getUint32(0, true);
    this.b = v.getUint32(4, true);
    this.c = v.getUint32(8, true);
    this.d = v.getUint32(12, true) | 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p * 4294967296;
  }

  /** Standard normal (Box-Muller; one of the pair is dropped, speed does not matter here). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Four 32-bit words for keying a permutation. */
  words(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }
}
