/**
 * The trace row core: one release's evidence from dump rows, whatever reads them.
 *
 * Pure code over field values. It knows nothing of files, streams, workers or the CLI: a reader
 * hands it rows through a `RowView` (the general reader's decoded `string[]`, or the byte
 * scanner's record, whose fields are decoded only when needed), and it keeps a mergeable state:
 * the evidence tally, the canaries found, the rows per group, and the counters.
 *
 * Per row (DESIGN.md "Matching a dump"): the record id comes from the key column (keyed BLAKE3 of
 * its canonical text) or, without it, from the match sets' fingerprints through the release's
 * index; a canary is recognised by its hash or fingerprint. Each record counts once: a bitmap over
 * record ids (128+ bits a registry row, `recordId & mask`) drops every later row whose bit is set,
 * so the first row in file order wins. Then every marked cell's code positions are read and fed
 * to the tally, for every record or, past the evidence budget (trace-plan.ts scoreShareFor), for
 * the records whose keyed id falls in the scored share: the choice depends on the record alone,
 * never on a recipient's code, so the innocent's null distribution is the same on the scored
 * records as on any dump. Canaries are always scored.
 *
 * The fast view memoizes the pure functions of a cell (its marks, its match value) by the cell's
 * raw bytes (ByteMemo, byte-memo.ts): the key is the exact input of the function (bytes, quoting,
 * decoding), so a hit gives what computing would, and the result never depends on the memo.
 *
 * Hot-path forms of shared code, each tested equal to it: ids and hashes are kept as int32 (the
 * same bits; a u32 above 2^31 would be a boxed number), the key's BLAKE3 is taken from its bytes
 * when they are canonical, a position's bias and symbols come from FastCode (trace-code.ts) and
 * go to a PositionTally (position-tally.ts), which writes the EvidenceTally that feeding positions
 * one by one would.
 */
import { CodeBook, RecordIds, canonicalKey } from '../code/codebook.js';
import { AMBIGUOUS, Fingerprinter, matchValue, type MatchTable } from '../code/match-index.js';
import { cellMarks, classTable, type ClassTable } from '../code/marks.js';
import { parseFamilyText, type FamilyMatcher } from '../code/families.js';
import { canonicalWord } from '../code/canonical.js';
import { BUILTIN_FRAGILE_FAMILIES, BUILTIN_ROBUST_FAMILIES } from '../schema/families/index.js';
import type { SchemaFile } from '../schema/types.js';
import type { CanaryGroup, CanaryTable, ReleaseKeys, ReleaseManifest } from '../code/release.js';
import { blake3KeyWords, blake3KeyedBlock } from '../keys/blake3.js';
import { resolveSchema, type MarkedColumn, type ResolvedSchema } from '../schema/schema.js';
import { EvidenceTally, type EvidenceTallyJSON } from './evidence.js';
import { FastCode } from './trace-code.js';
import { compileTransform, type ColumnMapping } from './columns.js';
import { ByteMemo } from './byte-memo.js';
import { PositionTally } from './position-tally.js';

export const CANARY_CLASS = 'canary';
/** A scored share of 65,536 65,536ths: every record's marks are read (see trace-plan.ts). */
export const FULL_SHARE = 65536;

/** Everything a core needs about one release; plain data (structured-clone safe) but `index`. */
export interface ReleaseSetup {
  manifest: ReleaseManifest;
  /** sha256 of the manifest file, as the signed ledger names it. */
  manifestSha256: string;
  keys: ReleaseKeys;
  canaries: CanaryTable;
  mapping: ColumnMapping;
  /** The matching index, one table a match set; null when the dump carries the key column. */
  index: MatchTable[] | null;
}

export interface CanaryRef {
  group: CanaryGroup;
  index: number;
}

/** The canary's identity as the state keeps it: `${hashHi}:${hashLo}`. */
export function canaryKey(ref: CanaryRef): string {
  const c = ref.group.canaries[ref.index];
  return `${c.hashHi}:${c.hashLo}`;
}

export type Transform = ((v: string) => string) | undefined;

