/**
 * The plan of a trace: what every shard of one trace must agree on. Opens the vault, the ledger
 * and the dump and works out, per release, the column mapping and what the row core needs (the
 * match index loaded once into SharedArrayBuffers, shared by every worker thread), with a digest
 * that tells one trace's shard states from another's.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { MatchTable, decodeMatchTable } from '../code/match-index.js';
import { loadRelease, releaseKeys } from '../code/release.js';
import { profilesFromJSON } from '../schema/profile.js';
import { resolveSchema } from '../schema/schema.js';
import { readLedger, type LedgerEntry } from '../vault/ledger.js';
import { openVault, type Vault } from '../vault/vault.js';
import { canonicalJson } from '../keys/sign.js';
import { openDump, type DumpFormat, type DumpSource } from './dump.js';
import { mapColumns, matchIndexProbe } from './columns.js';
import { FULL_SHARE, type ReleaseSetup } from './trace-core.js';

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
  /**
   * The share of records whose marks are read, in 65,536ths (65,536: every record): from the
   * evidence budget and the dump's estimated rows (`scoreShareFor`).
   */
  scoreShare: number;
  /** The evidence budget it came from (Infinity: every record). */
  evidenceBudget: number;
  /** Digest of the plan's format and column mappings: shards of one trace carry the same. */
  digest: string;
}

export interface PreparedTrace {
  vault: Vault;
  dump: DumpSource;
  entries: LedgerEntry[];
  plan: ShardPlan;
}

/** Records whose marks a trace reads by default; past it, a keyed share of them (see scoreShareFor). */
export const DEFAULT_EVIDENCE_BUDGET = 10_000_000;
export { FULL_SHARE };

/**
 * The share of records (in 65,536ths) whose marks are read so that about `budget` records are
 * scored: every record up to the budget, then budget / estimated rows. A dump's rows are estimated
 * from its size and its first rows' bytes; a gzip dump's size says little of its rows, so it is
 * scored in full. Which records are scored depends only on their keyed record ids (ReleaseCore),
 * never on a recipient's code, so the bound holds on the scored records as on any dump; canaries
 * and the row counts always take every row.
 */
export function scoreShareFor(budget: number, size: number, gzip: boolean, sample: string[][], delimiter: string): number {
  if (budget === Infinity || gzip || sample.length === 0) return FULL_SHARE;
  let bytes = 0;
  for (const row of sample) {
    bytes += row.length; // delimiters and the line end
    for (const f of row) bytes += Buffer.byteLength(f) + (f.includes(delimiter) || f.includes('"') ? 2 : 0);
  }
  const rows = size / (bytes / sample.length);
  return rows <= budget ? FULL_SHARE : Math.max(1, Math.ceil((FULL_SHARE * budget) / rows));
}

function checkBudget(budget: number | undefined): number {
  const b = budget ?? DEFAULT_EVIDENCE_BUDGET;
  if (!(b === Infinity || (Number.isInteger(b) && b >= 1))) {
    throw new RollmarkError('USAGE', `the evidence budget must be a whole number of records (or Infinity for every record), got ${b}`);
  }
  return b;
}

/**
 * Opens the vault, the ledger and the dump and works out, per release, the column mapping and
 * what the row core needs. Throws RELEASE_UNKNOWN, VAULT_CORRUPT, DUMP_NOT_TABULAR, ...
 */
export async function prepareTrace(opts: { vault: Vault | string; dump: string; release?: string; evidenceBudget?: number }): Promise<PreparedTrace> {
  const budget = checkBudget(opts.evidenceBudget);
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
  const scoreShare = scoreShareFor(budget, size, f.gzip, dump.sample, f.delimiter);
  const digest = planDigest(f, releases, scoreShare);
  return { vault, dump, entries, plan: { file: opts.dump, size, gzip: f.gzip, dialect, releases, scoreShare, evidenceBudget: budget, digest } };
}

function planDigest(f: DumpFormat, releases: ReleaseSetup[], scoreShare: number): string {
  const body = {
    format: { gzip: f.gzip, delimiter: f.delimiter, hasHeader: f.hasHeader, columns: f.columns },
    // Absent when every record is scored: a full trace's digest is what it was before the budget.
    ...(scoreShare === FULL_SHARE ? {} : { scoreShare }),
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
