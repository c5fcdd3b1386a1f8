import { blake3 } from '@noble/hashes/blake3.js';
import { blake3KeyedBlock, blake3KeyWords } from '../keys/blake3.js';
import { canonicalCell, canonicalWord, words } from './canonical.js';
import type { FamilyMatcher } from './families.js';

/**
 * Matching a dump's rows to registry records when the key column is missing: each `match`
 * column set of a row gives a keyed 64-bit fingerprint of its canonical values (case, accents,
 * spaces and family spellings unified), and the index maps fingerprints to record ids.
 *
 * Layout, per match set: an open-addressing table of `capacity` slots (load <= 0.8), a u16 tag
 * and a u32 record id a slot: 7.5 bytes an entry, so the two mx-ine sets cost 15 bytes a
 * registry row. The slot comes from the fingerprint's low 32 bits, the tag from the high 16 (15
 * of them free: 0 marks an empty slot). A lookup of a foreign fingerprint compares its tag with
 * every slot of the probe run it lands in (about 13 slots at load 0.8), so about 4e-4 of foreign
 * rows hit some record (measured 3.7e-4): a false hit reads a foreign row's spellings as
 * evidence, which weakens the evidence against the guilty and never strengthens it against anyone
 * else. Wider tags would cut that (32 bits: ~1e-8) at 10 bytes a slot.
 * Fingerprints shared by several records (namesakes born the same day) are stored as AMBIGUOUS
 * and never used.
 */
export const AMBIGUOUS = 0xffffffff;
const EMPTY_TAG = 0;

export class Fingerprinter {
  private readonly keyWords: Uint32Array;
  private readonly key: Uint8Array;
  private readonly buf = new Uint8Array(64);
  private readonly out = new Uint32Array(16);
  private readonly encoder = new TextEncoder();
  lo = 0;
  hi = 0;

  constructor(indexKey: Uint8Array) {
    this.key = indexKey;
    this.keyWords = blake3KeyWords(indexKey);
  }

  /**
   * Fingerprints the canonical values of match set `set`; false when a value is empty (an empty
   * cell identifies nobody).
   */
  compute(set: number, values: string[]): boolean {
    let text = String.fromCharCode(0x30 + set);
    for (const v of values) {
      if (v === '') return false;
      text += '\x1f' + v;
    }
    const r = this.encoder.encodeInto(text, this.buf);
    if (r.read === text.length && r.written <= 64) {
      blake3KeyedBlock(this.keyWords, this.buf, r.written, 0, this.out);
      this.lo = this.out[0];
      this.hi = this.out[1];
    } else {
      const h = blake3(this.encoder.encode(text), { key: this.key, dkLen: 8 });
      this.lo = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
      this.hi = (h[4] | (h[5] << 8) | (h[6] << 16) | (h[7] << 24)) >>> 0;
    }
    return true;
  }
}

/** The canonical value of a cell for matching: canonical words, family spellings unified. */
export function matchValue(cell: string, matcher: FamilyMatcher | null): string {
  if (matcher === null) return canonicalCell(cell);
  const ws = words(cell).map(canonicalWord).filter((w) => w !== '');
  return matcher.unify(ws);
}

function slotOf(lo: number, capacity: number): number {
  // Multiply-shift maps a 32-bit hash onto [0, capacity) without modulo bias worth noting.
  return Math.floor(((lo >>> 0) * capacity) / 4294967296);
}

function tagOf(hi: number): number {
  return (hi >>> 16) | 1;
}

/** One match set's table. */
export class MatchTable {
  readonly capacity: number;
  readonly tags: Uint16Array;
  readonly ids: Uint32Array;

  constructor(capacity: number, tags?: Uint16Array, ids?: Uint32Array) {
    this.capacity = capacity;
    this.tags = tags ?? new Uint16Array(capacity);
    this.ids = ids ?? new Uint32Array(capacity);
  }

  static capacityFor(entries: number): number {
    return Math.max(16, Math.ceil(entries / 0.8) + 1);
  }

  /** Record id for a fingerprint, AMBIGUOUS, or -1 when absent. */
  lookup(lo: number, hi: number): number {
    const tag = tagOf(hi);
    const cap = this.capacity;
    let s = slotOf(lo, cap);
    for (;;) {
      const t = this.tags[s];
      if (t === EMPTY_TAG) return -1;
      if (t === tag) return this.ids[s];
      s = s + 1 === cap ? 0 : s + 1;
    }
  }
}

/**
 * Collects (fingerprint, record id) entries during the registry pass, then builds the tables.
 * Entries are held as flat typed arrays (12 bytes each) until `build`, never as JS objects.
 */
