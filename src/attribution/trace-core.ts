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
 * to the tally.
 *
 * The fast view memoizes the pure functions of a cell (its marks, its match value) by the cell's
 * raw bytes: the key is the exact input of the function (bytes, quoting, decoding), so a hit gives
 * what computing would, and the result never depends on the memo.
 *
 * Hot-path forms of shared code, each tested equal to it: ids and hashes are kept as int32 (the
 * same bits; a u32 above 2^31 would be a boxed number), the key's BLAKE3 is taken from its bytes
 * when they are canonical, a position's bias and symbols come from FastCode (trace-code.ts) and
 * go to a PositionTally, which writes the EvidenceTally that feeding positions one by one would.
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
import { fieldString, type ScannedRecord } from '../csv/scanner.js';
import { EvidenceTally, type EvidenceTallyJSON } from './evidence.js';
import { FastCode } from './trace-code.js';
import { BIAS_SCALE, BIN_COUNT, DEFAULT_STATISTICS, statisticName, termTable, type Statistic } from './scores.js';
import { compileTransform, type ColumnMapping } from './columns.js';

export const CANARY_CLASS = 'canary';

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

type Transform = ((v: string) => string) | undefined;

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

const NO_MARKS = new Int32Array(0);
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
 * (exact de-duplication across shards: see trace-shard.ts).
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
  /** classTable index -> tally class index ('' is 0, then the classes, then 'canary'). */
  readonly tallyClass: Int32Array;
  rowsMatched = 0;
  rowsDuplicate = 0;
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

  constructor(setup: ReleaseSetup) {
    this.setup = setup;
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
    }
    const marked = this.marked;
    const xs = this.xs;
    const positions = this.positions;
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
          this.tally!.observe(t[o + 1] as 0 | 1, P, xs, t[o + 2]);
        }
      }
    }
  }

  /** The evidence so far, as EvidenceTally JSON. */
  tallyJSON(): EvidenceTallyJSON {
    return this.positions !== null ? this.positions.toJSON() : this.tally!.toJSON();
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

// ---- the two row views ----------------------------------------------------------------------

/** The general reader's rows: decoded, padded string arrays (dump.ts). */
export class StringRowView implements RowView {
  fields: string[] = [];

  private cell(d: number, tf: Transform): string | null {
    const f = this.fields;
    if (d >= f.length) return null;
    return tf === undefined ? f[d] : tf(f[d]);
  }

  key(core: ReleaseCore, d: number, tf: Transform): boolean {
    const cell = this.cell(d, tf);
    return cell !== null && core.hashKeyText(cell);
  }

  matchValue(core: ReleaseCore, s: number, i: number, d: number): MatchValue | null {
    const cell = this.cell(d, core.matchSets[s].tf[i]);
    return cell === null ? null : core.computeMatchValue(s, i, cell);
  }

  groupKey(core: ReleaseCore): string {
    const cols = core.groupColumns!;
    let out = '';
    for (let g = 0; g < cols.length; g++) {
      if (g > 0) out += '|';
      out += this.cell(cols[g], core.groupTransforms[g]) ?? '';
    }
    return out;
  }

  marks(core: ReleaseCore, k: number): Int32Array {
    const m = core.marked[k];
    const cell = this.cell(m.d, m.tf);
    return cell === null ? NO_MARKS : core.computeMarks(k, cell);
  }
}

/**
 * The byte scanner's records (scanner.ts), padded as dump.ts pads: a row has max(fields, width)
 * cells, the missing ones empty. Fields are decoded (UTF-8 or Latin-1, as the row's bytes say)
 * only on a memo miss.
 */
export class RecordRowView implements RowView {
  r!: ScannedRecord;
  /** 'utf8' or 'latin1': how this row's non-ASCII bytes read. */
  encoding: 'utf8' | 'latin1' = 'utf8';
  /** Cells this row has (max of its field count and the dump's usual width). */
  width = 0;

  text(d: number, tf: Transform): string {
    const v = d < this.r.fieldCount ? fieldString(this.r, d, this.encoding) : '';
    return tf === undefined ? v : tf(v);
  }

  key(core: ReleaseCore, d: number, tf: Transform): boolean {
    if (d >= this.width) return false;
    const r = this.r;
    if (tf === undefined && d < r.fieldCount && r.quoted[d] === 0 && core.hashKeyBytes(r.buf, r.fieldStart[d], r.fieldEnd[d])) return true;
    return core.hashKeyText(this.text(d, tf));
  }

  matchValue(core: ReleaseCore, s: number, i: number, d: number): MatchValue | null {
    if (d >= this.width) return null;
    const r = this.r;
    // A cell of 1..64 bytes of A-Z 0-9 (a date, a CURP) is its own match value when the item has
    // no family and no transform: one word, already canonical. No memo, no text.
    const direct = core.matchDirect[s][i];
    if (direct !== null && d < r.fieldCount && r.quoted[d] === 0) {
      const fs = r.fieldStart[d];
      const n = r.fieldEnd[d] - fs;
      if (n >= 1 && n <= 64) {
        const buf = r.buf;
        const out = direct.bytes;
        let k = 0;
        for (; k < n; k++) {
          const b = buf[fs + k];
          if (!((b >= 48 && b <= 57) || (b >= 65 && b <= 90))) break;
          out[k] = b;
        }
        if (k === n) {
          direct.len = n;
          direct.text = null;
          return direct;
        }
      }
    }
    const memo = core.matchMemo[s][i];
    const inRow = d < r.fieldCount;
    const hit = inRow ? memo.get(r.buf, r.fieldStart[d], r.fieldEnd[d], this.encoding) : memo.get(r.buf, 0, 0, 'utf8');
    if (hit !== undefined) return hit;
    const v = core.computeMatchValue(s, i, this.text(d, core.matchSets[s].tf[i]));
    memo.set(v);
    return v;
  }

  groupKey(core: ReleaseCore): string {
    const cols = core.groupColumns!;
    const r = this.r;
    // The raw bytes of the group cells (with a separator and the row's decoding) key the last
    // group's text: consecutive rows of one section compare bytes and make no string.
    let need = 1;
    for (let g = 0; g < cols.length; g++) {
      const d = cols[g];
      need += 1 + (d < r.fieldCount ? r.fieldEnd[d] - r.fieldStart[d] : 0);
    }
    if (need > core.groupBytes.length) {
      core.groupBytes = new Uint8Array(Math.max(need, 2 * core.groupBytes.length));
      core.groupBytesLen = -1;
    }
    const gb = core.groupBytes;
    let same = true;
    let o = 0;
    const tag = this.encoding === 'utf8' ? 0 : 1;
    if (core.groupBytesLen < 0 || gb[o] !== tag) same = false;
    gb[o++] = tag;
    for (let g = 0; g < cols.length; g++) {
      const d = cols[g];
      if (d < r.fieldCount) {
        const s = r.fieldStart[d];
        const e = r.fieldEnd[d];
        const buf = r.buf;
        for (let p = s; p < e; p++, o++) {
          if (same && gb[o] !== buf[p]) same = false;
          gb[o] = buf[p];
        }
      }
      if (same && gb[o] !== 0x1f) same = false; // unit separator: an unlikely CSV byte
      gb[o++] = 0x1f;
    }
    if (same && o === core.groupBytesLen) return core.groupBytesKey;
    core.groupBytesLen = o;
    let out = '';
    for (let g = 0; g < cols.length; g++) {
      if (g > 0) out += '|';
      out += cols[g] < this.width ? this.text(cols[g], core.groupTransforms[g]) : '';
    }
    core.groupBytesKey = out;
    return out;
  }

  marks(core: ReleaseCore, k: number): Int32Array {
    const m = core.marked[k];
    const d = m.d;
    if (d >= this.width) return NO_MARKS;
    const r = this.r;
    if (m.asciiHasNone) {
      if (d >= r.fieldCount) return NO_MARKS;
      const buf = r.buf;
      const e = r.fieldEnd[d];
      let high = 0;
      for (let p = r.fieldStart[d]; p < e; p++) high |= buf[p];
      if ((high & 0x80) === 0) return NO_MARKS;
    }
    const memo = core.marksMemo[k];
    const hit = d < r.fieldCount ? memo.get(r.buf, r.fieldStart[d], r.fieldEnd[d], this.encoding) : memo.get(r.buf, 0, 0, 'utf8');
    if (hit !== undefined) return hit;
    const v = core.computeMarks(k, this.text(d, m.tf));
    memo.set(v);
    return v;
  }
}

// ---- the byte memo --------------------------------------------------------------------------

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
 * `digitFreeMarks`).
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

