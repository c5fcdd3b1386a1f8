/**
 * Trace by shards: read a byte range of a dump with the byte scanner into a mergeable state, and
 * merge the states of every range into the report. The worker pool of `traceDump` runs on this,
 * and so can any engine that runs jobs (Spark, Ray, a job array):
 *
 *   const ranges = await planShards(dump, 64, { delimiter });          // csv/shards.ts
 *   const states = await Promise.all(ranges.map((range) => traceShard({ vault, dump, range })));
 *   const report = await mergeShards({ vault, dump, states });
 *
 * De-duplication across shards. Each record counts once, and which of its rows counts must not
 * depend on how the dump was cut or on thread timing, or the report would change from run to run:
 * two rows of one record (or of two records whose ids share a bit of the de-duplication bitmap)
 * may show different cells. The rule is the single reader's: the FIRST row in file order wins.
 * A shard learns which records the bytes before it hold by a claim pass over them (record ids
 * only: no marks, no evidence), or from `claimShard` states of the earlier shards merged with
 * `mergeClaims`; its rows of those records then count as duplicates. A state records the bytes it
 * was de-duplicated against, and `mergeShards` refuses a set of states that does not tile the dump
 * with every shard de-duplicated against all the bytes before it: counting a position twice would
 * break the independence the false-accusation bound rests on.
 *
 * The fast reader agrees with dump.ts's general reader on every row of a well-formed dump and on
 * the usual damage (stray quotes, short or long rows, bytes that are not UTF-8, blank lines, a
 * truncated gzip). It differs on quoting that RFC 4180 does not allow: text after a closing quote
 * (`"AB"C`) rejects the record here and is kept by the general reader; a quoted field may span any
 * number of lines here (up to 1 MiB a record), 16 there.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { isAscii, isUtf8 } from 'node:buffer';
import { RollmarkError, ioError } from '../errors.js';
import { CsvScanner, DEFAULT_MAX_RECORD_BYTES, delimiterByte, type ScannedRecord } from '../csv/scanner.js';
import { findCut, type ByteRange } from '../csv/shards.js';
import { CodeBook } from '../code/codebook.js';
import { MatchTable, decodeMatchTable } from '../code/match-index.js';
import { loadRelease, releaseKeys, type CanaryGroup } from '../code/release.js';
import { profilesFromJSON } from '../schema/profile.js';
import { readLedger, type LedgerEntry } from '../vault/ledger.js';
import { openVault, type Vault } from '../vault/vault.js';
import { signDocument } from '../vault/documents.js';
import { canonicalJson } from '../keys/sign.js';
import { EvidenceTally, type EvidenceTallyJSON } from './evidence.js';
import { attributionBound, singleLeakerPower } from './chernoff.js';
import { openDump, type DumpFormat, type DumpSource } from './dump.js';
import { mapColumns, matchIndexProbe } from './columns.js';
import { CANARY_CLASS, ReleaseCore, RecordRowView, canaryKey, type CanaryRef, type ReleaseSetup } from './trace-core.js';
import type { ReleaseEvidence, Suspect, TraceReport } from './report.js';
import { classTable } from '../code/marks.js';
import { resolveSchema } from '../schema/schema.js';

export const DEFAULT_BOUND = 1e-9;
/** A section counts as covered, so its absent canaries count as absent, from this share of rows. */
export const COVERAGE = 0.9;
/** A field class is dropped as normalised away when it has this many observations, all alike. */
export const COLLAPSE_MIN_OBSERVATIONS = 8;

// ---- the plan: what every shard of one trace must agree on -----------------------------------

/** How the fast reader reads the dump's rows (from dump.ts's sniffing). */
export interface Dialect {
  delimiter: string;
  /** The usual number of fields a row; rows outside [0.5, 1.5] times it are rejected. */
  columns: number;
  hasHeader: boolean;
  /**
   * What a row that is not valid UTF-8 is: 'latin1' text; rejected ('utf8'); or, while nothing
   * has settled the encoding ('sniffing'), the first non-ASCII row decides for the rest.
   */
  decoding: 'utf8' | 'latin1' | 'sniffing';
}

/** Everything a shard job needs (plain data; the match index in SharedArrayBuffers). */
export interface ShardPlan {
  file: string;
  size: number;
  gzip: boolean;
  dialect: Dialect;
  releases: ReleaseSetup[];
  /** Digest of the plan's format and column mappings: shards of one trace carry the same. */
  digest: string;
}

export interface PreparedTrace {
  vault: Vault;
  dump: DumpSource;
  entries: LedgerEntry[];
  plan: ShardPlan;
}

/**
 * Opens the vault, the ledger and the dump and works out, per release, the column mapping and
 * what the row core needs. Throws RELEASE_UNKNOWN, VAULT_CORRUPT, DUMP_NOT_TABULAR, ...
 */
