/**
 * The byte memo of the trace row core (trace-core.ts): the pure functions of a dump cell (its
 * marks, its match value) cached by the cell's raw bytes, so that the byte view decodes and
 * computes a cell only on a miss. The key is the exact input of the function (bytes, quoting,
 * decoding), so a hit gives what computing would, and the result never depends on the memo.
 */

/** Longest key a memo keeps (longer cells are computed every time). */
const MEMO_KEY_MAX = 64;
/** Slots a memo starts with, and the most it grows to (64 bytes of key a slot). */
const MEMO_BITS = 12;
const MEMO_MAX_BITS = 16;
/** A memo doubles when more than this share of a window of lookups missed. */
const MEMO_WINDOW = 1 << 14;
const MEMO_GROW_MISSES = MEMO_WINDOW / 64;

/**
 * A direct-mapped cache from a byte string (a raw field, quotes included) to a value. A field's
 * bytes read the same in UTF-8 and Latin-1 when they are ASCII; otherwise the decoding is part of
 * the key. A slot holds one key; a collision replaces it; a memo that misses often doubles (up
 * to 2^16 slots, 4 MiB). Nothing here changes a result: on a miss the caller computes the value from
 * the field's text.
 *
 * `collapseDigits`: every run of ASCII digits in the key reads as one '0', so "CALLE 39" and
 * "CALLE 140" share a slot. Only for values that cannot depend on the digits (see
 * `digitFreeMarks` in trace-core.ts).
 */
export class ByteMemo<V> {
  private mask: number;
  private lens: Int32Array;
  private hashes: Int32Array;
  private arena: Uint8Array;
  private values: (V | undefined)[];
  private readonly collapse: boolean;
  private readonly scratch = new Uint8Array(MEMO_KEY_MAX);
  // the key of the last `get`, for `set`
  private slot = -1;
  private lastHit = -1;
  private hash = 0;
  private keyLen = 0;
  private keyBuf: Uint8Array = new Uint8Array(0);
  private keyStart = 0;
  private windowLookups = 0;
  private windowMisses = 0;
  hits = 0;
  misses = 0;

  constructor(bits = MEMO_BITS, collapseDigits = false) {
    const n = 1 << bits;
    this.mask = n - 1;
    this.lens = new Int32Array(n).fill(-1);
    this.hashes = new Int32Array(n);
    this.arena = new Uint8Array(n * MEMO_KEY_MAX);
    this.values = new Array(n).fill(undefined);
    this.collapse = collapseDigits;
  }

  get(buf: Uint8Array, s: number, e: number, encoding: 'utf8' | 'latin1'): V | undefined {
    if (++this.windowLookups === MEMO_WINDOW) this.endWindow();
    let h = 0x811c9dc5 | 0;
    let high = 0;
    if (this.collapse) {
      // One pass: copy the key with its digit runs collapsed (one '0' each) into the scratch
      // buffer, and hash it.
      const out = this.scratch;
      let n = 0;
      let inDigits = false;
      for (let p = s; p < e; p++) {
        let b = buf[p];
        if (b >= 48 && b <= 57) {
          if (inDigits) continue;
          inDigits = true;
          b = 48;
        } else inDigits = false;
        if (n === MEMO_KEY_MAX) return this.tooLong();
        out[n++] = b;
        high |= b;
        h = Math.imul(h ^ b, 0x01000193);
      }
      buf = out;
      s = 0;
      e = n;
    } else {
      if (e - s > MEMO_KEY_MAX) return this.tooLong();
      // Sorted dumps repeat a cell from row to row (a section's colonia, an empty NUM_INT): try
      // the slot of the last hit first, byte by byte, before hashing.
      const last = this.lastHit;
      const len = e - s;
      if (last >= 0 && this.lens[last] >> 1 === len) {
        const arena = this.arena;
        const a = last * MEMO_KEY_MAX;
        let i = 0;
        for (; i < len; i++) {
          const b = buf[s + i];
          if (arena[a + i] !== b) break;
          high |= b;
        }
        if (i === len && (this.lens[last] & 1) === ((high & 0x80) !== 0 && encoding === 'latin1' ? 1 : 0)) {
          this.hits++;
          return this.values[last];
        }
        high = 0;
      }
      for (let p = s; p < e; p++) {
        const b = buf[p];
        high |= b;
        h = Math.imul(h ^ b, 0x01000193);
      }
    }
    const len = e - s;
    // The decoding matters only for non-ASCII bytes: tag the key with it then.
    const tagged = (high & 0x80) !== 0 && encoding === 'latin1' ? 1 : 0;
    const lenTag = (len << 1) | tagged;
    h = Math.imul(h ^ lenTag, 0x01000193);
    h ^= h >>> 15;
    const slot = h & this.mask;
    this.slot = slot;
    this.hash = h;
    this.keyLen = lenTag;
    this.keyBuf = buf;
    this.keyStart = s;
    if (this.lens[slot] !== lenTag || this.hashes[slot] !== h) return this.missed();
    const arena = this.arena;
    const a = slot * MEMO_KEY_MAX;
    for (let i = 0; i < len; i++) if (arena[a + i] !== buf[s + i]) return this.missed();
    this.hits++;
    this.lastHit = slot;
    return this.values[slot];
  }

  private tooLong(): undefined {
    this.slot = -1;
    this.misses++;
    this.windowMisses++;
    return undefined;
  }

  private missed(): undefined {
    this.misses++;
    this.windowMisses++;
    return undefined;
  }

  /** Stores a value under the key of the last `get` (that missed). */
  set(value: V): void {
    const slot = this.slot;
    if (slot < 0) return;
    const len = this.keyLen >> 1;
    this.arena.set(this.keyBuf.subarray(this.keyStart, this.keyStart + len), slot * MEMO_KEY_MAX);
    this.lens[slot] = this.keyLen;
    this.hashes[slot] = this.hash;
    this.values[slot] = value;
    this.lastHit = slot;
  }

  /** At the end of a window of lookups: double the table if it missed too often. */
  private endWindow(): void {
    const grow = this.windowMisses > MEMO_GROW_MISSES && this.mask + 1 < 1 << MEMO_MAX_BITS;
    this.windowLookups = 0;
    this.windowMisses = 0;
    if (!grow) return;
    const n = 2 * (this.mask + 1);
    const { lens, hashes, arena, values } = this;
    this.mask = n - 1;
    this.lens = new Int32Array(n).fill(-1);
    this.hashes = new Int32Array(n);
    this.arena = new Uint8Array(n * MEMO_KEY_MAX);
    this.values = new Array(n).fill(undefined);
    for (let i = 0; i < lens.length; i++) {
      if (lens[i] < 0) continue;
      const slot = hashes[i] & this.mask;
      this.lens[slot] = lens[i];
      this.hashes[slot] = hashes[i];
      this.arena.set(arena.subarray(i * MEMO_KEY_MAX, i * MEMO_KEY_MAX + (lens[i] >> 1)), slot * MEMO_KEY_MAX);
      this.values[slot] = values[i];
    }
    this.slot = -1;
    this.lastHit = -1;
  }
}
