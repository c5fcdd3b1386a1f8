/**
 * The issuer's ledger: an append-only JSON Lines file, one signed entry a line, each chained to
 * the one before by hash.
 *
 * A line is the canonical JSON (see canonicalJson in keys/sign.ts) of
 *
 *   { "v": 1, "seq": n, "prev": "<hex>", "time": "<ISO 8601>", "type": "...", "data": {...}, "sig": "<hex>" }
 *
 * followed by "\n", where
 * - `seq` counts from 1, so in an intact ledger entry n is on line n;
 * - `prev` is the SHA-256 (FIPS 180-4) of the previous line's exact bytes without its newline,
 *   or 64 zeros for the first entry;
 * - `sig` is the issuer's Ed25519 signature (RFC 8032) over the UTF-8 canonical JSON of the
 *   entry without `sig`.
 * Because lines are canonical, anyone can recompute every hash from the parsed entries, and a
 * line that was merely re-formatted is told apart from one whose content changed.
 *
 * What the chain catches: an edited entry (its signature fails), a removed, inserted or reordered
 * entry (the next entry's seq or prev no longer fits). What it cannot catch on its own: removing
 * entries from the end, which leaves a shorter ledger that is still a valid chain. Record the head
 * hash that verify reports somewhere outside the vault (a receipt, a notary, a published
 * digest) to pin the length.
 * @module
 */
import * as fs from 'node:fs/promises';
import { sha256 } from '@noble/hashes/sha2.js';
import { RollmarkError, ioError } from '../errors.js';
import { parseHex, toHex } from '../keys/hex.js';
import { canonicalJson, signBytes, verifyBytes } from '../keys/sign.js';
import type { Vault } from './vault.js';

/** One verified ledger entry, as written. */
export interface LedgerEntry {
  v: 1;
  seq: number;
  prev: string;
  time: string;
  type: string;
  data: Record<string, unknown>;
  sig: string;
}

/** What a caller appends: the rest (seq, prev, time, sig) is filled in by appendLedger. */
export interface LedgerRecord {
  type: string;
  data: Record<string, unknown>;
}

export interface AppendOptions {
  /** The clock, for reproducible ledgers in tests; defaults to the system time. */
  now?: () => Date;
}

/** A verified ledger: its entries and the hash of its last line (the head to anchor elsewhere). */
export interface VerifiedLedger {
  entries: LedgerEntry[];
  /** SHA-256 hex of the last line, or 64 zeros for an empty ledger: the next entry's `prev`. */
  head: string;
}

/** `prev` of the first entry. */
export const GENESIS_PREV = '0'.repeat(64);

const ENTRY_KEYS = ['data', 'prev', 'seq', 'sig', 'time', 'type', 'v'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const TYPE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const NEWLINE = 0x0a;

const utf8 = new TextEncoder();

/** Reads and verifies the ledger at `file` against `publicKey`; throws on the first bad entry. */
export async function readLedger(file: string, publicKey: Uint8Array): Promise<LedgerEntry[]> {
  return (await verifyLedger(file, publicKey)).entries;
}

/** Like readLedger, and also returns the head hash. */
export async function verifyLedger(file: string, publicKey: Uint8Array): Promise<VerifiedLedger> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw ioError(err, file);
  }
  return verifyLedgerBytes(bytes, publicKey, file);
}

/**
 * Verifies ledger content already in memory. Throws a RollmarkError naming `file`, the line, and
 * (where it could be read) the entry's seq: LEDGER_BAD_JSON, LEDGER_BAD_ENTRY (wrong shape,
 * re-formatted, missing final newline), LEDGER_BROKEN_CHAIN (seq or prev out of place: an entry
 * was removed, inserted or moved), LEDGER_BAD_SIGNATURE (content changed after signing).
 */