export async function prepareTrace(opts: { vault: Vault | string; dump: string; release?: string }): Promise<PreparedTrace> {
  const vault = typeof opts.vault === 'string' ? await openVault(opts.vault) : opts.vault;
  const ledger = await readLedger(vault.ledgerPath, vault.publicKey);
  const entries = ledger.filter((e) => e.type === 'release' && (opts.release === undefined || e.data.release === opts.release));
  if (entries.length === 0) {
    throw new RollmarkError(
      'RELEASE_UNKNOWN',
      opts.release === undefined ? 'the ledger holds no release to trace against' : `release '${opts.release}' is not in the ledger`,
      { file: vault.ledgerPath },
    );
  }
  const dump = await openDump(opts.dump);
  let size: number;
  try {
    size = (await fsp.stat(opts.dump)).size;
  } catch (err) {
    throw ioError(err, opts.dump);
  }
  const releases: ReleaseSetup[] = [];
  for (const entry of entries) releases.push(await releaseSetup(vault, entry, dump));
  const f = dump.format;
  const sniffed = dump as DumpSource & { settled?: unknown };
  const decoding: Dialect['decoding'] = f.encoding === 'latin1' ? 'latin1' : sniffed.settled === true ? 'utf8' : 'sniffing';
  const dialect: Dialect = { delimiter: f.delimiter, columns: f.columns, hasHeader: f.hasHeader, decoding };
  const digest = planDigest(f, releases);
  return { vault, dump, entries, plan: { file: opts.dump, size, gzip: f.gzip, dialect, releases, digest } };
}

