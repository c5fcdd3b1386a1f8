/**
 * A set of short byte strings (cell values as the registry wrote them), each with a small entry
 * number the caller keys its own arrays by: so a value met again is recognised from its bytes
 * without decoding it. Open addressing over typed arrays; a `tag` (the column) is part of the key.
 * The caller clears it when it holds enough and starts again: it is a cache, never a record.
 */
export class ByteTable {
  readonly maxEntries: number;
  size = 0;
  private readonly mask: number;
  /** Per slot: entry + 1 (0: empty) and the value's hash, side by side. */
  private readonly table: Int32Array;
  /** Per entry: tag, start of its bytes in `keyBytesOf`, their length. */
  private readonly entry: Int32Array;
  private keyBytesOf: Uint8Array;
  private keysUsed = 0;
  // The probe of the last `find` that missed, where `add` puts the value.
  private missSlot = -1;
  private missHash = 0;

  constructor(maxEntries: number, keyBytes: number) {
    this.maxEntries = maxEntries;
    let cap = 16;
    while (cap < 2 * maxEntries) cap *= 2;
    this.mask = cap - 1;
    this.table = new Int32Array(2 * cap);
    this.entry = new Int32Array(3 * maxEntries);
    this.keyBytesOf = new Uint8Array(keyBytes);
  }

  /** The entry of (tag, src[s, e)), or -1. */
  find(tag: number, src: Uint8Array, s: number, e: number): number {
    const len = e - s;
    // The bytes are compared in full on a hit, so the hash only has to spread the values.
    let h = Math.imul(len ^ (tag << 16), 0x9e3779b1);
    // Up to 16 bytes, four at a time: the first 12 and the last 4 (a hit compares every byte).
    const head = len < 12 ? s + (len & ~3) : s + 12;
    let p = s;
    for (; p < head; p += 4) {
      h = Math.imul(h ^ (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)), 0x85ebca6b);
      h ^= h >>> 13;
    }
    if (len >= 16) p = e - 4;
    for (; p < e; p++) h = Math.imul(h ^ src[p], 0x01000193);
    h ^= h >>> 15;
    const table = this.table;
    const entry = this.entry;
    let slot = h & this.mask;
    for (;;) {
      const t = table[2 * slot];
      if (t === 0) break;
      if (table[2 * slot + 1] === h) {
        const x = t - 1;
        if (entry[3 * x + 2] === len && entry[3 * x] === tag) {
          const keys = this.keyBytesOf;
          const ka = entry[3 * x + 1] - s;
          let p = s;
          while (p < e && keys[ka + p] === src[p]) p++;
          if (p === e) return x;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    this.missSlot = slot;
    this.missHash = h;
    return -1;
  }

  /** Entry x's bytes are `keys[keyStart(x), keyStart(x) + keyLength(x))`. */
  get keys(): Uint8Array {
    return this.keyBytesOf;
  }
  keyStart(x: number): number {
    return this.entry[3 * x + 1];
  }
  keyLength(x: number): number {
    return this.entry[3 * x + 2];
  }

  /** Bytes of the values held. */
  get keyBytes(): number {
    return this.keysUsed;
  }

  /**
   * Adds the value the last `find` missed (same arguments, nothing added or cleared since);
   * returns its entry. The caller keeps `size` below `maxEntries` (clearing in time).
   */
  add(tag: number, src: Uint8Array, s: number, e: number): number {
    if (this.size === this.maxEntries) throw new RangeError('ByteTable is full');
    const len = e - s;
    if (this.keysUsed + len > this.keyBytesOf.length) {
      const grown = new Uint8Array(Math.max(2 * this.keyBytesOf.length, this.keysUsed + len));
      grown.set(this.keyBytesOf.subarray(0, this.keysUsed));
      this.keyBytesOf = grown;
    }
    const x = this.size++;
    this.table[2 * this.missSlot] = x + 1;
    this.table[2 * this.missSlot + 1] = this.missHash;
    this.entry[3 * x] = tag;
    this.entry[3 * x + 1] = this.keysUsed;
    this.entry[3 * x + 2] = len;
    this.keyBytesOf.set(src.subarray(s, e), this.keysUsed);
    this.keysUsed += len;
    return x;
  }

  clear(): void {
    this.table.fill(0);
    this.size = 0;
    this.keysUsed = 0;
    this.missSlot = -1;
  }
}