/** How a reader hands a row to the core. Dump column indexes are >= 0. */
export interface RowView {
  /** Keys the core's id hasher on the key cell (dump column d); false when absent or blank. */
  key(core: ReleaseCore, d: number, tf: Transform): boolean;
  /** The match value of cell d for (set s, item i), or null when the row lacks column d. */
  matchValue(core: ReleaseCore, s: number, i: number, d: number): MatchValue | null;
  /** The group key: the group cells joined by '|'. */
  groupKey(core: ReleaseCore): string;
  /** Marked column k's positions as (slot, symbol, tally class) triples; empty when none. */
  marks(core: ReleaseCore, k: number): Int32Array;
}

/** No positions: a shared empty result. */
export const NO_MARKS = new Int32Array(0);
const utf8 = new TextEncoder();

/**
 * A cell's match value (match-index.ts matchValue) as UTF-8 bytes [0, len) for the fingerprint,
 * and as text when known (null: the bytes are ASCII, read them as text when needed).
 */
export interface MatchValue {
  text: string | null;
  bytes: Uint8Array;
  len: number;
}

interface MarkedInfo {
  mc: MarkedColumn;
  /** Dump column, -1 when the dump lacks it. */
  d: number;
  tf: Transform;
  /**
   * The column's only family is `composition` (Ñ composed or not): an ASCII cell holds no
   * position (no transform turns ASCII into an Ñ), so the byte view needs no memo for it.
   */
  asciiHasNone: boolean;
}

interface MatchSetInfo {
  /** Dump columns of the set's registry columns (-1 when missing: the set is never usable). */
  d: Int32Array;
  tf: Transform[];
  matchers: (FamilyMatcher | null)[];
  usable: boolean;
}

/**
 * One release's trace state over the rows it is shown. `observe` reads a row into the evidence;
 * `claim` only marks the row's record (or canary) as seen, for rows that come before a shard
 * (exact de-duplication across shards: see trace-shard.ts); `takeBack` undoes a row it counted
 * that an earlier shard turns out to hold (traceDump's workers: take-back.ts).
 */
export class ReleaseCore {
  readonly setup: ReleaseSetup;
  readonly release: string;
  readonly schema: ResolvedSchema;
  readonly classes: ClassTable;
  readonly recipients: number;
  /** registry column -> dump column, -1 when the dump lacks it */
  readonly dumpColumn: Int32Array;
  readonly transforms: Transform[];
  readonly keyColumn: number;
  readonly keyTransform: Transform;
  readonly marked: MarkedInfo[];
  readonly matchSets: MatchSetInfo[];
  /** Dump columns of the group, or null when the dump lacks one of them. */
  readonly groupColumns: Int32Array | null;
  readonly groupTransforms: Transform[];

  // identity
  readonly ids: RecordIds;
  private readonly recordKeyWords: Uint32Array;
  private readonly keyMsg = new Uint8Array(64);
  private readonly keyOut = new Uint32Array(16);
  /** The same words as int32: ids and hashes are kept as int32 so they never need boxing. */
  private readonly keyOut32 = new Int32Array(this.keyOut.buffer);
  readonly fingerprints: Fingerprinter;
  readonly tables: MatchTable[] | null;
  readonly code: CodeBook;
  /** The code book's fast form (one 64-byte block a position: up to 30 recipients), or null. */
  private readonly fastCode: FastCode | null;
  /** Canaries by the int32 words of their hash; a bitmap of hashHi's low bits filters first. */
  private readonly canaryByHash = new Map<number, { lo: number; ref: CanaryRef }[]>();
  private readonly canaryFilter: Uint8Array;
  private readonly canaryFilterMask: number;
  private readonly canaryByFingerprint: Map<number, { hi: number; ref: CanaryRef }[]>[];
  /** The id hasher's output for the row in hand, as int32. */
  hashHi = 0;
  hashLo = 0;
  recordIdOut = 0;