function planDigest(f: DumpFormat, releases: ReleaseSetup[]): string {
  const body = {
    format: { gzip: f.gzip, delimiter: f.delimiter, hasHeader: f.hasHeader, columns: f.columns },
    releases: releases.map((r) => ({
      release: r.manifest.release,
      manifest: r.manifestSha256,
      columns: r.mapping.columns.map((c) => [c.dump, c.registry, c.transform ?? null]),
    })),
  };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

async function releaseSetup(vault: Vault, entry: LedgerEntry, dump: DumpSource): Promise<ReleaseSetup> {
  const id = String(entry.data.release);
  const dir = vault.releaseDir(id);
  const release = await loadRelease(dir);
  if (release.manifestSha256 !== entry.data.manifest) {
    throw new RollmarkError('VAULT_CORRUPT', `release '${id}' data does not match its signed ledger entry`, { file: dir });
  }
  const m = release.manifest;
  const profiles = profilesFromJSON(JSON.stringify(m.profiles));
  const keys = releaseKeys(vault.master, id);
  let mapping = mapColumns(dump.sample, dump.format.header, profiles, m.header);
  const schema = resolveSchema(m.schema, m.header);
  const keyMapped = mapping.columns.some((c) => c.registry !== null && m.header.indexOf(c.registry) === schema.key);
  const index = keyMapped ? null : await loadSharedIndex(dir, m.index.files);
  if (index !== null) {
    // Without the key, readings of the match columns that content cannot tell apart (APE_PAT and
    // APE_MAT) are settled by which one finds the release's records: the dump and the release
    // decide, never a recipient's code, so the bound holds whatever is chosen.
    mapping = mapColumns(dump.sample, dump.format.header, profiles, m.header, { matchIndex: matchIndexProbe(dump.sample, schema, keys.index, index) });
  }
  return {
    manifest: m,
    manifestSha256: release.manifestSha256,
    keys,
    canaries: release.canaries,
    mapping,
    index,
  };
}

/** Loads a release's match index into SharedArrayBuffers, so worker threads share one copy. */
async function loadSharedIndex(dir: string, files: string[]): Promise<MatchTable[]> {
  const tables: MatchTable[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let buf: Buffer;
    try {
      const fh = await fsp.open(file, 'r');
      try {
        const size = (await fh.stat()).size;
        buf = Buffer.from(new SharedArrayBuffer(size));
        let off = 0;
        while (off < size) {
          const { bytesRead } = await fh.read(buf, off, size - off, off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        buf = buf.subarray(0, off);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw ioError(err, file);
    }
    try {
      tables.push(decodeMatchTable(buf));
    } catch (err) {
      throw new RollmarkError('VAULT_CORRUPT', (err as Error).message, { file });
    }
  }
  return tables;
}

/**
 * A plan that crossed a thread boundary (structured clone): the match tables come back as plain
 * objects over the same SharedArrayBuffers and get their class again.
 */
export function rehydratePlan(plan: ShardPlan): ShardPlan {
  return {
    ...plan,
    releases: plan.releases.map((r) => ({
      ...r,
      index: r.index === null ? null : r.index.map((t) => new MatchTable(t.capacity, t.tags, t.ids)),
    })),
  };
}

// ---- the state of one shard -----------------------------------------------------------------

export interface ShardRelease {
  release: string;
  rowsMatched: number;
  rowsDuplicate: number;
  matchedBy: { key: number; match: number[] };
  /** Canaries counted in this shard (`hashHi:hashLo`), in the order first seen. */
  canariesFound: string[];
  /** Rows matched per group (section). */
  groups: [string, number][];
  /** The evidence (EvidenceTally.toJSON). */
  tally: EvidenceTallyJSON;
}

/** A shard's evidence: JSON-serializable, merged by addition (`mergeShards`). */
export interface ShardState {
  format: 'rollmark-trace-shard';
  version: 1;
  /** The plan digest: every shard of one trace must carry the same. */
  plan: string;
  dump: {
    file: string;
    size: number;
    /** The bytes read: [start, end). */
    start: number;
    end: number;
    /** Rows of records seen in bytes [0, dedupedAgainst) counted as duplicates here. */
    dedupedAgainst: number;
  };
  rows: number;
  rowsRejected: number;
  /** The first rejected rows (a byte offset, and the line when known). */
  rejectedExamples: { offset: number; line?: number; reason: string }[];
  /** The decoding the dump's rows ended with (a Latin-1 row can settle a dump as Latin-1). */
  encoding: 'utf8' | 'latin1';
  releases: ShardRelease[];
}

/** Which records (and canaries) a range of the dump holds: for exact cross-shard de-duplication. */
export interface ShardClaims {
  format: 'rollmark-trace-claims';
  version: 1;
  plan: string;
  dump: { file: string; size: number; start: number; end: number };
  /** Per release: the de-duplication bitmap (base64) and the canaries found. */
  releases: { release: string; seen: string; canaries: string[] }[];
}

// ---- reading rows with the byte scanner -----------------------------------------------------

export interface ReadCounters {
  rows: number;
  rowsRejected: number;
  rejectedExamples: { offset: number; line?: number; reason: string }[];
}

/**
 * Turns scanned records into rows for the cores as dump.ts would: per-row decoding (UTF-8, or
 * Latin-1 for rows that are not UTF-8 when the dump allows it), blank lines skipped, the header
 * skipped, rows with too few or too many fields rejected, short rows padded.
 */
class RowFeeder {
  readonly view = new RecordRowView();
  decoding: Dialect['decoding'];
  private headerPending: boolean;
  private chunkBuf: Uint8Array | null = null;
  private chunkValidEnd = 0;
  private readonly minFields: number;
  private readonly maxFields: number;
  private readonly lineKnown: boolean;
  private sinceProgress = 0;
  /** Bytes of the file read so far for this feeder's rows (compressed bytes for gzip), for progress. */
  bytes = 0;

  constructor(
    private readonly dialect: Dialect,
    private readonly cores: ReleaseCore[],
    private readonly claiming: boolean,
    private readonly counters: ReadCounters,
    startsFile: boolean,
    private readonly onProgress?: (rows: number, bytes?: number) => void,
  ) {
    this.decoding = dialect.decoding;
    this.headerPending = startsFile && dialect.hasHeader;
    this.minFields = dialect.columns * 0.5;
    this.maxFields = dialect.columns * 1.5;
    this.lineKnown = startsFile;
  }

  /** Called before each chunk is scanned: rows wholly inside its valid UTF-8 part need no check. */
  chunk(buf: Buffer): void {
    this.chunkBuf = buf;
    this.chunkValidEnd = 0;
    if (this.decoding === 'sniffing') return;
    const last = buf.lastIndexOf(10);
    if (last < 0) return;
    const head = buf.subarray(0, last + 1);
    if (isAscii(head) || isUtf8(head)) this.chunkValidEnd = last + 1;
  }

  private reject(r: { offset: number; line?: number }, reason: string): void {
    if (this.claiming) return;
    this.counters.rowsRejected++;
    if (this.counters.rejectedExamples.length < 10) {
      this.counters.rejectedExamples.push(this.lineKnown && r.line !== undefined ? { offset: r.offset, line: r.line, reason } : { offset: r.offset, reason });
    }
  }

  readonly malformed = (err: RollmarkError): void => {
    if (this.claiming) return;
    this.counters.rowsRejected++;
    if (this.counters.rejectedExamples.length < 10) {
      this.counters.rejectedExamples.push({ offset: -1, ...(this.lineKnown && err.line !== undefined ? { line: err.line } : {}), reason: err.message });
    }
  };

  /** The decoding of a row the chunk check did not cover; null when the row is rejected. */
  private rowEncoding(r: ScannedRecord): 'utf8' | 'latin1' | null {
    const buf = r.buf;
    let high = false;
    for (let p = r.start; p < r.end; p++) {
      if (buf[p] >= 0x80) {
        high = true;
        break;
      }
    }
    if (!high) return 'utf8';
    if (isUtf8(buf.subarray(r.start, r.end))) {
      if (this.decoding === 'sniffing') this.decoding = 'utf8';
      return 'utf8';
    }
    if (this.decoding === 'latin1') return 'latin1';
    if (this.decoding === 'sniffing') {
      this.decoding = 'latin1';
      return 'latin1';
    }
    return null;
  }

  readonly record = (r: ScannedRecord): void => {
    const encoding = r.buf === this.chunkBuf && r.end <= this.chunkValidEnd ? 'utf8' : this.rowEncoding(r);
    if (encoding === null) {
      this.reject(r, 'not valid UTF-8');
      return;
    }
    if (isBlank(r, encoding)) return;
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    const n = r.fieldCount;
    if (n < this.minFields || n > this.maxFields) {
      this.reject(r, `${n} fields where rows have ${this.dialect.columns}`);
      return;
    }
    const view = this.view;
    view.r = r;
    view.encoding = encoding;
    view.width = n > this.dialect.columns ? n : this.dialect.columns;
    const cores = this.cores;
    if (this.claiming) {
      for (let i = 0; i < cores.length; i++) cores[i].claim(view);
      return;
    }
    this.counters.rows++;
    for (let i = 0; i < cores.length; i++) cores[i].observe(view);
    if (this.onProgress !== undefined && ++this.sinceProgress === 1 << 16) {
      this.sinceProgress = 0;
      this.onProgress(this.counters.rows, this.bytes);
    }
  };
}

const NOT_SPACE = /\S/;

/** A line of whitespace only, which dump.ts skips as no row at all. */
function isBlank(r: ScannedRecord, encoding: 'utf8' | 'latin1'): boolean {
  const buf = r.buf;
  for (let p = r.start; p < r.end; p++) {
    const b = buf[p];
    if (b === 32 || (b >= 9 && b <= 13)) continue;
    if (b < 0x80) return false;
    return !NOT_SPACE.test(buf.toString(encoding, r.start, r.end));
  }
  return true;
}

const CHUNK = 1 << 20;

/** Reads bytes [start, end) of a file in 1 MiB chunks, the next read in flight while one is used. */
async function readRange(file: string, start: number, end: number, onChunk: (buf: Buffer) => void): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let pos = start;
    let i = 0;
    let pending = pos < end ? fh.read(bufs[0], 0, Math.min(CHUNK, end - pos), pos) : null;
    while (pending !== null) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const cur = bufs[i];
      pos += bytesRead;
      i ^= 1;
      pending = pos < end ? fh.read(bufs[i], 0, Math.min(CHUNK, end - pos), pos) : null;
      onChunk(cur.subarray(0, bytesRead));
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh.close();
  }
}

const zlibFailure = (err: unknown): string | null => {
  const code = (err as { code?: string })?.code;
  if (code === 'Z_BUF_ERROR') return 'gzip stream ends early (truncated file): last line cut off';
  if (code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') return 'gzip data corrupt: the rest of the file is unreadable';
  return null;
};

/** Scans bytes [start, end) of an uncompressed dump into the feeder. */
async function scanRange(plan: ShardPlan, feeder: RowFeeder, start: number, end: number, hash: Hash | null): Promise<void> {
  const scanner = new CsvScanner({
    delimiter: delimiterByte(plan.dialect.delimiter),
    file: plan.file,
    startOffset: start,
    onMalformed: feeder.malformed,
  });
  await readRange(plan.file, start, end, (buf) => {
    hash?.update(buf);
    feeder.bytes += buf.length;
    feeder.chunk(buf);
    scanner.push(buf, feeder.record);
  });
  scanner.end(feeder.record);
}

/** Scans a gzip dump (the whole of it) into the feeder. */
async function scanGzip(plan: ShardPlan, feeder: RowFeeder, counters: ReadCounters): Promise<void> {
  const scanner = new CsvScanner({ delimiter: delimiterByte(plan.dialect.delimiter), file: plan.file, onMalformed: feeder.malformed });
  const raw = createReadStream(plan.file, { highWaterMark: CHUNK });
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (err) => gz.destroy(err));
  raw.pipe(gz);
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      feeder.bytes = raw.bytesRead;
      feeder.chunk(chunk);
      scanner.push(chunk, feeder.record);
    }
  } catch (err) {
    if (zlibFailure(err) === null) throw ioError(err, plan.file);
    // As dump.ts: the cut-off last line is one rejected row, and nothing after it can be read.
    counters.rowsRejected++;
    if (counters.rejectedExamples.length < 10) counters.rejectedExamples.push({ offset: -1, reason: zlibFailure(err)! });
    return;
  } finally {
    raw.destroy();
    gz.destroy();
  }
  scanner.end(feeder.record);
}