export function verifyLedgerBytes(bytes: Uint8Array, publicKey: Uint8Array, file: string): VerifiedLedger {
  const entries: LedgerEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let head = GENESIS_PREV;
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    line++;
    let end = bytes.indexOf(NEWLINE, start);
    const terminated = end >= 0;
    if (!terminated) end = bytes.length;
    const raw = bytes.subarray(start, end);
    const place = { file, line };

    let text: string;
    let parsed: unknown;
    try {
      text = decoder.decode(raw);
      parsed = JSON.parse(text);
    } catch {
      const what = raw.length === 0 ? 'empty line' : 'not valid JSON';
      throw new RollmarkError('LEDGER_BAD_JSON', `${what}${terminated ? '' : ' (an interrupted write?)'}`, place);
    }
    const entry = checkShape(parsed, place);
    const expectedSeq = entries.length + 1;
    if (entry.seq !== expectedSeq) {
      throw new RollmarkError(
        'LEDGER_BROKEN_CHAIN',
        `entry seq ${entry.seq} where seq ${expectedSeq} belongs: entries were removed, inserted or reordered`,
        place,
      );
    }
    if (entry.prev !== head) {
      throw new RollmarkError(
        'LEDGER_BROKEN_CHAIN',
        `entry seq ${entry.seq} does not chain to the line before it (prev hash mismatch): an earlier entry was changed, removed or replaced`,
        place,
      );
    }
    const { sig, ...unsigned } = entry;
    const sigBytes = parseHex(sig, 64) as Uint8Array; // shape checked: 128 hex chars
    if (!verifyBytes(publicKey, utf8.encode(canonicalJson(unsigned)), sigBytes)) {
      throw new RollmarkError(
        'LEDGER_BAD_SIGNATURE',
        `entry seq ${entry.seq} has an invalid signature: it was altered or signed by another key`,
        place,
      );
    }
    if (canonicalJson(entry) !== text) {
      throw new RollmarkError('LEDGER_BAD_ENTRY', `entry seq ${entry.seq} is not in canonical form (re-formatted?)`, place);
    }
    if (!terminated) {
      throw new RollmarkError('LEDGER_BAD_ENTRY', `entry seq ${entry.seq} has no final newline (an interrupted write?)`, place);
    }
    entries.push(entry);
    head = toHex(sha256(raw));
    start = end + 1;
  }
  return { entries, head };
}

function checkShape(value: unknown, place: { file: string; line: number }): LedgerEntry {
  const bad = (what: string): never => {
    throw new RollmarkError('LEDGER_BAD_ENTRY', what, place);
  };
  if (!isPlainObject(value)) return bad('not a ledger entry (expected a JSON object)');
  const keys = Object.keys(value).sort();
  if (keys.length !== ENTRY_KEYS.length || keys.some((k, i) => k !== ENTRY_KEYS[i])) {
    return bad(`not a ledger entry: fields are ${keys.join(', ')}; expected ${ENTRY_KEYS.join(', ')}`);
  }
  const e = value as Record<string, unknown>;
  if (e.v !== 1) return bad(`unsupported ledger entry version ${JSON.stringify(e.v)}`);
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 1) return bad('seq is not a positive integer');
  if (typeof e.prev !== 'string' || !HEX64.test(e.prev)) return bad(`entry seq ${e.seq}: prev is not 64 lowercase hex characters`);
  if (typeof e.time !== 'string' || !ISO_TIME.test(e.time) || !Number.isFinite(Date.parse(e.time))) {
    return bad(`entry seq ${e.seq}: time is not an ISO 8601 timestamp`);
  }
  if (typeof e.type !== 'string' || !TYPE.test(e.type)) return bad(`entry seq ${e.seq}: type is not a valid entry type`);
  if (!isPlainObject(e.data)) return bad(`entry seq ${e.seq}: data is not a JSON object`);
  if (typeof e.sig !== 'string' || !HEX128.test(e.sig)) return bad(`entry seq ${e.seq}: sig is not 128 lowercase hex characters`);
  return e as unknown as LedgerEntry;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Appends `records` to the vault's ledger and returns the entries written. The existing ledger is
 * verified first (a damaged ledger is never extended); all new lines go out in one write followed
 * by fsync, and if that write fails the file is truncated back to its verified length. A lock file
 * (`ledger.jsonl.lock`) keeps two processes from appending at once.
 */
