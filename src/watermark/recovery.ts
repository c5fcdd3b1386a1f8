/**
 * Crash safety of `issue`: what a killed or failed run leaves behind, and how the next run deals
 * with it. The ledger is the truth: a release exists when, and only when, the ledger records it.
 *
 * An issue commits in this order (issue.ts):
 *   1. copies written under dot-named temporary names in the output folder;
 *   2. release data written to `vault/releases/.<id>.partial-<pid>-<hex>/`, with a claim file
 *      (`issuing.json`: pid, host, a nonce) naming the process, then renamed to
 *      `vault/releases/<id>` (the rename claims the id: only one run can win it);
 *   3. the ledger append (the point of no return);
 *   4. the claim file removed, the copies renamed into place, the receipts written.
 *
 * What each kind of leftover means:
 *   - `.<id>.partial-<pid>-*` (or `.<id>.discard-<pid>-*`) in `vault/releases/` whose process is
 *     gone: an interrupted step 2 (or an interrupted clean-up). Removed by the next issue
 *     (`sweepStaleReleaseTemps`), like the ledger's stale lock.
 *   - `vault/releases/<id>` with no ledger entry: step 2 done, step 3 never happened. If the claim
 *     names a process that still runs, an issue of that id is under way; otherwise it is debris,
 *     and the next issue of that id replaces it (`clearUnrecordedRelease`). It is removed only after
 *     its owner is known to be gone and the ledger, read after that, still does not record the
 *     release, so a recorded release's data is never removed.
 *   - ledger entries for the release but copies still dot-named or receipts missing: step 4 was
 *     cut short. `issue --resume` (`finishRecordedRelease`) checks every temporary copy against the
 *     sha256 and size the ledger records, renames it into place and writes its receipt.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { CodeBook } from '../code/codebook.js';
import { loadRelease, releaseKeys } from '../code/release.js';
import { signDocument, verifyDocument } from '../vault/documents.js';
import { readLedger, type LedgerEntry } from '../vault/ledger.js';
import type { Vault } from '../vault/vault.js';
import { toHex } from '../keys/hex.js';
import type { IssueOptions, IssueResult, IssuedCopy, Receipt } from './issue-types.js';
import type { Recipient } from './recipients.js';

/** The claim file in a release's data folder until its ledger entry is written. */
export const CLAIM_FILE = 'issuing.json';

/** A no-claim release folder (written by an older rollmark) younger than this may still be in use. */
const LEGACY_GRACE_MS = 60_000;

export interface ReleaseClaim {
  pid: number;
  host: string;
  nonce: string;
  started: string;
}

export function newClaim(): ReleaseClaim {
  return { pid: process.pid, host: os.hostname(), nonce: randomBytes(8).toString('hex'), started: new Date().toISOString() };
}

async function readClaim(dir: string): Promise<ReleaseClaim | null> {
  try {
    const c = JSON.parse(await fsp.readFile(path.join(dir, CLAIM_FILE), 'utf8')) as ReleaseClaim;
    if (typeof c.pid === 'number' && typeof c.host === 'string' && typeof c.nonce === 'string') return c;
  } catch {
    // missing or unreadable: judged by age below
  }
  return null;
}

/** Whether process `pid` on this machine still runs (EPERM: it runs, as another user). */
function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Null when whoever wrote `dir` can no longer append to the ledger; otherwise who may still.
 * `own` is this run's own claim nonce: a folder this run made and now abandons.
 */
async function liveOwner(dir: string, claim: ReleaseClaim | null, own?: string): Promise<string | null> {
  if (claim !== null) {
    if (own !== undefined && claim.nonce === own) return null;
    if (claim.host !== os.hostname()) return `a rollmark process on host ${claim.host}`;
    if (claim.pid === process.pid || pidAlive(claim.pid)) return `rollmark process ${claim.pid}`;
    return null;
  }
  const st = await fsp.stat(dir).catch(() => null);
  if (st !== null && Date.now() - st.mtimeMs < LEGACY_GRACE_MS) return 'another rollmark process';
  return null;
}