// ---- one shard job --------------------------------------------------------------------------

/** One job of a trace: read `range`, after claiming `claim` (the bytes before it, or part). */
export interface ShardJob {
  range: ByteRange;
  /** Bytes whose records count as seen before `range` (a claim pass); null for none. */
  claim: ByteRange | null;
  /** Hash (SHA-256) every byte read, claim pass first: the whole file's hash when they cover it. */
  hash: boolean;
}

export interface ShardResult {
  state: ShardState;
  /** SHA-256 of the bytes read (claim range, then range), when the job asked for it. */
  sha256: string | null;
}

/** Cores for a plan's releases. */
export function makeCores(plan: ShardPlan): ReleaseCore[] {
  return plan.releases.map((s) => new ReleaseCore(s));
}

/** Runs one shard job in this thread: the row core over the range, with the scanner. */
export async function runShardJob(
  plan: ShardPlan,
  job: ShardJob,
  onProgress?: (rows: number, bytes?: number) => void,
  earlier?: ShardClaims,
): Promise<ShardResult> {
  const cores = makeCores(plan);
  const counters: ReadCounters = { rows: 0, rowsRejected: 0, rejectedExamples: [] };
  const hash = job.hash ? createHash('sha256') : null;
  let decoding = plan.dialect.decoding;
  let dedupedAgainst = 0;
  if (earlier !== undefined) {
    applyClaims(plan, cores, earlier);
    dedupedAgainst = earlier.dump.start === 0 ? earlier.dump.end : 0;
  }
  if (job.claim !== null && job.claim.end > job.claim.start) {
    if (plan.gzip) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
    const claimer = new RowFeeder(plan.dialect, cores, true, { rows: 0, rowsRejected: 0, rejectedExamples: [] }, job.claim.start === 0);
    await scanRange(plan, claimer, job.claim.start, job.claim.end, hash);
    decoding = claimer.decoding;
    if (job.claim.start === 0) dedupedAgainst = Math.max(dedupedAgainst, job.claim.end);
  }
  const feeder = new RowFeeder({ ...plan.dialect, decoding }, cores, false, counters, job.range.start === 0, onProgress);
  if (plan.gzip) {
    if (job.range.start !== 0 || job.range.end < plan.size) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
    await scanGzip(plan, feeder, counters);
  } else {
    await scanRange(plan, feeder, job.range.start, job.range.end, hash);
  }
  const state = shardState(plan, cores, counters, job.range, dedupedAgainst, feeder.decoding === 'latin1' ? 'latin1' : 'utf8');
  return { state, sha256: hash === null ? null : hash.digest('hex') };
}