export class MatchIndexBuilder {
  private lo: Uint32Array;
  private hi: Uint32Array;
  private id: Uint32Array;
  private n = 0;

  constructor(initial = 1 << 16) {
    this.lo = new Uint32Array(initial);
    this.hi = new Uint32Array(initial);
    this.id = new Uint32Array(initial);
  }

  get size(): number {
    return this.n;
  }

  add(lo: number, hi: number, id: number): void {
    if (this.n === this.lo.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.lo = grow(this.lo);
      this.hi = grow(this.hi);
      this.id = grow(this.id);
    }
    this.lo[this.n] = lo;
    this.hi[this.n] = hi;
    this.id[this.n] = id;
    this.n++;
  }

  build(): MatchTable {
    const table = new MatchTable(MatchTable.capacityFor(this.n));
    fillMatchTable(table, this.lo, this.hi, this.id, this.n);
    return table;
  }
}

/**
 * Puts entries [0, n) of (lo, hi, id) into an empty table, in order. Two entries with one tag in
 * one probe run make the slot AMBIGUOUS: either the same fingerprint (namesakes) or a tag clash
 * that lookups could not tell apart either.
 */
function fillMatchTable(table: MatchTable, lo: Uint32Array, hi: Uint32Array, id: Uint32Array, n: number): void {
  const cap = table.capacity;
  // Full fingerprints of occupied slots, kept only while building, to tell a true duplicate
  // (two records, one fingerprint) from two fingerprints that merely share a tag.
  const fullLo = new Uint32Array(cap);
  const fullHi = new Uint32Array(cap);
  const tags = table.tags;
  const ids = table.ids;
  for (let i = 0; i < n; i++) {
    const l = lo[i];
    const h = hi[i];
    const tag = tagOf(h);
    let s = slotOf(l, cap);
    for (;;) {
      const t = tags[s];
      if (t === EMPTY_TAG) {
        tags[s] = tag;
        ids[s] = id[i];
        fullLo[s] = l;
        fullHi[s] = h;
        break;
      }
      if (t === tag) {
        if (ids[s] !== id[i] || fullLo[s] !== l || fullHi[s] !== h) ids[s] = AMBIGUOUS;
        break;
      }
      s = s + 1 === cap ? 0 : s + 1;
    }
  }
}

/**
 * Builds the table of entries [0, n) straight into its file bytes (`encodeMatchTable`'s layout):
 * no copy of the entries and no second copy of the table, which on a 90M-row registry saves
 * gigabytes at the peak of issue.
 */
export function buildMatchTableFile(lo: Uint32Array, hi: Uint32Array, id: Uint32Array, n: number): Buffer {
  const capacity = MatchTable.capacityFor(n);
  const buf = Buffer.alloc(8 + capacity * 6);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(capacity, 4);
  // A buffer this size has its own, aligned memory; a small one may sit unaligned in Node's pool.
  if (buf.byteOffset % 4 !== 0) {
    const b = new MatchIndexBuilder(Math.max(1, n));
    for (let i = 0; i < n; i++) b.add(lo[i], hi[i], id[i]);
    return encodeMatchTable(b.build());
  }
  const ids = new Uint32Array(buf.buffer, buf.byteOffset + 8, capacity);
  const tags = new Uint16Array(buf.buffer, buf.byteOffset + 8 + capacity * 4, capacity);
  fillMatchTable(new MatchTable(capacity, tags, ids), lo, hi, id, n);
  return buf;
}

const MAGIC = 0x31584d52; // 'RMX1' little-endian

/** Serialises a table: magic, capacity, then ids (u32 x capacity) and tags (u16 x capacity). */
export function encodeMatchTable(t: MatchTable): Buffer {
  const buf = Buffer.alloc(8 + t.capacity * 6);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(t.capacity, 4);
  Buffer.from(t.ids.buffer, t.ids.byteOffset, t.ids.byteLength).copy(buf, 8);
  Buffer.from(t.tags.buffer, t.tags.byteOffset, t.tags.byteLength).copy(buf, 8 + t.capacity * 4);
  return buf;
}

/** Loads a table from its file bytes without parsing anything row by row. */
export function decodeMatchTable(buf: Buffer): MatchTable {
  if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new Error('not a rollmark match index');
  const capacity = buf.readUInt32LE(4);
  if (buf.length !== 8 + capacity * 6) throw new Error('match index has the wrong length');
  // Typed array views need aligned offsets; copy once if the buffer is not aligned.
  const aligned = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const ids = new Uint32Array(aligned.buffer, aligned.byteOffset + 8, capacity);
  const tags = new Uint16Array(aligned.buffer, aligned.byteOffset + 8 + capacity * 4, capacity);
  return new MatchTable(capacity, tags, ids);
}
