/**
 * A Bloom filter over 64-bit hashes (two 32-bit halves, Kirsch-Mitzenmacher double hashing).
 * Issue uses it to make sure a canary's fresh key and unique values collide with no registry
 * value without holding 90M values: a false positive only makes a canary draw again.
 */
export class Bloom {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private readonly k: number;

  constructor(expected: number, bitsPerEntry = 12, k = 8) {
    let size = 1024;
    while (size < expected * bitsPerEntry && size < 2 ** 32) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
    this.k = k;
  }

  add(hi: number, lo: number): void {
    let h = lo >>> 0;
    const step = (hi | 1) >>> 0;
    for (let i = 0; i < this.k; i++) {
      const b = (h & this.mask) >>> 0;
      this.bits[b >>> 5] |= 1 << (b & 31);
      h = (h + step) >>> 0;
    }
  }

  has(hi: number, lo: number): boolean {
    let h = lo >>> 0;
    const step = (hi | 1) >>> 0;
    for (let i = 0; i < this.k; i++) {
      const b = (h & this.mask) >>> 0;
      if ((this.bits[b >>> 5] & (1 << (b & 31))) === 0) return false;
      h = (h + step) >>> 0;
    }
    return true;
  }
}