/**
 * `vault/releases/<id>` exists: removes it when it is debris of an interrupted issue (no ledger
 * entry, its writer gone), so the id can be issued. Throws RELEASE_REUSED when the ledger records
 * the release or a live process may still record it. `own`: the claim nonce of this run's own
 * folder, which it abandons after a failure before its ledger append.
 */
export async function clearUnrecordedRelease(vault: Vault, release: string, own?: string): Promise<void> {
  const dir = vault.releaseDir(release);
  const before = await fsp.stat(dir).catch(() => null);
  if (before === null) return;
  const claim = await readClaim(dir);
  const owner = await liveOwner(dir, claim, own);
  if (owner !== null) {
    throw new RollmarkError(
      'RELEASE_REUSED',
      `release '${release}' is being issued by ${owner} (its data is in the vault, its ledger entry not yet written); wait for it to finish, or if no rollmark is running, delete this folder`,
      { file: dir },
    );
  }
  // Its writer is gone, so nothing can append the release any more: what the ledger says now is final.
  if ((await readLedger(vault.ledgerPath, vault.publicKey)).some((e) => e.data.release === release)) {
    throw new RollmarkError('RELEASE_REUSED', `release '${release}' was already issued; a release id can be issued once`, {
      file: vault.ledgerPath,
    });
  }
  // Move it aside in one step, then make sure what moved is the folder judged above (not one a
  // concurrent run put in its place meanwhile) before removing it.
  const aside = path.join(vault.releasesDir, `.${release}.discard-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fsp.rename(dir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(err, dir);
  }
  const moved = await fsp.stat(aside).catch(() => null);
  const movedClaim = await readClaim(aside);
  if (moved === null || moved.ino !== before.ino || moved.dev !== before.dev || movedClaim?.nonce !== claim?.nonce) {
    await fsp.rename(aside, dir).catch(() => undefined);
    throw new RollmarkError('RELEASE_REUSED', `release '${release}' is being issued by another rollmark process right now`, { file: dir });
  }
  await fsp.rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

const TEMP_DIR = /^\.([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.(partial|discard)-(\d+)(?:-[0-9a-f]+)?$/;

/**
 * Removes temporary release-data folders (`.<id>.partial-<pid>-*`, `.<id>.discard-<pid>-*`) in
 * `vault/releases/` left by processes that no longer run (killed, or out of disk before their
 * clean-up). Returns the names removed. Folders of live processes, or of another host, are kept.
 */
export async function sweepStaleReleaseTemps(vault: Vault): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(vault.releasesDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_DIR.exec(name);
    if (!m) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const full = path.join(vault.releasesDir, name);
    const claim = await readClaim(full);
    if (claim !== null && claim.host !== os.hostname()) continue;
    await fsp.rm(full, { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/** `.<id>.csv.partial-<pid>-<hex>` (CopySink) and `.<id>.receipt.json.partial-<pid>` in `outDir`. */
function partialName(name: string, recipient: string): { kind: 'csv' | 'receipt'; pid: number } | null {
  for (const kind of ['csv', 'receipt'] as const) {
    const prefix = `.${recipient}.${kind === 'csv' ? 'csv' : 'receipt.json'}.partial-`;
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0) return { kind, pid };
  }
  return null;
}

/**
 * Removes the dot-named temporary copies and receipts of these recipients in `outDir` that were
 * left by processes that no longer run. Returns the names removed.
 */
export async function removeStalePartials(outDir: string, recipients: readonly string[]): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(outDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.')) continue;
    for (const r of recipients) {
      const p = partialName(name, r);
      if (p === null || p.pid === process.pid || pidAlive(p.pid)) continue;
      await fsp.rm(path.join(outDir, name), { force: true }).catch(() => undefined);
      removed.push(name);
      break;
    }
  }
  return removed;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function statFile(file: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(err, file);
  }
}

interface RecordedCopy {
  recipient: string;
  name: string;
  sha256: string;
  rows: number;
  bytes: number;
  time: string;
}

function recordedCopies(entries: LedgerEntry[]): RecordedCopy[] {
  return entries
    .filter((e) => e.type === 'copy')
    .map((e) => ({
      recipient: String(e.data.recipient),
      name: String(e.data.name),
      sha256: String(e.data.sha256),
      rows: Number(e.data.rows),
      bytes: Number(e.data.bytes),
      time: e.time,
    }));
}

/** Whether `file` is a valid receipt by this vault for exactly this recorded copy. */
async function receiptMatches(file: string, vault: Vault, release: string, c: RecordedCopy): Promise<boolean> {
  try {
    const doc = JSON.parse(await fsp.readFile(file, 'utf8')) as Receipt;
    return verifyDocument(doc, vault.publicKey) && doc.release === release && doc.recipient === c.recipient && doc.sha256 === c.sha256;
  } catch {
    return false;
  }
}

/**
 * The RELEASE_REUSED error for a release the ledger records: when the copies it names are not all
 * finished in `outDir` (final name and receipt), it says how to finish them.
 */
export async function recordedReleaseError(vault: Vault, opts: IssueOptions, entries: LedgerEntry[]): Promise<RollmarkError> {
  const copies = recordedCopies(entries);
  let finished = 0;
  let names: string[] = [];
  try {
    names = await fsp.readdir(opts.outDir);
  } catch {
    // no output folder: nothing of the release is there
  }
  const present = new Set(names);
  let partials = 0;
  for (const c of copies) {
    if (present.has(`${c.recipient}.csv`) && present.has(`${c.recipient}.receipt.json`)) finished++;
    if (names.some((n) => partialName(n, c.recipient)?.kind === 'csv')) partials++;
  }
  const place = { file: vault.ledgerPath };
  if (copies.length > 0 && finished < copies.length && (finished > 0 || partials > 0)) {
    return new RollmarkError(
      'RELEASE_REUSED',
      `release '${opts.release}' was recorded in the ledger but ${copies.length - finished} of its ${copies.length} copies in ${opts.outDir} were not finished (an interrupted run); run the same rollmark issue command with --resume to finish them`,
      place,
    );
  }
  return new RollmarkError(
    'RELEASE_REUSED',
    `release '${opts.release}' was already issued; a release id can be issued once (if a run of it was interrupted, the same command with --resume finishes it)`,
    place,
  );
}

/**
 * `issue --resume` of a release the ledger records: finishes what an interrupted run left in
 * `outDir`. Nothing is written until every copy the ledger names is found complete, under its final
 * name or as a dot-named temporary copy with the recorded size and sha256; then the temporary
 * copies are renamed into place and the missing receipts written (the same receipts the run would
 * have written: their time is the ledger entry's). The registry is not read again.
 */
export async function finishRecordedRelease(
  vault: Vault,
  opts: IssueOptions,
  recipients: Recipient[],
  entries: LedgerEntry[],
): Promise<IssueResult> {
  const release = opts.release;
  const head = entries.find((e) => e.type === 'release');
  const copies = recordedCopies(entries);
  if (head === undefined || copies.length === 0) {
    throw new RollmarkError('LEDGER_BAD_ENTRY', `the ledger's entries for release '${release}' are incomplete; there is nothing to resume`, {
      file: vault.ledgerPath,
    });
  }
  const recorded = copies.map((c) => c.recipient);
  const given = recipients.map((r) => r.id);
  if (recorded.length !== given.length || recorded.some((id) => !given.includes(id))) {
    throw new RollmarkError(
      'RELEASE_REUSED',
      `release '${release}' was recorded for recipients ${recorded.join(', ')}, not ${given.join(', ')}; --resume finishes the recorded release only`,
      { file: vault.ledgerPath },
    );
  }

  // 1. Find every copy, checking it against the ledger; write nothing yet.
  let names: string[];
  try {
    names = await fsp.readdir(opts.outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, opts.outDir);
    names = [];
  }
  const plan: { copy: RecordedCopy; final: string; temp: string | null; receipt: string; receiptOk: boolean }[] = [];
  for (const c of copies) {
    const final = path.join(opts.outDir, `${c.recipient}.csv`);
    const receipt = path.join(opts.outDir, `${c.recipient}.receipt.json`);
    let temp: string | null = null;
    const st = await statFile(final);
    if (st !== null) {
      if (st.size !== c.bytes || (await sha256Of(final)) !== c.sha256) {
        throw new RollmarkError(
          'FILE_EXISTS',
          `is not the copy the ledger records for recipient ${c.recipient} of release '${release}' (sha256 ${c.sha256}); --resume will not replace it`,
          { file: final },
        );
      }
    } else {
      for (const n of names) {
        if (partialName(n, c.recipient)?.kind !== 'csv') continue;
        const candidate = path.join(opts.outDir, n);
        const cs = await statFile(candidate);
        if (cs === null || cs.size !== c.bytes) continue;
        if ((await sha256Of(candidate)) === c.sha256) {
          temp = candidate;
          break;
        }
      }
      if (temp === null) {
        throw new RollmarkError(
          'FILE_NOT_FOUND',
          `cannot finish release '${release}': no complete copy for recipient ${c.recipient} here, neither under this name nor as a dot-named temporary copy with the ${c.bytes} bytes and sha256 ${c.sha256} the ledger records`,
          { file: final },
        );
      }
    }
    let receiptOk = false;
    if ((await statFile(receipt)) !== null) {
      if (!(await receiptMatches(receipt, vault, release, c))) {
        throw new RollmarkError('FILE_EXISTS', `is not a valid receipt of recipient ${c.recipient}'s copy of release '${release}'; --resume will not replace it`, {
          file: receipt,
        });
      }
      receiptOk = true;
    }
    plan.push({ copy: c, final, temp, receipt, receiptOk });
  }

  // The canary counts per copy, from the release's data (checked against the signed ledger).
  const dir = vault.releaseDir(release);
  const data = await loadRelease(dir);
  if (data.manifestSha256 !== head.data.manifest) {
    throw new RollmarkError('VAULT_CORRUPT', `release '${release}' data does not match its signed ledger entry`, { file: dir });
  }
  const R = copies.length;
  const inclusion = new CodeBook(releaseKeys(vault.master, release).canary, R, data.manifest.code.cutoff);
  const included = new Uint8Array(R);
  const perRecipient = new Array<number>(R).fill(0);
  for (const g of data.canaries.groups) {
    for (const c of g.canaries) {
      inclusion.symbols(inclusion.load(c.recordId, 0), included);
      for (let j = 0; j < R; j++) perRecipient[j] += included[j];
    }
  }

  // 2. Rename the temporary copies into place, write the missing receipts.
  const result: IssuedCopy[] = [];
  for (let j = 0; j < plan.length; j++) {
    const { copy: c, final, temp, receipt, receiptOk } = plan[j];
    if (temp !== null) {
      try {
        await fsp.rename(temp, final);
      } catch (err) {
        throw ioError(err, final);
      }
    }
    if (!receiptOk) {
      const doc: Receipt = {
        version: 1,
        type: 'receipt',
        release,
        recipient: c.recipient,
        name: c.name,
        file: path.basename(final),
        sha256: c.sha256,
        rows: c.rows,
        bytes: c.bytes,
        time: c.time,
        issuer: toHex(vault.publicKey),
      };
      await writeReceipt(receipt, JSON.stringify(signDocument(doc, vault.signingKey), null, 2) + '\n');
    }
    result.push({
      recipient: c.recipient,
      name: c.name,
      file: final,
      receipt,
      sha256: c.sha256,
      rows: c.rows,
      bytes: c.bytes,
      canaries: perRecipient[j],
    });
  }
  await fsp.rm(path.join(dir, CLAIM_FILE), { force: true }).catch(() => undefined);
  await removeStalePartials(opts.outDir, recorded);
  const reg = head.data.registry as { rows?: number } | undefined;
  return { release, registryRows: Number(reg?.rows ?? 0), canaries: Number(head.data.canaries ?? 0), copies: result, resumed: true };
}

async function writeReceipt(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  try {
    await fsp.writeFile(temp, text, { flag: 'w', mode: 0o644 });
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(err, file);
  }
}
