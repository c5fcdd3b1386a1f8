import { blake3 } from '@noble/hashes/blake3.js';
import type { Bloom } from '../code/bloom.js';
import { canonicalKey, type RecordIds } from '../code/codebook.js';
import { blake3KeyedBlock, blake3KeyWords } from '../keys/blake3.js';
import { matchValue, type Fingerprinter } from '../code/match-index.js';
import type { ResolvedSchema } from '../schema/schema.js';
import type { GroupView } from './group-rows.js';
import { RollmarkError } from '../errors.js';
import { deriveMxIneIdentity } from '../presets/mx-ine/canary.js';

/**
 * Canary rows ("registros testigo"): synthetic voters composed inside one group (section) from
 * that group's real values, block by block (a given name with its sex, a birth date with its
 * age, an address with its postal code), so no real person is copied and every value is one the
 * section really holds. The key and the `unique` columns get fresh values in their own format;
 * under the mx-ine preset ELECTOR and CURP are derived from the composed person instead, so they
 * pass every identifier rule a real row passes. A canary never collides with a registry key or
 * unique value (checked against a Bloom filter of all of them) nor with another canary.
 */
export interface Canary {
  fields: string[];
  /** Index in the group's rows before which the canary is written. */
  insertAt: number;
  recordId: number;
  hashHi: number;
  hashLo: number;
  /** Match-set fingerprints (lo, hi), or null where a value was empty. */
  fingerprints: ([number, number] | null)[];
}

/** Deterministic randomness for one canary: keyed BLAKE3 XOF of its group and number. */
class Draws {
  private words: Uint32Array;
  private i = 0;
  constructor(key: Uint8Array, label: string) {
    const bytes = blake3(new TextEncoder().encode(label), { key, dkLen: 1024 });
    this.words = new Uint32Array(bytes.buffer, bytes.byteOffset, 256);
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    if (this.i === this.words.length) this.i = 0;
    return Math.floor((this.words[this.i++] / 4294967296) * n);
  }
}

/**
 * A fresh value in the format of a column's values in this group: positions where every sampled
 * value has the same character keep it (a constant prefix stays), other digits become random
 * digits and other letters random letters.
 */
function freshLike(values: string[], draws: Draws): string {
  const template = values[draws.below(values.length)];
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    const constant = values.every((v) => v[i] === ch);
    if (constant) out += ch;
    else if (ch >= '0' && ch <= '9') out += String.fromCharCode(48 + draws.below(10));
    else if (ch >= 'A' && ch <= 'Z') out += String.fromCharCode(65 + draws.below(26));
    else if (ch >= 'a' && ch <= 'z') out += String.fromCharCode(97 + draws.below(26));
    else out += ch;
  }
  return out;
}

export interface CanaryContext {
  schema: ResolvedSchema;
  canaryKey: Uint8Array;
  ids: RecordIds;
  fingerprints: Fingerprinter;
  /** Every registry key and unique value, hashed (see UniqueHasher). */
  taken: Bloom;
  unique: UniqueHasher;
  /** Canary keys already made in this release. */
  canaryKeys: Set<string>;
  /** The registry, named in errors. */
  file?: string;
}

/**
 * The hashes under which keys and unique values are entered in `taken`: the first 8 bytes (lo,
 * then hi, little-endian) of keyed BLAKE3, under the release's index key, of the UTF-8 text
 * U+(0x94 + column), U+001F, then the value's canonical key text (U+0000 when that is empty). (The
 * message is the one `Fingerprinter` makes for a one-value set numbered 100 + column.) The filter
 * lives only while a release is issued; only the two passes of one run have to agree.
 */
export class UniqueHasher {
  hi = 0;
  lo = 0;
  private readonly key: Uint8Array;
  private readonly keyWords: Uint32Array;
  private readonly encoder = new TextEncoder();
  private readonly msg = new Uint8Array(64);
  private readonly out = new Uint32Array(16);
  private readonly prefixes = new Map<number, Uint8Array>();

  constructor(indexKey: Uint8Array) {
    this.key = indexKey;
    this.keyWords = blake3KeyWords(indexKey);
  }

  /** Hashes a value as text. */
  text(column: number, value: string): void {
    const bytes = this.encoder.encode(String.fromCharCode(0x94 + column) + '\x1f' + (canonicalKey(value) || '\u0000'));
    if (bytes.length <= 64) {
      blake3KeyedBlock(this.keyWords, bytes, bytes.length, 0, this.out);
      this.lo = this.out[0];
      this.hi = this.out[1];
    } else {
      const h = blake3(bytes, { key: this.key, dkLen: 8 });
      this.lo = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
      this.hi = (h[4] | (h[5] << 8) | (h[6] << 16) | (h[7] << 24)) >>> 0;
    }
  }