/** The state of cores after reading a range. */
export function shardState(
  plan: ShardPlan,
  cores: ReleaseCore[],
  counters: ReadCounters,
  range: ByteRange,
  dedupedAgainst: number,
  encoding: 'utf8' | 'latin1',
): ShardState {
  return {
    format: 'rollmark-trace-shard',
    version: 1,
    plan: plan.digest,
    dump: { file: path.basename(plan.file), size: plan.size, start: range.start, end: range.end, dedupedAgainst },
    rows: counters.rows,
    rowsRejected: counters.rowsRejected,
    rejectedExamples: counters.rejectedExamples,
    encoding,
    releases: cores.map((c) => ({
      release: c.release,
      rowsMatched: c.rowsMatched,
      rowsDuplicate: c.rowsDuplicate,
      matchedBy: { key: c.matchedBy.key, match: [...c.matchedBy.match] },
      canariesFound: [...c.canariesFound.keys()],
      groups: [...c.groups()],
      tally: c.tallyJSON(),
    })),
  };
}

function applyClaims(plan: ShardPlan, cores: ReleaseCore[], claims: ShardClaims): void {
  if (claims.format !== 'rollmark-trace-claims' || claims.version !== 1) throw new RollmarkError('USAGE', 'not rollmark trace claims');
  if (claims.plan !== plan.digest) throw new RollmarkError('USAGE', 'the claims come from a different dump, vault or column mapping');
  for (const core of cores) {
    const c = claims.releases.find((r) => r.release === core.release);
    if (c === undefined) throw new RollmarkError('USAGE', `the claims hold no release '${core.release}'`);
    const seen = Buffer.from(c.seen, 'base64');
    if (seen.length !== core.seen.length) throw new RollmarkError('USAGE', `the claims for release '${core.release}' have the wrong size`);
    for (let i = 0; i < seen.length; i++) core.seen[i] |= seen[i];
    for (const k of c.canaries) core.canariesClaimed.add(k);
  }
}

// ---- the library faces: traceShard, claimShard, mergeClaims, mergeShards ---------------------

export interface TraceShardOptions {
  vault: Vault | string;
  dump: string;
  /** Only this release; default every release in the ledger. */
  release?: string;
  /** The bytes to read, starting at a record boundary (planShards); default the whole dump. */
  range?: ByteRange;
  /**
   * The claims of every byte before `range` (claimShard per earlier range, then mergeClaims).
   * Default: this shard reads the bytes before it itself, record ids only.
   */
  earlier?: ShardClaims;
  /** Rows read so far, and the bytes of the range read so far. */
  onProgress?: (rows: number, bytes?: number) => void;
}

/**
 * A dump whose first megabyte is ASCII takes its encoding from its first other row (dump.ts), so
 * a range after the start reads right only after the bytes before it: claims made alone do not say.
 */
const unsettled = (): RollmarkError =>
  new RollmarkError('USAGE', "the dump's encoding is not settled by its first megabyte: trace its shards without `earlier` claims (each reads the bytes before it)");

function checkRange(plan: ShardPlan, range: ByteRange | undefined): ByteRange {
  const r = range ?? { start: 0, end: plan.size };
  if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end <= plan.size)) {
    throw new RollmarkError('USAGE', `shard range [${r.start}, ${r.end}) is not inside the dump (${plan.size} bytes)`);
  }
  if (plan.gzip && (r.start !== 0 || r.end !== plan.size)) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
  return r;
}

/**
 * Traces one byte range of a dump into a ShardState. Exact (the same evidence as a whole-dump
 * trace, once merged) when the rows before the range are claimed: by default this reads them
 * (record ids only, a fraction of a full trace's cost); with many shards, pass `earlier`.
 */
export async function traceShard(opts: TraceShardOptions): Promise<ShardState> {
  const { plan } = await prepareTrace(opts);
  const range = checkRange(plan, opts.range);
  const claim = opts.earlier === undefined && range.start > 0 ? { start: 0, end: range.start } : null;
  if (opts.earlier !== undefined && plan.dialect.decoding === 'sniffing') throw unsettled();
  if (opts.earlier !== undefined && (opts.earlier.dump.start !== 0 || opts.earlier.dump.end !== range.start)) {
    throw new RollmarkError('USAGE', `the claims cover bytes [${opts.earlier.dump.start}, ${opts.earlier.dump.end}), not the [0, ${range.start}) before the shard`);
  }
  const { state } = await runShardJob(plan, { range, claim, hash: false }, opts.onProgress, opts.earlier);
  return state;
}

