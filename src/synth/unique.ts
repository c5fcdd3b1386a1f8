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
 * space-efficient Bloom filters", 2007): a key sets 5 bits inside one 512-bit block, so a test
 * costs one cache miss. Keys that share most of their content can be put in the same block
 * (`locate` on the shared part, `addIfAbsent` on the rest): a person's CURP and clave then cost
 * one miss together. No false negatives, which is what uniqueness rests on: a key reported
 * absent was certainly never added.
 */
export class KeyFilter {
  private readonly words: Int32Array;
  private readonly blockMask: number;

  /** Sized at about 12 bits a key, at most 2^30 bits (128 MiB). */
  constructor(expectedKeys: number) {
    let blocks = 1;
    const wanted = Math.min(2 ** 21, Math.ceil((expectedKeys * 12) / 512));
    while (blocks < wanted) blocks *= 2;
    this.words = new Int32Array(blocks * 16);
    this.blockMask = blocks - 1;
  }

  /**
   * The block for keys whose shared part is (a, b, c), and the salt their bits are mixed with,
   * written to base[i] and salt[i]. The block's first word is read on the way, so that locating
   * a whole section first lets its cache misses overlap instead of coming one per row.
   */
  locate(a: number, b: number, c: number, base: Int32Array, salt: Int32Array, i: number): number {
    const h = fmix32(a ^ Math.imul(fmix32(b ^ Math.imul(fmix32(c), 0x9e3779b1)), 0x85ebca6b));
    salt[i] = fmix32(h ^ 0x5bd1e995);
    const at = (h & this.blockMask) * 16;
    base[i] = at;
    return this.words[at];
  }

  /** Adds the key `rest` in a located block; true when it was (probably) there already. */
  addIfAbsent(base: number, salt: number, rest: number): boolean {
    const h = fmix32(salt ^ Math.imul(rest + 1, 0x9e3779b1));
    const step = (h >>> 16) | 1;
    const words = this.words;
    // Test and set in one pass: setting a bit that is already set changes nothing.
    let present = true;
    for (let j = 0; j < 5; j++) {
      const bit = (h + j * step) & 511;
      const w = base + (bit >>> 5);
      const m = 1 << (bit & 31);
      if ((words[w] & m) === 0) {
        present = false;
        words[w] |= m;
      }
    }
    return present;
  }
}
