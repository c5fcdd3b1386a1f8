import { blake3 } from '@noble/hashes/blake3.js';
import { blake3KeyedBlock, blake3KeyWords } from '../keys/blake3.js';
import { biasFromUniform } from './bias.js';

/**
 * The fingerprint code of one release: for a code position (record, slot) its Tardos bias and
 * every recipient's symbol, all from one keyed BLAKE3 evaluation of the record id, whose XOF
 * output block number is the slot. So a row costs one compression per position it holds, for
 * every recipient at once, and trace recomputes exactly what issue wrote from the key alone.
 *
 * Layout of a slot's stream (blocksPerSlot x 64 bytes, little-endian): u32 bias draw, then one
 * u16 per recipient in recipient order. Recipient j's symbol is 1 iff its u16 < P, where the bias
 * P/65536 is quantised to 16 bits: so the probability is exactly P/65536, which is what the
 * scoring assumes.
 */
export class CodeBook {
  readonly recipients: number;
  readonly blocksPerSlot: number;
  readonly cutoff: number;
  private readonly keyWords: Uint32Array;
  private readonly msg = new Uint8Array(4);
  private readonly stream: Uint32Array;
  private readonly block = new Uint32Array(16);

  constructor(codeKey: Uint8Array, recipients: number, cutoff: number) {
    if (!Number.isInteger(recipients) || recipients < 1 || recipients > 4096) {
      throw new RangeError(`a release has 1..4096 recipients, got ${recipients}`);
    }
    this.recipients = recipients;
    this.cutoff = cutoff;
    this.keyWords = blake3KeyWords(codeKey);
    this.blocksPerSlot = Math.ceil((4 + 2 * recipients) / 64);
    this.stream = new Uint32Array(16 * this.blocksPerSlot);
  }

  /** Computes position (recordId, slot); returns its bias P in [1, 65535]. */
  load(recordId: number, slot: number): number {
    const msg = this.msg;
    msg[0] = recordId & 0xff;
    msg[1] = (recordId >>> 8) & 0xff;
    msg[2] = (recordId >>> 16) & 0xff;
    msg[3] = (recordId >>> 24) & 0xff;
    const base = slot * this.blocksPerSlot;
    if (this.blocksPerSlot === 1) {
      blake3KeyedBlock(this.keyWords, msg, 4, base, this.stream);
    } else {
      for (let b = 0; b < this.blocksPerSlot; b++) {
        blake3KeyedBlock(this.keyWords, msg, 4, base + b, this.block);
        this.stream.set(this.block, 16 * b);
      }
    }
    return biasFromUniform(this.stream[0], this.cutoff);
  }

  /** Recipient j's symbol at the position last loaded. */
  symbol(j: number, P: number): 0 | 1 {
    const w = this.stream[1 + (j >>> 1)];
    const u = (j & 1) === 0 ? w & 0xffff : w >>> 16;
    return u < P ? 1 : 0;
  }

  /** Every recipient's symbol at the position last loaded. */
  symbols(P: number, out: Uint8Array): void {
    for (let j = 0; j < this.recipients; j++) out[j] = this.symbol(j, P);
  }
}

/**
 * Record identity: keyed BLAKE3 of the record key's canonical text (uppercase, trimmed). The
 * first 32 bits name the record's code positions (4 bytes keep the matching index inside 16 bytes
 * a row; two records that share an id share code symbols, which trace's de-duplication turns into
 * one observation, never two); the next 64 bits tell canaries from real records exactly.
 */
export class RecordIds {
  private readonly keyWords: Uint32Array;
  private readonly key: Uint8Array;
  private readonly buf = new Uint8Array(64);
  private readonly out = new Uint32Array(16);
  private readonly encoder = new TextEncoder();
  id = 0;
  hashHi = 0;
  hashLo = 0;

  constructor(recordKey: Uint8Array) {
    this.key = recordKey;
    this.keyWords = blake3KeyWords(recordKey);
  }

  /**
   * The fast path of `compute(canonicalKey(text))` for a key read as raw bytes [start, end): when
   * every byte is printable ASCII other than a lowercase letter (so trimming and uppercasing change
   * nothing and the UTF-8 bytes are the text) and it fits one block, computes id, hashHi and hashLo
   * from the bytes and returns true; otherwise returns false and the caller takes the text path.
   */
  computeAscii(bytes: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (n <= 0 || n > 64) return false;
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const c = bytes[start + i];
      if (c < 0x21 || c > 0x7e || (c >= 0x61 && c <= 0x7a)) return false;
      buf[i] = c;
    }
    blake3KeyedBlock(this.keyWords, buf, n, 0, this.out);
    this.id = this.out[0];
    this.hashHi = this.out[1];
    this.hashLo = this.out[2];
    return true;
  }

  /** Computes id, hashHi and hashLo for a canonical key; returns id. */
  compute(canonicalKey: string): number {
    const r = this.encoder.encodeInto(canonicalKey, this.buf);
    if (r.read === canonicalKey.length && r.written <= 64) {
      blake3KeyedBlock(this.keyWords, this.buf, r.written, 0, this.out);
      this.id = this.out[0];
      this.hashHi = this.out[1];
      this.hashLo = this.out[2];
    } else {
      // Keys longer than one block take the general (slower) path; same function, more blocks.
      const h = blake3(this.encoder.encode(canonicalKey), { key: this.key, dkLen: 12 });
      const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
      this.id = dv.getUint32(0, true);
      this.hashHi = dv.getUint32(4, true);
      this.hashLo = dv.getUint32(8, true);
    }
    return this.id;
  }
}

/** The canonical text of a record key: what case changes and stray spaces cannot alter. */
export function canonicalKey(value: string): string {
  return value.trim().toUpperCase();
}