/** The records and canaries a byte range holds (for `traceShard`'s `earlier`). */
export async function claimShard(opts: { vault: Vault | string; dump: string; release?: string; range?: ByteRange }): Promise<ShardClaims> {
  const { plan } = await prepareTrace(opts);
  const range = checkRange(plan, opts.range);
  if (range.start > 0 && plan.dialect.decoding === 'sniffing') throw unsettled();
  const cores = makeCores(plan);
  const feeder = new RowFeeder(plan.dialect, cores, true, { rows: 0, rowsRejected: 0, rejectedExamples: [] }, range.start === 0);
  if (plan.gzip) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
  await scanRange(plan, feeder, range.start, range.end, null);
  return {
    format: 'rollmark-trace-claims',
    version: 1,
    plan: plan.digest,
    dump: { file: path.basename(plan.file), size: plan.size, start: range.start, end: range.end },
    releases: cores.map((c) => ({ release: c.release, seen: Buffer.from(c.seen).toString('base64'), canaries: [...c.canariesClaimed] })),
  };
}

/** Unites the claims of adjacent ranges (in any order) into the claims of the range they tile. */
export function mergeClaims(claims: ShardClaims[]): ShardClaims {
  if (claims.length === 0) throw new RollmarkError('USAGE', 'no claims to merge');
  const sorted = [...claims].sort((a, b) => a.dump.start - b.dump.start);
  const first = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].plan !== first.plan) throw new RollmarkError('USAGE', 'claims of different traces cannot be merged');
    if (sorted[i].dump.start !== sorted[i - 1].dump.end) {
      throw new RollmarkError('USAGE', `claims leave a gap or overlap at byte ${sorted[i - 1].dump.end}`);
    }
  }
  return {
    ...first,
    dump: { ...first.dump, end: sorted[sorted.length - 1].dump.end },
    releases: first.releases.map((r) => {
      const seen = Buffer.from(r.seen, 'base64');
      const canaries = new Set(r.canaries);
      for (const other of sorted.slice(1)) {
        const o = other.releases.find((x) => x.release === r.release);
        if (o === undefined) throw new RollmarkError('USAGE', `claims disagree on the releases traced`);
        const b = Buffer.from(o.seen, 'base64');
        for (let i = 0; i < seen.length; i++) seen[i] |= b[i];
        for (const k of o.canaries) canaries.add(k);
      }
      return { release: r.release, seen: seen.toString('base64'), canaries: [...canaries] };
    }),
  };
}

export interface MergeShardsOptions {
  vault: Vault | string;
  dump: string;
  states: ShardState[];
  release?: string;
  bound?: number;
  now?: () => Date;
}

/** Merges the states of shards that tile the dump into the signed report (as traceDump's). */
export async function mergeShards(opts: MergeShardsOptions): Promise<TraceReport> {
  const bound = checkBound(opts.bound);
  const prepared = await prepareTrace(opts);
  return finishTrace(prepared, opts.states, { bound, now: opts.now, sha256: await prepared.dump.sha256() });
}

export function checkBound(b: number | undefined): number {
  const bound = b ?? DEFAULT_BOUND;
  if (!(bound > 0 && bound < 1)) throw new RollmarkError('USAGE', `--bound must be in (0, 1), got ${bound}`);
  return bound;
}

// ---- merging and the report ------------------------------------------------------------------

interface MergedRelease {
  setup: ReleaseSetup;
  tally: EvidenceTally;
  rowsMatched: number;
  rowsDuplicate: number;
  matchedBy: { key: number; match: number[] };
  canariesFound: Map<string, CanaryRef>;
  groups: Map<string, number>;
}

/** Checks that the states tile the dump, each de-duplicated against all bytes before it. */
function orderStates(plan: ShardPlan, states: ShardState[]): ShardState[] {
  if (states.length === 0) throw new RollmarkError('USAGE', 'no shard states to merge');
  for (const s of states) {
    if (s.format !== 'rollmark-trace-shard' || s.version !== 1) throw new RollmarkError('USAGE', 'not a rollmark trace shard state');
    if (s.plan !== plan.digest) {
      throw new RollmarkError('USAGE', 'a shard state comes from a different dump, vault, release set or column mapping');
    }
  }
  const sorted = [...states].sort((a, b) => a.dump.start - b.dump.start);
  let at = 0;
  for (const s of sorted) {
    if (s.dump.start !== at) throw new RollmarkError('USAGE', `the shard states leave a gap or overlap at byte ${at}`);
    if (s.dump.dedupedAgainst !== s.dump.start) {
      throw new RollmarkError(
        'USAGE',
        `the shard at byte ${s.dump.start} was not de-duplicated against every row before it (only [0, ${s.dump.dedupedAgainst})): its evidence could count a record twice`,
      );
    }
    at = s.dump.end;
  }
  if (at !== plan.size) throw new RollmarkError('USAGE', `the shard states end at byte ${at}, the dump at ${plan.size}`);
  return sorted;
}