  /**
   * Hashes an unquoted cell from its raw bytes [start, end): straight from the bytes when they
   * are printable ASCII without lowercase letters (their own canonical text), else as text.
   */
  bytes(column: number, src: Uint8Array, start: number, end: number): void {
    let prefix = this.prefixes.get(column);
    if (prefix === undefined) {
      prefix = this.encoder.encode(String.fromCharCode(0x94 + column) + '\x1f');
      this.prefixes.set(column, prefix);
    }
    const p = prefix.length;
    const n = end - start;
    let plain = n > 0 && p + n <= 64;
    const msg = this.msg;
    for (let i = 0; plain && i < n; i++) {
      const c = src[start + i];
      if (c < 0x21 || c > 0x7e || (c >= 0x61 && c <= 0x7a)) plain = false;
      msg[p + i] = c;
    }
    if (!plain) {
      this.text(column, Buffer.from(src.buffer, src.byteOffset + start, n).toString('utf8'));
      return;
    }
    for (let i = 0; i < p; i++) msg[i] = prefix[i];
    blake3KeyedBlock(this.keyWords, msg, p + n, 0, this.out);
    this.lo = this.out[0];
    this.hi = this.out[1];
  }
}

const MAX_ATTEMPTS = 64;

/** Composes the canaries of one group; `rows` are the group's registry rows in order. */
export function composeCanaries(ctx: CanaryContext, groupValue: string, rows: GroupView, count: number): Canary[] {
  const { schema } = ctx;
  const n = rows.count;
  const out: Canary[] = [];
  const seqUsed = new Set<number>();
  const seqOf: number[] = [];
  if (schema.sequence !== null) {
    for (let i = 0; i < n; i++) {
      const v = rows.cellNumber(i, schema.sequence);
      seqOf.push(v);
      seqUsed.add(v);
    }
  }
  const stride = Math.max(1, Math.ceil(n / 64));
  const sampleRows: number[] = [];
  for (let i = 0; i < n; i += stride) sampleRows.push(i);
  const sampleOf = (col: number) => sampleRows.map((i) => rows.cell(i, col));

  let failure: string | null = null;
  for (let c = 0; c < count; c++) {
    let canary: Canary | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && canary === null; attempt++) {
      const draws = new Draws(ctx.canaryKey, `canary\x1f${groupValue}\x1f${c}\x1f${attempt}`);
      const base = rows.row(draws.below(n));
      const fields = base.slice();
      let birthRow = base;
      for (const block of schema.canaries.blocks) {
        const src = rows.row(draws.below(n));
        for (const col of block) fields[col] = src[col];
        if (schema.preset === 'mx-ine' && block.includes(schema.columns.indexOf('FNAC'))) birthRow = src;
      }
      for (const col of schema.unique) fields[col] = freshLike(sampleOf(col), draws);
      fields[schema.key] = freshLike(sampleOf(schema.key), draws);
      if (schema.preset === 'mx-ine') {
        // A source row whose identity fields break the preset's rules (a CURP with an unknown
        // state, a date that is not one) cannot lend its person: draw other rows instead.
        try {
          deriveMxIneIdentity(schema.columns, fields, birthRow, (n) => draws.below(n));
        } catch (err) {
          failure ??= err instanceof Error ? err.message : String(err);
          continue;
        }
      }

      const key = canonicalKey(fields[schema.key]);
      if (key === '' || ctx.canaryKeys.has(key)) continue;
      ctx.unique.text(schema.key, fields[schema.key]);
      if (ctx.taken.has(ctx.unique.hi, ctx.unique.lo)) continue;
      let clash = false;
      for (const col of schema.unique) {
        ctx.unique.text(col, fields[col]);
        if (ctx.taken.has(ctx.unique.hi, ctx.unique.lo)) clash = true;
      }
      if (clash) continue;

      let insertAt = draws.below(n + 1);
      if (schema.sequence !== null) {
        const seq = schema.sequence;
        const numbers = [...seqUsed].filter(Number.isFinite).sort((a, b) => a - b);
        const gaps: number[] = [];
        for (let i = 1; i < numbers.length; i++) for (let v = numbers[i - 1] + 1; v < numbers[i]; v++) gaps.push(v);
        const value = gaps.length > 0 ? gaps[draws.below(gaps.length)] : (numbers[numbers.length - 1] ?? 0) + 1;
        seqUsed.add(value);
        const width = rows.cell(0, seq).length;
        fields[seq] = String(value).padStart(width, '0');
        insertAt = seqOf.findIndex((v) => v > value);
        if (insertAt < 0) insertAt = n;
      }

      ctx.ids.compute(key);
      const fingerprints = schema.match.map((set, s) => {
        const values = set.map((col) => matchValue(fields[col], schema.marks.find((m) => m.column === col)?.robust ?? null));
        return ctx.fingerprints.compute(s, values) ? ([ctx.fingerprints.lo, ctx.fingerprints.hi] as [number, number]) : null;
      });
      ctx.canaryKeys.add(key);
      canary = { fields, insertAt, recordId: ctx.ids.id, hashHi: ctx.ids.hashHi, hashLo: ctx.ids.hashLo, fingerprints };
    }
    if (canary !== null) out.push(canary);
    else if (failure !== null && out.length === 0 && c === count - 1) {
      throw new RollmarkError(
        'REGISTRY_BAD_ROW',
        `no canary can be composed in group '${groupValue}': its rows break the ${schema.preset} identity rules (${failure})`,
        { file: ctx.file },
      );
    }
  }
  return out;
}
