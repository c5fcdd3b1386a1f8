/**
 * Uniqueness without remembering every value: a 90-million-row registry cannot keep a set of its
 * keys in memory, so unique numbers come from a keyed permutation of the row's ordinal, and the
 * name-derived identifiers (CURP, clave) from a homonym check against a Bloom filter.
 */

/** murmur3's 32-bit finalizer: a fast bijective mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A keyed permutation of [0, limit) (limit <= 2^(2*halfBits) <= 2^32): a 4-round balanced
 * Feistel network, cycle-walked into the range (Black & Rogaway, "Ciphers with arbitrary finite
 * domains", 2002). Distinct ordinals give distinct outputs, which is all OCR and FOL_NAC need.
 */
export class Permutation {
  private readonly mask: number;
  private readonly half: number;

  constructor(private readonly keys: readonly number[], halfBits: number, private readonly limit: number) {
    this.half = 2 ** halfBits;
    this.mask = this.half - 1;
    if (keys.length < 4 || limit > this.half * this.half) throw new Error('Permutation: bad parameters');
  }

  private once(x: number): number {
    let l = Math.floor(x / this.half);
    let r = x & this.mask;
    for (let i = 0; i < 4; i++) {
      const t = l ^ (fmix32(r ^ this.keys[i]) & this.mask);
      l = r;
      r = t;
    }
    return l * this.half + r;
  }

  apply(x: number): number {
    let y = this.once(x);
    while (y >= this.limit) y = this.once(y);
    return y;
  }
}

/**
 * A cache-line-blocked Bloom filter (Putze, Sanders & Singler, "Cache-, hash- and
 * space-efficient Bloom filters", 2007) over keys given as three 32-bit words: each key
 * sets 5 bits inside one 512-bit block, so a test costs one cache miss. No false negatives,
 * which is what uniqueness rests on: a key reported absent was certainly never added.
 */
export class KeyFilter {
  private readonly words: Int32Array;
  private readonly blockMask: number;

  /** Sized at about 16 bits a key, at most 2^30 bits (128 MiB). */
  constructor(expectedKeys: number) {
    let blocks = 1;
    const wanted = Math.min(2 ** 21, Math.ceil((expectedKeys * 16) / 512));
    while (blocks < wanted) blocks *= 2;
    this.words = new Int32Array(blocks * 16);
    this.blockMask = blocks - 1;
  }

  /** Adds the key (a, b, c); true when it was (probably) there already, and then nothing changes. */
  addIfAbsent3(a: number, b: number, c: number): boolean {
    const h1 = fmix32(a ^ Math.imul(fmix32(b ^ Math.imul(fmix32(c), 0x9e3779b1)), 0x85ebca6b));
    const h2 = fmix32(h1 ^ b ^ Math.imul(c, 0xc2b2ae35));
    const base = (h1 & this.blockMask) * 16;
    const step = (h2 >>> 16) | 1;
    let present = true;
    for (let j = 0; j < 5; j++) {
      const bit = (h2 + j * step) & 511;
      if ((this.words[base + (bit >>> 5)] & (1 << (bit & 31))) === 0) present = false;
    }
    if (present) return true;
    for (let j = 0; j < 5; j++) {
      const bit = (h2 + j * step) & 511;
      this.words[base + (bit >>> 5)] |= 1 << (bit & 31);
    }
    return false;
  }
}