  // the mergeable state
  /** The evidence: a PositionTally for up to 32 recipients (fast), else an EvidenceTally. */
  private readonly positions: PositionTally | null;
  private readonly tally: EvidenceTally | null;
  /** The tally's class names, in order. */
  private readonly tallyNames: string[];
  /** What rows taken back had added (take-back.ts), to be subtracted; null when none. */
  private takenBack: { positions: PositionTally | null; tally: EvidenceTally | null } | null = null;
  /** classTable index -> tally class index ('' is 0, then the classes, then 'canary'). */
  readonly tallyClass: Int32Array;
  rowsMatched = 0;
  rowsDuplicate = 0;
  /** Records (canaries included) whose marks were read. */
  recordsScored = 0;
  /** The share of records scored, in 65,536ths (65,536: all). */
  readonly scoreShare: number;
  readonly matchedBy: { key: number; match: number[] };
  /** Canaries counted by this core, in the order first seen. */
  readonly canariesFound = new Map<string, CanaryRef>();
  /** Canaries found before this core's rows (claimed): their rows here are duplicates. */
  readonly canariesClaimed = new Set<string>();
  private readonly groupSeen = new Map<string, number>();
  private lastGroup: string | null = null;
  private lastGroupCount = 0;

  // de-duplication
  readonly seen: Uint8Array;
  readonly seenMask: number;

  // scratch
  private readonly xs: Uint8Array;
  private readonly matchValues: MatchValue[] = [];
  private readonly fpMsg = new Uint8Array(64);
  private readonly indexKeyWords: Uint32Array;
  private fpLo = 0;
  private fpHi = 0;
  /** The row's record: `hasRecord`, and its id as int32 (a u32 id's bits). */
  private hasRecord = false;
  private rid = 0;
  private rcanary: CanaryRef | null = null;

  // memos used by the byte view (one per marked column and per match-set item)
  readonly marksMemo: ByteMemo<Int32Array>[];
  readonly matchMemo: ByteMemo<MatchValue>[][];
  /** Per match item without family or transform: a scratch value for canonical cells, else null. */
  readonly matchDirect: (MatchValue | null)[][];
  /** The byte view's last group: raw bytes of the group cells and the key they gave. */
  groupBytes = new Uint8Array(64);
  groupBytesLen = -1;
  groupBytesKey = '';