// ---- the position tally ---------------------------------------------------------------------

/**
 * An EvidenceTally fed in batches, for the hot path. EvidenceTally.observe looks up three 2 MiB
 * term tables and a histogram at a random bin for every position: four cache misses. Here
 * positions wait in a log (class and bin, and the recipients' symbols as bits), which is sorted by
 * class and bin (LSD radix) before it is added up, so the tables and histograms are swept in
 * order. The sums are the same: every term is a multiple of 2^-20 (scores.ts), so sums and the
 * products count * term are exact in Float64 whatever the order, and `toBytes` is byte for byte
 * what an EvidenceTally fed the same positions would write.
 */
export class PositionTally {
  readonly recipients: number;
  readonly names: string[];
  private readonly statistics: readonly Statistic[];
  private readonly tables: Float64Array[];
  private readonly hists: BinHistogram[];
  /** Per class: sums[s * R + j], recipient j's value of statistic s. */
  private readonly sums: Float64Array[];
  private keys = new Uint32Array(LOG_SIZE);
  private bits = new Int32Array(LOG_SIZE);
  private keysTmp = new Uint32Array(LOG_SIZE);
  private bitsTmp = new Int32Array(LOG_SIZE);
  private logged = 0;
  private readonly keyPasses: number;
  private readonly count = new Uint32Array(1 << RADIX_BITS);