export async function appendLedger(
  vault: Pick<Vault, 'ledgerPath' | 'signingKey' | 'publicKey'>,
  records: readonly LedgerRecord[],
  options: AppendOptions = {},
): Promise<LedgerEntry[]> {
  const file = vault.ledgerPath;
  const clock = options.now ?? (() => new Date());
  records.forEach((record, i) => checkRecord(record, i, file));

  const lockPath = `${file}.lock`;
  let lock: fs.FileHandle | null = null;
  for (let attempt = 0; lock === null; attempt++) {
    try {
      lock = await fs.open(lockPath, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(err, lockPath);
      // A lock left by a process that no longer runs (killed mid-append) is stale: the append
      // it guarded either reached the file whole or is cut off, which verification below finds.
      if (attempt === 0 && (await staleLock(lockPath))) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      throw new RollmarkError(
        'LEDGER_LOCKED',
        'another rollmark process is appending to the ledger; if none is running, delete this lock file',
        { file: lockPath },
      );
    }
  }
  try {
    await lock.writeFile(`${process.pid}\n`);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'a+');
    } catch (err) {
      throw ioError(err, file);
    }
    try {
      const current = await handle.readFile();
      const { entries, head } = verifyLedgerBytes(current, vault.publicKey, file);
      if (records.length === 0) return [];

      const time = clock().toISOString();
      let prev = head;
      let seq = entries.length;
      const written: LedgerEntry[] = [];
      const lines: string[] = [];
      for (const record of records) {
        const unsigned = { v: 1 as const, seq: ++seq, prev, time, type: record.type, data: record.data };
        const sig = toHex(signBytes(vault.signingKey, utf8.encode(canonicalJson(unsigned))));
        const lineText = canonicalJson({ ...unsigned, sig });
        lines.push(lineText + '\n');
        // The entry as a reader will parse it (undefined properties gone, toJSON applied).
        written.push(JSON.parse(lineText) as LedgerEntry);
        prev = toHex(sha256(utf8.encode(lineText)));
      }
      const out = utf8.encode(lines.join(''));
      try {
        await handle.writeFile(out);
        await handle.sync();
      } catch (err) {
        // Put the file back to the verified ledger so a failed append leaves no partial line.
        await handle.truncate(current.length).catch(() => undefined);
        throw ioError(err, file);
      }
      return written;
    } finally {
      await handle.close().catch(() => undefined);
    }
  } finally {
    await lock.close().catch(() => undefined);
    await fs.unlink(lockPath).catch(() => undefined);
  }
}

function checkRecord(record: LedgerRecord, index: number, file: string): void {
  const bad = (what: string): never => {
    throw new RollmarkError('LEDGER_BAD_ENTRY', `new entry ${index + 1}: ${what}`, { file });
  };
  if (!isPlainObject(record)) bad('not an object with type and data');
  if (typeof record.type !== 'string' || !TYPE.test(record.type)) {
    bad('type must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter');
  }
  if (!isPlainObject(record.data)) bad('data must be a JSON object');
  try {
    canonicalJson(record.data);
  } catch (err) {
    bad((err as Error).message);
  }
}

/** True when a lock file names a process on this machine that is no longer running. */
async function staleLock(lockPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, 'utf8');
  } catch {
    return false;
  }
  const pid = Number(text.trim());
  // An empty lock is one whose writer died between creating and filling it, unless it is young
  // enough to be a writer that is about to fill it.
  if (text.trim() === '') {
    const st = await fs.stat(lockPath).catch(() => null);
    return st !== null && Date.now() - st.mtimeMs > 30_000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