  constructor(setup: ReleaseSetup, scoreShare = FULL_SHARE) {
    this.setup = setup;
    this.scoreShare = scoreShare;
    const m = setup.manifest;
    this.release = m.release;
    const schema = resolveSchema(m.schema, m.header);
    this.schema = schema;
    this.recipients = m.recipients.length;
    const dumpColumn = new Int32Array(m.header.length).fill(-1);
    const transforms: Transform[] = new Array(m.header.length).fill(undefined);
    for (const c of setup.mapping.columns) {
      if (c.registry === null) continue;
      const idx = m.header.indexOf(c.registry);
      if (idx >= 0) {
        dumpColumn[idx] = c.dump;
        transforms[idx] = c.transform ? compileTransform(c.transform) : undefined;
      }
    }
    this.dumpColumn = dumpColumn;
    this.transforms = transforms;
    this.keyColumn = dumpColumn[schema.key];
    this.keyTransform = transforms[schema.key];
    this.marked = schema.marks.map((mc) => ({
      mc,
      d: dumpColumn[mc.column],
      tf: transforms[mc.column],
      asciiHasNone: mc.robust === null && !mc.fragile.has('whitespace'),
    }));
    this.matchSets = schema.match.map((set) => {
      const d = Int32Array.from(set, (c) => dumpColumn[c]);
      return {
        d,
        tf: set.map((c) => transforms[c]),
        matchers: set.map((c) => schema.marks.find((mm) => mm.column === c)?.robust ?? null),
        usable: d.every((x) => x >= 0),
      };
    });
    const groupAll = schema.group.every((g) => dumpColumn[g] >= 0);
    this.groupColumns = groupAll ? Int32Array.from(schema.group, (g) => dumpColumn[g]) : null;
    this.groupTransforms = schema.group.map((g) => transforms[g]);

    this.classes = classTable(schema.marks);
    const names = ['', ...this.classes.names, CANARY_CLASS];
    this.tallyNames = names;
    // One BLAKE3 block a position holds every recipient's symbol up to 30 recipients: then the
    // fast code book and the position tally; beyond, CodeBook and EvidenceTally as they are.
    const oneBlock = 4 + 2 * this.recipients <= 64;
    this.positions = oneBlock ? new PositionTally(this.recipients, names) : null;
    this.tally = this.positions === null ? new EvidenceTally(this.recipients) : null;
    this.tallyClass = new Int32Array(this.classes.count);
    for (let c = 0; c < this.classes.count; c++) this.tallyClass[c] = c + 1;
    if (this.tally !== null) for (const name of names) this.tally.classIndex(name);
    this.xs = new Uint8Array(this.recipients);

    this.ids = new RecordIds(setup.keys.record);
    this.recordKeyWords = blake3KeyWords(setup.keys.record);
    this.fingerprints = new Fingerprinter(setup.keys.index);
    this.indexKeyWords = blake3KeyWords(setup.keys.index);
    this.code = new CodeBook(setup.keys.code, this.recipients, m.code.cutoff);
    this.fastCode = oneBlock ? new FastCode(setup.keys.code, this.recipients, m.code.cutoff) : null;
    this.tables = this.keyColumn < 0 ? setup.index : null;
    this.matchedBy = { key: 0, match: schema.match.map(() => 0) };

    this.canaryByFingerprint = schema.match.map(() => new Map());
    let canaries = 0;
    for (const g of setup.canaries.groups) canaries += g.canaries.length;
    let filterBits = 1 << 16;
    while (filterBits < 64 * canaries && filterBits < 1 << 30) filterBits *= 2;
    this.canaryFilter = new Uint8Array(filterBits >>> 3);
    this.canaryFilterMask = filterBits - 1;
    for (const g of setup.canaries.groups) {
      g.canaries.forEach((c, index) => {
        const ref = { group: g, index };
        const hi = c.hashHi | 0;
        push(this.canaryByHash, hi, { lo: c.hashLo | 0, ref });
        const b = hi & this.canaryFilterMask;
        this.canaryFilter[b >>> 3] |= 1 << (b & 7);
        c.fingerprints.forEach((f, s) => {
          if (f !== null && s < this.canaryByFingerprint.length) push(this.canaryByFingerprint[s], f[0] | 0, { hi: f[1] | 0, ref });
        });
      });
    }

    // De-duplication bitmap over record ids: 128+ bits a registry row (a distinct record is taken
    // for a repeat about rows/bits of the time, 0.4% at most), and from 2^32 bits (registries
    // over ~33M rows) every 32-bit id has its own bit: exact, 512 MiB.
    let bits = 1 << 16;
    while (bits < m.registry.rows * 128 && bits < 2 ** 32) bits *= 2;
    this.seen = new Uint8Array(bits / 8);
    this.seenMask = bits - 1;

    this.marksMemo = this.marked.map((mk) => new ByteMemo<Int32Array>(undefined, mk.tf === undefined && digitFreeMarks(schema.source, mk.mc.name)));
    this.matchMemo = this.matchSets.map((s) => Array.from(s.d, () => new ByteMemo<MatchValue>()));
    this.matchDirect = this.matchSets.map((s) => s.matchers.map((m, i) => (m === null && s.tf[i] === undefined ? { text: null, bytes: new Uint8Array(64), len: 0 } : null)));
  }

  /** Hashes a key cell's text (the general way: trim, uppercase, keyed BLAKE3). */
  hashKeyText(cell: string): boolean {
    if (cell.trim() === '') return false;
    this.recordIdOut = this.ids.compute(canonicalKey(cell)) | 0;
    this.hashHi = this.ids.hashHi | 0;
    this.hashLo = this.ids.hashLo | 0;
    return true;
  }

  /**
   * Hashes a key cell from its bytes when they are already canonical (1..64 bytes of A-Z 0-9,
   * so trimming and uppercasing change nothing and the UTF-8 text is the bytes); false otherwise,
   * and the caller takes the text way. Same function as RecordIds.compute.
   */
  hashKeyBytes(buf: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (n < 1 || n > 64) return false;
    const msg = this.keyMsg;
    for (let i = 0; i < n; i++) {
      const b = buf[s + i];
      if (!((b >= 48 && b <= 57) || (b >= 65 && b <= 90))) return false;
      msg[i] = b;
    }
    blake3KeyedBlock(this.recordKeyWords, msg, n, 0, this.keyOut);
    const out = this.keyOut32;
    this.recordIdOut = out[0];
    this.hashHi = out[1];
    this.hashLo = out[2];
    return true;
  }