  /** Classes in EvidenceTally order: index 0 is the default class ''. Up to 30 recipients. */
  constructor(recipients: number, names: string[], statistics: readonly Statistic[] = DEFAULT_STATISTICS) {
    if (!(Number.isInteger(recipients) && recipients >= 0 && recipients <= 30)) throw new RangeError('PositionTally holds up to 30 recipients');
    this.recipients = recipients;
    this.names = names;
    this.statistics = statistics;
    this.tables = statistics.map(termTable);
    this.hists = names.map(() => new BinHistogram());
    this.sums = names.map(() => new Float64Array(statistics.length * recipients));
    this.keyPasses = Math.ceil((17 + Math.ceil(Math.log2(Math.max(2, names.length)))) / RADIX_BITS);
  }

  /**
   * One observed position: class, symbol y, bias P in [1, 65535], and the recipients' symbols as
   * bits (recipient j's symbol is bit j).
   */
  observe(cls: number, y: number, P: number, bits: number): void {
    const i = this.logged;
    this.keys[i] = (cls << 17) | (y << 16) | P;
    this.bits[i] = bits;
    if (++this.logged === LOG_SIZE) this.flush();
  }

  /**
   * Sorts the log by class and bin and adds it up. (Small helpers do the loops: a long loop in a
   * function that runs once in a while is compiled before it has seen its types, and falls back.)
   */
  private flush(): void {
    const n = this.logged;
    if (n === 0) return;
    for (let pass = 0; pass < this.keyPasses; pass++) {
      radixPass(this.keys, this.bits, this.keysTmp, this.bitsTmp, n, pass * RADIX_BITS, this.count);
      const k = this.keys;
      this.keys = this.keysTmp;
      this.keysTmp = k;
      const b = this.bits;
      this.bits = this.bitsTmp;
      this.bitsTmp = b;
    }
    const keys = this.keys;
    let i = 0;
    while (i < n) {
      const key = keys[i];
      let j = i + 1;
      while (j < n && keys[j] === key) j++;
      this.addRun(key, i, j);
      i = j;
    }
    this.logged = 0;
  }

  /** Adds log entries [i, j), all of one class and bin. */
  private addRun(key: number, i: number, j: number): void {
    const cls = key >>> 17;
    const bin = key & 0x1ffff;
    const runs = j - i;
    const R = this.recipients;
    const bits = this.bits;
    const tables = this.tables;
    this.hists[cls].add(bin, runs);
    const sums = this.sums[cls];
    for (let s = 0; s < tables.length; s++) {
      const t = tables[s];
      const v0 = t[bin << 1];
      const v1 = t[(bin << 1) | 1];
      const base = s * R;
      if (runs === 1) {
        // v0 + x * (v1 - v0) is exactly v0 or v1 (multiples of 2^-20), with no branch to miss.
        const b = bits[i];
        const d = v1 - v0;
        for (let r = 0; r < R; r++) sums[base + r] += v0 + ((b >>> r) & 1) * d;
      } else {
        for (let r = 0; r < R; r++) {
          let ones = 0;
          for (let m = i; m < j; m++) ones += (bits[m] >>> r) & 1;
          sums[base + r] += ones * v1 + (runs - ones) * v0;
        }
      }
    }
  }