function mergeStates(plan: ShardPlan, states: ShardState[]): MergedRelease[] {
  return plan.releases.map((setup) => {
    const schema = resolveSchema(setup.manifest.schema, setup.manifest.header);
    const classes = classTable(schema.marks);
    const tally = new EvidenceTally(setup.manifest.recipients.length);
    for (const name of classes.names) tally.classIndex(name);
    tally.classIndex(CANARY_CLASS);
    const byKey = new Map<string, CanaryRef>();
    for (const g of setup.canaries.groups) g.canaries.forEach((_, index) => byKey.set(canaryKey({ group: g, index }), { group: g, index }));
    const merged: MergedRelease = {
      setup,
      tally,
      rowsMatched: 0,
      rowsDuplicate: 0,
      matchedBy: { key: 0, match: schema.match.map(() => 0) },
      canariesFound: new Map(),
      groups: new Map(),
    };
    for (const s of states) {
      const r = s.releases.find((x) => x.release === setup.manifest.release);
      if (r === undefined) throw new RollmarkError('USAGE', `a shard state holds no release '${setup.manifest.release}'`);
      tally.merge(EvidenceTally.fromJSON(r.tally));
      merged.rowsMatched += r.rowsMatched;
      merged.rowsDuplicate += r.rowsDuplicate;
      merged.matchedBy.key += r.matchedBy.key;
      r.matchedBy.match.forEach((n, i) => (merged.matchedBy.match[i] += n));
      for (const k of r.canariesFound) {
        const ref = byKey.get(k);
        if (ref === undefined) throw new RollmarkError('USAGE', `a shard state names a canary the release does not hold`);
        if (!merged.canariesFound.has(k)) merged.canariesFound.set(k, ref);
      }
      for (const [g, n] of r.groups) merged.groups.set(g, (merged.groups.get(g) ?? 0) + n);
    }
    return merged;
  });
}

/** Merges shard states and writes the signed report. */
export function finishTrace(
  prepared: PreparedTrace,
  states: ShardState[],
  opts: { bound: number; now?: () => Date; sha256: string },
): TraceReport {
  const { plan, dump } = prepared;
  const ordered = orderStates(plan, states);
  const merged = mergeStates(plan, ordered);
  let rows = 0;
  let rowsRejected = 0;
  for (const s of ordered) {
    rows += s.rows;
    rowsRejected += s.rowsRejected;
  }
  if (ordered.some((s) => s.encoding === 'latin1')) dump.format.encoding = 'latin1';
  for (const m of merged) observeCanaries(m);
  const recipientsTested = merged.reduce((a, m) => a + m.setup.manifest.recipients.length, 0);
  const perRelease = merged.map((m) => summarize(m, recipientsTested, opts.bound));
  const suspects = perRelease.flatMap((r) => r.suspects).sort((a, b) => a.log10PValue - b.log10PValue || a.recipient.localeCompare(b.recipient));
  const implicated = suspects.filter((s) => s.implicated);
  let verdict: TraceReport['verdict'];
  let release: string | null = null;
  if (implicated.length === 1) {
    verdict = 'attributed';
    release = implicated[0].release;
  } else if (implicated.length > 1) {
    verdict = 'collusion';
    release = implicated[0].release;
  } else {
    const powered = perRelease.filter((r) => r.singleLeaker.detectable && r.rowsMatched > 0);
    if (powered.length > 0) {
      verdict = 'no-recipient';
      release = powered.sort((a, b) => b.rowsMatched - a.rowsMatched)[0].release;
    } else {
      verdict = 'inconclusive';
      release = null;
    }
  }
  // The dump's rows are counted against the release that matched most of them: matched, repeats
  // of a record already counted (or of its 32-bit code identity), and the rest foreign.
  const best = merged.reduce<MergedRelease | null>((b, m) => (b === null || m.rowsMatched > b.rowsMatched ? m : b), null);
  const rowsMatched = best?.rowsMatched ?? 0;
  const rowsDuplicate = best?.rowsDuplicate ?? 0;
  const report: Omit<TraceReport, 'signature'> = {
    version: 1,
    tool: 'rollmark',
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    dump: {
      file: plan.file.split(/[\\/]/).pop() ?? plan.file,
      sha256: opts.sha256,
      rows: rows + rowsRejected,
      rowsMatched,
      rowsRejected,
      rowsDuplicate,
      rowsForeign: Math.max(0, rows - rowsMatched - rowsDuplicate),
      format: dump.format,
    },
    release,
    verdict,
    falseAccusationBound: opts.bound,
    recipientsTested,
    suspects,
    releases: perRelease,
  };
  return signDocument(report, prepared.vault.signingKey) as TraceReport;
}

/** Canaries: present ones read 1; absent ones read 0 where the dump covers their section. */
function observeCanaries(m: MergedRelease): void {
  const cls = m.tally.classIndex(CANARY_CLASS);
  const R = m.setup.manifest.recipients.length;
  const inclusion = new CodeBook(m.setup.keys.canary, R, m.setup.manifest.code.cutoff);
  const xs = new Uint8Array(R);
  for (const g of m.setup.canaries.groups) {
    const covered = (m.groups.get(g.value) ?? 0) >= COVERAGE * g.rows;
    for (let index = 0; index < g.canaries.length; index++) {
      const c = g.canaries[index];
      const present = m.canariesFound.has(`${c.hashHi}:${c.hashLo}`);
      if (!present && !covered) continue;
      const P = inclusion.load(c.recordId, 0);
      inclusion.symbols(P, xs);
      m.tally.observe(present ? 1 : 0, P, xs, cls);
    }
  }
}

