/**
 * The leak lab's seeded randomness: every random choice of an attack comes from an `Rng` seeded
 * from a string, so the same seed gives the same leak on every machine.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded with the SHA-256 of a
 * string. Not cryptographic, and need not be: the lab only needs leaks that are reproducible from
 * a seed and statistically unremarkable. `fork` derives an independent stream by label, so adding
 * one attack to a pipeline does not change the randomness of the others.
 */
export class Rng {
  readonly seed: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    this.seed = seed;
    const h = sha256(new TextEncoder().encode(seed));
    const word = (i: number) => (h[i] | (h[i + 1] << 8) | (h[i + 2] << 16) | (h[i + 3] << 24)) >>> 0;
    this.a = word(0);
    this.b = word(4);
    this.c = word(8);
    this.d = word(12) | 1; // the counter word: never an all-zero state
    // Mix the state a little so that nearby seeds do not start nearby.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform in [0, 2^32). */
  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`Rng.int: bad bound ${n}`);
    if (n > 0x100000000) return Math.floor(this.float() * n);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher-Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const x = items[i];
      items[i] = items[j];
      items[j] = x;
    }
    return items;
  }

  /** An independent generator for a named sub-task. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}\u0000${label}`);
  }
}

export function createRng(seed: string): Rng {
  return new Rng(seed);
}