  /** The EvidenceTally binary form (evidence.ts `toBytes`) of what was observed. */
  toBytes(): Uint8Array {
    this.flush();
    const R = this.recipients;
    const S = this.statistics.length;
    const enc = new TextEncoder();
    const statNames = this.statistics.map((s) => enc.encode(statisticName(s)));
    const parts = this.hists.map((h, i) => ({ name: enc.encode(this.names[i]), sums: this.sums[i], ...h.sorted() }));
    let size = 20;
    for (const n of statNames) size += 2 + n.length;
    for (const p of parts) size += 2 + p.name.length + 20 + p.bins.length * 12 + S * R * 8;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    out.set([0x52, 0x4d, 0x45, 0x56], 0); // 'RMEV'
    dv.setUint32(4, 1, true);
    dv.setUint32(8, R, true);
    dv.setUint32(12, S, true);
    dv.setUint32(16, parts.length, true);
    let o = 20;
    const putName = (b: Uint8Array): void => {
      dv.setUint16(o, b.length, true);
      out.set(b, o + 2);
      o += 2 + b.length;
    };
    for (const n of statNames) putName(n);
    for (const p of parts) {
      putName(p.name);
      let observations = 0;
      let ones = 0;
      for (let i = 0; i < p.bins.length; i++) {
        observations += p.counts[i];
        if (p.bins[i] >= BIAS_SCALE) ones += p.counts[i];
      }
      dv.setFloat64(o, observations, true);
      dv.setFloat64(o + 8, ones, true);
      dv.setUint32(o + 16, p.bins.length, true);
      o += 20;
      o = putArray(out, dv, o, p.bins);
      o = putArray(out, dv, o, p.counts);
      o = putArray(out, dv, o, p.sums);
    }
    return out;
  }

  /** The tally as EvidenceTally JSON (its binary form in base64). */
  toJSON(): EvidenceTallyJSON {
    return { format: 'rollmark-evidence', version: 1, data: Buffer.from(this.toBytes()).toString('base64') };
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes a typed array little-endian at o (a byte copy where the platform is little-endian). */
function putArray(out: Uint8Array, dv: DataView, o: number, a: Int32Array | Float64Array): number {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    return o + a.byteLength;
  }
  if (a instanceof Int32Array) for (let i = 0; i < a.length; i++, o += 4) dv.setUint32(o, a[i], true);
  else for (let i = 0; i < a.length; i++, o += 8) dv.setFloat64(o, a[i], true);
  return o;
}

/** One LSD radix pass: (keys, bits) -> (k2, b2), stably by the key digit at `shift`. */
function radixPass(keys: Uint32Array, bits: Int32Array, k2: Uint32Array, b2: Int32Array, n: number, shift: number, count: Uint32Array): void {
  count.fill(0);
  for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & RADIX_MASK]++;
  let sum = 0;
  for (let d = 0; d < count.length; d++) {
    const c = count[d];
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const at = count[(key >>> shift) & RADIX_MASK]++;
    k2[at] = key;
    b2[at] = bits[i];
  }
}

/** Positions logged before they are sorted and added up (2 MiB of log and as much scratch). */
const LOG_SIZE = 1 << 18;
const RADIX_BITS = 12;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/**
 * Counts per histogram bin, dense: 512 KiB of address space a class, of which only the pages of
 * the bins used are ever touched.
 */
class BinHistogram {
  private counts: Uint32Array | null = null;
  /** Bins holding a count. */
  used = 0;

  add(bin: number, n: number): void {
    let c = this.counts;
    if (c === null) c = this.counts = new Uint32Array(BIN_COUNT);
    if (c[bin] === 0) this.used++;
    c[bin] += n;
  }

  /** The nonzero bins in order, with their counts. */
  sorted(): { bins: Int32Array; counts: Float64Array } {
    const bins = new Int32Array(this.used);
    const counts = new Float64Array(this.used);
    const c = this.counts;
    if (c !== null) {
      let k = 0;
      for (let b = 0; b < BIN_COUNT && k < bins.length; b++) {
        const v = c[b];
        if (v !== 0) {
          bins[k] = b;
          counts[k++] = v;
        }
      }
    }
    return { bins, counts };
  }
}