function summarize(m: MergedRelease, recipientsTested: number, bound: number): ReleaseEvidence & { suspects: Suspect[] } {
  const summaries = m.tally.classes();
  const drop = summaries
    .filter((c) => c.name !== CANARY_CLASS && c.collapsed && c.observations >= COLLAPSE_MIN_OBSERVATIONS)
    .map((c) => c.name);
  const evidence = m.tally.finalize({ drop });
  const manifest = m.setup.manifest;
  const inclusion = new CodeBook(m.setup.keys.canary, manifest.recipients.length, manifest.code.cutoff);
  const canaryStats = summaries.find((c) => c.name === CANARY_CLASS);
  const foundList: { group: CanaryGroup; index: number }[] = [...m.canariesFound.values()];
  const suspects: Suspect[] = manifest.recipients.map((r, j) => {
    const b = attributionBound(evidence, j, recipientsTested);
    let canaries = 0;
    for (const f of foundList) {
      const c = f.group.canaries[f.index];
      const P = inclusion.load(c.recordId, 0);
      canaries += inclusion.symbol(j, P);
    }
    return {
      recipient: r.id,
      name: r.name,
      release: manifest.release,
      implicated: b.pValue <= bound,
      pValue: b.pValue,
      log10PValue: b.log10PValue,
      // The symmetric Tardos score (the first statistic): the contract's `score`, comparable
      // across recipients; the statistic that gave the bound and its value follow.
      score: b.statistics.find((x) => x.statistic === 'tardos')?.value ?? b.score,
      statistic: b.bestStatistic,
      statisticValue: b.score,
      canaries,
      marksObserved: evidence.observations - (canaryStats ? Math.min(canaryStats.observations, evidence.observations) : 0),
    };
  });
  suspects.sort((a, b) => a.log10PValue - b.log10PValue);
  const power = singleLeakerPower(evidence, { recipientsTested, bound });
  return {
    release: manifest.release,
    rowsMatched: m.rowsMatched,
    rowsDuplicate: m.rowsDuplicate,
    matchedBy: m.matchedBy,
    columns: m.setup.mapping.columns,
    canariesFound: foundList.map((f) => f.group.value),
    canariesObserved: canaryStats?.observations ?? 0,
    classes: summaries
      .filter((c) => c.observations > 0 && c.name !== '')
      .map((c) => ({ name: c.name, observations: c.observations, ones: c.ones, dropped: drop.includes(c.name) })),
    singleLeaker: { detectable: power.wouldImplicate, log10PValue: power.log10PValue, statistic: power.statistic },
    suspects,
  };
}

// ---- planning shards of unequal size ---------------------------------------------------------

/**
 * Cuts a dump at record boundaries near the given byte offsets (csv/shards.ts's findCut, the rule
 * planShards uses). A target whose window proves no boundary is dropped: fewer ranges, never a
 * wrong one.
 */
export async function cutAt(file: string, size: number, targets: number[], delimiter: string): Promise<ByteRange[]> {
  const delim = delimiterByte(delimiter);
  const maxRecord = DEFAULT_MAX_RECORD_BYTES;
  const cuts = [0];
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const head = Buffer.alloc(3);
    await fh.read(head, 0, 3, 0);
    const bomLen = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const window = Buffer.allocUnsafe(maxRecord + 2);
    for (const raw of targets) {
      const target = Math.floor(raw);
      const prev = cuts[cuts.length - 1];
      if (target <= prev || target <= bomLen || target >= size) continue;
      const from = target - 1;
      const { bytesRead } = await fh.read(window, 0, Math.min(window.length, size - from), from);
      const cut = findCut(window.subarray(0, bytesRead), from, target, size, bomLen, delim, maxRecord);
      if (cut > prev && cut < size) cuts.push(cut);
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh.close();
  }
  return cuts.map((c, i) => ({ start: c, end: i + 1 < cuts.length ? cuts[i + 1] : size }));
}

/**
 * Shard sizes that make every worker finish together when worker k first claims all the bytes
 * before its shard (cost `claim` a byte, relative to a full read's 1) and the last worker also
 * hashes the whole file (cost `hash` a byte). Returns the cut offsets (without 0 and size).
 */
export function balancedTargets(size: number, workers: number, claim: number, hash: number): number[] {
  const sizes = (T: number): number[] => {
    const s: number[] = [];
    let before = 0;
    for (let k = 0; k < workers; k++) {
      const v = Math.max(0, T - claim * before - (k === workers - 1 ? hash * size : 0));
      s.push(v);
      before += v;
    }
    return s;
  };
  let lo = 0;
  let hi = size * (1 + hash);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    const total = sizes(mid).reduce((a, b) => a + b, 0);
    if (total < size) lo = mid;
    else hi = mid;
  }
  const s = sizes(hi);
  const out: number[] = [];
  let at = 0;
  for (let k = 0; k < workers - 1; k++) {
    at += s[k];
    if (s[k] > 0 && at < size) out.push(at);
  }
  return out;
}