  /** Marked column k's triples for a cell's text (the text after the column's transform). */
  computeMarks(k: number, cell: string): Int32Array {
    if (cell === '') return NO_MARKS;
    const found = cellMarks(this.marked[k].mc, this.classes, cell);
    let n = 0;
    for (const p of found.positions) if (p.symbol >= 0) n++;
    if (n === 0) return NO_MARKS;
    const out = new Int32Array(3 * n);
    let o = 0;
    for (const p of found.positions) {
      if (p.symbol < 0) continue;
      out[o++] = p.slot;
      out[o++] = p.symbol;
      out[o++] = this.tallyClass[p.cls];
    }
    return out;
  }

  /** The match value of (set s, item i) for a cell's text. */
  computeMatchValue(s: number, i: number, cell: string): MatchValue {
    const text = matchValue(cell, this.matchSets[s].matchers[i]);
    const bytes = utf8.encode(text);
    return { text, bytes, len: bytes.length };
  }

  /**
   * Fingerprints match set s from its values' bytes: Fingerprinter.compute's text ('0' + s, then
   * each value after a unit separator) in UTF-8, one keyed BLAKE3 block when it fits in 64 bytes
   * (the same function; longer texts go through Fingerprinter). False when a value is empty.
   * Sets fpLo and fpHi (int32).
   */
  private fingerprint(s: number, vals: MatchValue[], n: number): boolean {
    const buf = this.fpMsg;
    buf[0] = 0x30 + s;
    let o = 1;
    for (let i = 0; i < n; i++) {
      const b = vals[i].bytes;
      const len = vals[i].len;
      if (len === 0) return false;
      if (o + 1 + len > 64) {
        const texts = vals.slice(0, n).map((v) => v.text ?? Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.len).toString('latin1'));
        if (!this.fingerprints.compute(s, texts)) return false;
        this.fpLo = this.fingerprints.lo | 0;
        this.fpHi = this.fingerprints.hi | 0;
        return true;
      }
      buf[o++] = 0x1f;
      for (let k = 0; k < len; k++) buf[o++] = b[k];
    }
    blake3KeyedBlock(this.indexKeyWords, buf, o, 0, this.keyOut);
    this.fpLo = this.keyOut32[0];
    this.fpHi = this.keyOut32[1];
    return true;
  }

  /** Works out the row's record id and canary (rid, rcanary); counts matchedBy when asked. */
  private resolve(view: RowView, counting: boolean): void {
    this.hasRecord = false;
    this.rcanary = null;
    const kd = this.keyColumn;
    if (kd >= 0 && view.key(this, kd, this.keyTransform)) {
      this.hasRecord = true;
      this.rid = this.recordIdOut;
      const hi = this.hashHi;
      const b = hi & this.canaryFilterMask;
      const canary = (this.canaryFilter[b >>> 3] & (1 << (b & 7))) === 0 ? null : this.findCanaryByHash(hi, this.hashLo);
      if (canary !== null) this.rcanary = canary;
      else if (counting && this.tables === null) this.matchedBy.key++;
      return;
    }
    const tables = this.tables;
    if (tables === null) return;
    const sets = this.matchSets;
    const vals = this.matchValues;
    for (let s = 0; s < sets.length; s++) {
      const set = sets[s];
      if (!set.usable) continue;
      let ok = true;
      for (let i = 0; i < set.d.length; i++) {
        const v = view.matchValue(this, s, i, set.d[i]);
        if (v === null) {
          ok = false;
          break;
        }
        vals[i] = v;
      }
      if (!ok || !this.fingerprint(s, vals, set.d.length)) continue;
      const lo = this.fpLo;
      const hi = this.fpHi;
      const canary = this.findCanaryByFingerprint(s, lo, hi);
      if (canary !== null) {
        this.rcanary = canary;
        return;
      }
      const hit = tables[s].lookup(lo, hi);
      if (hit >= 0 && hit !== AMBIGUOUS) {
        this.hasRecord = true;
        this.rid = hit | 0;
        if (counting) this.matchedBy.match[s]++;
        return;
      }
    }
  }

  private findCanaryByHash(hi: number, lo: number): CanaryRef | null {
    const list = this.canaryByHash.get(hi);
    if (list === undefined) return null;
    // The last one wins, as in a Map keyed by the full hash.
    let found: CanaryRef | null = null;
    for (const e of list) if (e.lo === lo) found = e.ref;
    return found;
  }

  private findCanaryByFingerprint(s: number, lo: number, hi: number): CanaryRef | null {
    const list = this.canaryByFingerprint[s].get(lo);
    if (list === undefined) return null;
    let found: CanaryRef | null = null;
    for (const e of list) if (e.hi === hi) found = e.ref;
    return found;
  }

  /** Reads one data row into the evidence. */
  observe(view: RowView): void {
    this.resolve(view, true);
    let recordId = this.rid;
    const canary = this.rcanary;
    if (canary !== null) {
      const c = canary.group.canaries[canary.index];
      recordId = c.recordId | 0;
      const k = `${c.hashHi}:${c.hashLo}`;
      if (this.canariesFound.has(k) || this.canariesClaimed.has(k)) {
        this.rowsDuplicate++;
        return;
      }
      this.canariesFound.set(k, canary);
      this.rowsMatched++;
    } else {
      if (!this.hasRecord) return;
      const bit = (recordId & this.seenMask) >>> 0;
      const byte = bit >>> 3;
      const mask = 1 << (bit & 7);
      const seen = this.seen;
      if ((seen[byte] & mask) !== 0) {
        this.rowsDuplicate++;
        return;
      }
      seen[byte] |= mask;
      this.rowsMatched++;
      if (this.groupColumns !== null) {
        const gv = view.groupKey(this);
        if (gv === this.lastGroup) this.lastGroupCount++;
        else {
          this.flushGroup();
          this.lastGroup = gv;
          this.lastGroupCount = 1;
        }
      }
      if (!this.scored(recordId)) return;
    }
    this.recordsScored++;
    this.addMarks(view, recordId, this.positions, this.tally);
  }

  /** Feeds the row's marked cells' code positions, for record id `recordId`, to a tally. */
  private addMarks(view: RowView, recordId: number, positions: PositionTally | null, tally: EvidenceTally | null): void {
    const marked = this.marked;
    const xs = this.xs;
    const fast = this.fastCode;
    for (let k = 0; k < marked.length; k++) {
      if (marked[k].d < 0) continue;
      const t = view.marks(this, k);
      for (let o = 0; o < t.length; o += 3) {
        if (fast !== null) {
          const P = fast.loadBits(recordId, t[o]);
          positions!.observe(t[o + 2], t[o + 1], P, fast.bits);
        } else {
          const P = this.code.load(recordId, t[o]);
          this.code.symbols(P, xs);
          tally!.observe(t[o + 1] as 0 | 1, P, xs, t[o + 2]);
        }
      }
    }
  }

  /**
   * Whether a record's marks are read. The scored share: the top 16 bits of the id times a
   * Fibonacci constant, a spread of the keyed id that the de-duplication bitmap's low bits do
   * not decide.
   */
  scored(recordId: number): boolean {
    return this.scoreShare >= FULL_SHARE || Math.imul(recordId, 0x9e3779b1) >>> 16 < this.scoreShare;
  }

  /** The evidence so far (less what was taken back), as EvidenceTally JSON. */
  tallyJSON(): EvidenceTallyJSON {
    const back = this.takenBack;
    if (back === null) return this.positions !== null ? this.positions.toJSON() : this.tally!.toJSON();
    this.takenBack = null;
    if (back.positions !== null) return this.positions!.subtract(back.positions).toJSON();
    return this.tally!.subtract(back.tally!).toJSON();
  }

  /** The record id (u32) of the row last seen by `observe` (for the take-back log). */
  rowRecordId(): number {
    return this.rid >>> 0;
  }

  /** The canary of the row last seen by `observe`, or null (for the take-back log). */
  rowCanary(): string | null {
    return this.rcanary === null ? null : canaryKey(this.rcanary);
  }

  /** The group of the record row last counted by `observe`, or null without group columns. */
  rowGroup(): string | null {
    return this.lastGroup;
  }

  /**
   * In a take-back walk (take-back.ts): resolves the row and says whether it is the counted row
   * the log names, by its record id or, for a canary, its key. Rows between two counted rows
   * were not counted, so none of them can show the next one's record or canary: that row was the
   * first to show it.
   */
  isCountedRow(view: RowView, recordId: number, canary: string | null): boolean {
    this.resolve(view, false);
    if (canary !== null) return this.rcanary !== null && canaryKey(this.rcanary) === canary;
    return this.rcanary === null && this.hasRecord && this.rid >>> 0 === recordId;
  }

  /**
   * Takes back a counted record row whose marks were not read (outside the scored share), from
   * what the log kept of it: it becomes a duplicate and leaves its group's count.
   */
  takeBackUnscored(group: string | null): void {
    this.rowsMatched--;
    this.rowsDuplicate++;
    if (this.groupColumns !== null && group !== null) this.takeBackGroup(group);
  }

  /**
   * Takes back the counted row `isCountedRow` just recognised: it becomes a duplicate (an earlier
   * shard holds its record), and everything counting it added is taken out again, to the bit.
   */
  takeBack(view: RowView): void {
    this.rowsMatched--;
    this.rowsDuplicate++;
    let recordId = this.rid;
    const canary = this.rcanary;
    if (canary !== null) {
      recordId = canary.group.canaries[canary.index].recordId | 0;
      this.canariesFound.delete(canaryKey(canary));
    } else {
      if (this.groupColumns !== null) this.takeBackGroup(view.groupKey(this));
      if (!this.scored(recordId)) return;
    }
    this.recordsScored--;
    if (this.takenBack === null) {
      const names = this.tallyNames;
      const positions = this.positions !== null ? new PositionTally(this.recipients, names) : null;
      const tally = positions === null ? new EvidenceTally(this.recipients) : null;
      if (tally !== null) for (const name of names) tally.classIndex(name);
      this.takenBack = { positions, tally };
    }
    this.addMarks(view, recordId, this.takenBack.positions, this.takenBack.tally);
  }

  private takeBackGroup(group: string): void {
    this.flushGroup();
    const n = (this.groupSeen.get(group) ?? 0) - 1;
    if (n > 0) this.groupSeen.set(group, n);
    else this.groupSeen.delete(group);
  }

  /** Marks a row that comes before this core's shard: its record and canary count as seen. */
  claim(view: RowView): void {
    this.resolve(view, false);
    if (this.rcanary !== null) {
      this.canariesClaimed.add(canaryKey(this.rcanary));
      return;
    }
    if (!this.hasRecord) return;
    const bit = (this.rid & this.seenMask) >>> 0;
    this.seen[bit >>> 3] |= 1 << (bit & 7);
  }

  private flushGroup(): void {
    if (this.lastGroup !== null && this.lastGroupCount > 0) {
      this.groupSeen.set(this.lastGroup, (this.groupSeen.get(this.lastGroup) ?? 0) + this.lastGroupCount);
    }
    this.lastGroup = null;
    this.lastGroupCount = 0;
  }

  /** Rows matched per group (section), for canary coverage. */
  groups(): Map<string, number> {
    this.flushGroup();
    return this.groupSeen;
  }
}

/**
 * Whether a marked column's positions cannot depend on the digits of its cells: no spelling of
 * its robust families holds an ASCII digit. Then a cell's words match the same spellings whatever
 * its digit runs say (a word with a digit matches none), its word gaps and its Ñ are where they
 * were, so cells that differ only in digit runs have the same positions and symbols.
 */
export function digitFreeMarks(source: SchemaFile, column: string): boolean {
  const mark = source.marks?.find((m) => m.column === column);
  if (mark === undefined) return false;
  for (const name of mark.families) {
    if ((BUILTIN_FRAGILE_FAMILIES as readonly string[]).includes(name)) continue;
    const groups = source.families?.[name] ?? (BUILTIN_ROBUST_FAMILIES[name] !== undefined ? parseFamilyText(name, BUILTIN_ROBUST_FAMILIES[name]).groups : null);
    if (groups === null) return false;
    for (const g of groups) {
      for (const spelling of g) {
        if (/[0-9]/.test(spelling)) return false;
        if (spelling.split(/\s+/).some((w) => /[0-9]/.test(canonicalWord(w)))) return false;
      }
    }
  }
  return true;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}
