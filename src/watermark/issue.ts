import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { CodeBook, RecordIds, canonicalKey } from '../code/codebook.js';
import { DEFAULT_CUTOFF } from '../code/bias.js';
import { Fingerprinter } from '../code/match-index.js';
import { classTable } from '../code/marks.js';
import { releaseKeys, type CanaryTable, type ReleaseKeys, type ReleaseManifest } from '../code/release.js';
import { fieldString } from '../csv/scanner.js';
import { csvLine } from '../csv/write.js';
import { GroupRows, groupBytes, sameGroup } from './group-rows.js';
import { OrderedJobs, resolveWorkers, startJobs, type JobRunner } from './worker-pool.js';
import { BufferPool } from './buffer-pool.js';
import type { CanaryLines, RenderedBatch, RowBatch } from './render-batch.js';
import { readRegistry } from './registry-reader.js';
import { appendLedger, readLedger } from '../vault/ledger.js';
import { signDocument } from '../vault/documents.js';
import { assertReleaseId, ensurePrivateDir, openVault, writePrivateFile, type Vault } from '../vault/vault.js';
import { toHex } from '../keys/hex.js';
import { composeCanaries, UniqueHasher, type Canary } from './canaries.js';
import { CopySink } from './copy-sink.js';
import { RowMarker } from './mark-row.js';
import { readRecipients, type Recipient } from './recipients.js';
import {
  CLAIM_FILE,
  clearUnrecordedRelease,
  finishRecordedRelease,
  newClaim,
  recordedReleaseError,
  removeStalePartials,
  sweepStaleReleaseTemps,
} from './recovery.js';
import { scanRegistry, type RegistryScan } from './registry-scan.js';

export type { IssueOptions, IssuedCopy, IssueResult, Receipt } from './issue-types.js';
import type { IssueOptions, IssuedCopy, IssueResult, Receipt } from './issue-types.js';

/**
 * Issues one release: a marked copy of the registry for every recipient, with its canaries, a
 * signed receipt each, the release's trace data in the vault and one signed ledger entry per copy.
 * Commit order: copies complete under temporary names -> release data in the vault -> ledger
 * (the point of no return) -> copies and receipts renamed into place.
 */
export async function issueRelease(opts: IssueOptions): Promise<IssueResult> {
  assertReleaseId(opts.release);
  const vault = typeof opts.vault === 'string' ? await openVault(opts.vault) : opts.vault;
  const recipients = typeof opts.recipients === 'string' ? await readRecipients(opts.recipients) : opts.recipients;
  const now = opts.now ?? (() => new Date());
  const cutoff = opts.cutoff ?? DEFAULT_CUTOFF;

  // Temporary release data of runs that were killed or ran out of disk: never part of a release.
  await sweepStaleReleaseTemps(vault);
  const ledger = await readLedger(vault.ledgerPath, vault.publicKey);
  const recorded = ledger.filter((e) => e.data.release === opts.release);
  if (recorded.length > 0) {
    if (opts.resume) return finishRecordedRelease(vault, opts, recipients, recorded);
    throw await recordedReleaseError(vault, opts, recorded);
  }
  // Release data with no ledger entry: an issue of this id under way (refused), or debris of an
  // interrupted one (removed: the ledger never recorded it).
  await clearUnrecordedRelease(vault, opts.release);
  await fsp.mkdir(opts.outDir, { recursive: true }).catch((err) => {
    throw ioError(err, opts.outDir);
  });
  for (const r of recipients) {
    for (const f of [`${r.id}.csv`, `${r.id}.receipt.json`]) {
      const p = path.join(opts.outDir, f);
      if (await exists(p)) throw new RollmarkError('FILE_EXISTS', 'already exists; refusing to overwrite an issued copy', { file: p });
    }
  }

  const keys = releaseKeys(vault.master, opts.release);
  const registryBytes = (await fsp.stat(opts.registry).catch(() => ({ size: 0 }))).size;
  const runner = startJobs({ keys, recipients: recipients.length, cutoff }, resolveWorkers(opts.workers, registryBytes));
  try {
    return await issueWith(runner, vault, opts, recipients, keys, cutoff, now);
  } finally {
    await runner.close();
  }
}

async function issueWith(
  runner: JobRunner,
  vault: Vault,
  opts: IssueOptions,
  recipients: Recipient[],
  keys: ReleaseKeys,
  cutoff: number,
  now: () => Date,
): Promise<IssueResult> {
  opts.onProgress?.('check', 0, 0);
  const scan = await scanRegistry(opts.registry, keys, opts.schema, opts.schemaFile, (n, bytes) => opts.onProgress?.('check', n, bytes), runner);
  // The column profiles need only the sample: a job of its own, done while the copies are written.
  const profiles = runner.run<string>({ kind: 'profile', header: scan.header, sample: scan.sample }, 8);
  profiles.catch(() => undefined);
  // The job has its copy (or its result): drop the sample's many strings from this heap.
  scan.sample = [];
  // The index files too need only the first pass: built meanwhile, one at a time (each build
  // holds its table and a copy of the fingerprints: on a 90M-row registry, gigabytes).
  const entries = scan.index.map((e) => e.size);
  let previous: Promise<unknown> = Promise.resolve();
  const indexFiles = scan.index.map((e) => {
    const file = previous.then(() => runner.run<Uint8Array>({ kind: 'index', entries: e }, 2));
    file.catch(() => undefined);
    previous = file;
    return file;
  });
  scan.index = [];

  const sinks = recipients.map((r) => new CopySink(path.join(opts.outDir, `${r.id}.csv`)));
  const claim = newClaim();
  let releaseData = false;
  let appended = false;
  try {
    const written = await writeCopies(opts, scan, keys, recipients, sinks, cutoff, runner);
    const shas: string[] = [];
    for (const s of sinks) shas.push(await s.finish());

    const manifest = await writeReleaseData(vault, opts, scan, recipients, written.canaryTable, cutoff, await profiles, {
      entries,
      files: await Promise.all(indexFiles),
    }, claim);
    releaseData = true;
    const time = now().toISOString();
    await appendLedger(
      vault,
      [
        {
          type: 'release',
          data: {
            release: opts.release,
            registry: { file: path.basename(opts.registry), sha256: scan.sha256, rows: scan.rows },
            recipients: recipients.map((r) => ({ id: r.id, name: r.name })),
            code: { scheme: 'tardos-symmetric', cutoff, biasBits: 16 },
            canaries: written.canaryCount,
            manifest: manifest.sha256,
          },
        },
        ...recipients.map((r, j) => ({
          type: 'copy',
          data: { release: opts.release, recipient: r.id, name: r.name, sha256: shas[j], rows: sinks[j].rows, bytes: sinks[j].bytes },
        })),
      ],
      { now: () => new Date(time) },
    );
    appended = true;
    await fsp.rm(path.join(vault.releaseDir(opts.release), CLAIM_FILE), { force: true }).catch(() => undefined);

    const copies: IssuedCopy[] = [];
    for (let j = 0; j < recipients.length; j++) {
      const r = recipients[j];
      await sinks[j].commit();
      const receipt: Receipt = {
        version: 1,
        type: 'receipt',
        release: opts.release,
        recipient: r.id,
        name: r.name,
        file: path.basename(sinks[j].finalPath),
        sha256: shas[j],
        rows: sinks[j].rows,
        bytes: sinks[j].bytes,
        time,
        issuer: toHex(vault.publicKey),
      };
      const receiptPath = path.join(opts.outDir, `${r.id}.receipt.json`);
      await writeFileAtomic(receiptPath, JSON.stringify(signDocument(receipt, vault.signingKey), null, 2) + '\n');
      copies.push({
        recipient: r.id,
        name: r.name,
        file: sinks[j].finalPath,
        receipt: receiptPath,
        sha256: shas[j],
        rows: sinks[j].rows,
        bytes: sinks[j].bytes,
        canaries: written.perRecipient[j],
      });
    }
    await removeStalePartials(opts.outDir, recipients.map((r) => r.id));
    return { release: opts.release, registryRows: scan.rows, canaries: written.canaryCount, copies };
  } catch (err) {
    // Recorded (or perhaps recorded, when the append itself failed): the temporary copies are what
    // the ledger names; keep them for --resume.
    const recorded = appended || (releaseData ? await isRecorded(vault, opts.release) : false);
    if (recorded === null) throw err; // the ledger cannot be read: leave everything as it is
    if (recorded) {
      if (!(err instanceof RollmarkError)) throw err;
      throw new RollmarkError(
        err.code,
        `${err.message}; release '${opts.release}' is recorded in the ledger: run the same rollmark issue command with --resume to finish it`,
        { file: err.file, line: err.line, column: err.column },
      );
    }
    await Promise.all(sinks.map((s) => s.abort().catch(() => undefined)));
    // Not recorded: the release data this run put in the vault is not part of any release.
    if (releaseData) await clearUnrecordedRelease(vault, opts.release, claim.nonce).catch(() => undefined);
    throw err;
  }
}

/** Whether the ledger records `release`; null when the ledger cannot be read. */
async function isRecorded(vault: Vault, release: string): Promise<boolean | null> {
  try {
    return (await readLedger(vault.ledgerPath, vault.publicKey)).some((e) => e.data.release === release);
  } catch {
    return null;
  }
}

/** How many canaries each group gets: schema rate, at least one, within the copy-share cap. */
export function planCanaries(groups: { rows: number }[], per: number, maxShare: number): number[] {
  const total = groups.reduce((a, g) => a + g.rows, 0);
  const cap = Math.max(1, Math.floor(total * maxShare));
  const counts = groups.map((g) => Math.max(1, Math.round(g.rows / per)));
  let sum = counts.reduce((a, b) => a + b, 0);
  if (sum <= cap) return counts;
  // Too many small groups for the cap: keep one canary in every k-th group, evenly spread.
  for (let i = 0; i < counts.length; i++) counts[i] = Math.min(counts[i], 1);
  sum = counts.length;
  if (sum <= cap) return counts;
  const stride = sum / cap;
  return counts.map((_, i) => (Math.floor(i / stride) !== Math.floor((i + 1) / stride) ? 1 : 0));
}

/** Rows are handed to the marker in batches of about this many bytes (whole groups where they fit). */
const BATCH_BYTES = 1 << 20;

async function writeCopies(
  opts: IssueOptions,
  scan: RegistryScan,
  keys: ReturnType<typeof releaseKeys>,
  recipients: Recipient[],
  sinks: CopySink[],
  cutoff: number,
  runner: JobRunner,
): Promise<{ canaryTable: CanaryTable; canaryCount: number; perRecipient: number[] }> {
  const { schema } = scan;
  const R = recipients.length;
  const F = scan.header.length;
  const classes = classTable(schema.marks);
  const code = new CodeBook(keys.code, R, cutoff);
  const inclusion = new CodeBook(keys.canary, R, cutoff);
  const marker = new RowMarker(schema.marks, classes, code);
  const fingerprints = new Fingerprinter(keys.index);
  const canaryCtx = {
    schema,
    canaryKey: keys.canary,
    ids: new RecordIds(keys.record),
    fingerprints,
    taken: scan.taken,
    unique: new UniqueHasher(keys.index),
    canaryKeys: new Set<string>(),
    file: opts.registry,
  };
  const plan = planCanaries(scan.groups, schema.canaries.per, schema.canaries.maxShare);
  const canaryTable: CanaryTable = { groups: [] };
  const perRecipient = new Array<number>(R).fill(0);
  let canaryCount = 0;
  const variants: string[][] = Array.from({ length: R }, () => new Array<string>(schema.marks.length));
  const cells = new Array<string>(schema.marks.length);
  const included = new Uint8Array(R);
  // The columns a batch carries spans for: the key, then the marked columns by ordinal.
  const batchColumns = Int32Array.from([schema.key, ...schema.marks.map((m) => m.column)]);

  const header = Buffer.from(csvLine(scan.header) + '\n', 'utf8');
  for (const s of sinks) await s.write(header);

  const pool = new BufferPool(4 + 4 * runner.threads);
  const marking = new OrderedJobs<RenderedBatch>(runner, writeRendered);

  /** A canary's line for each recipient that gets it (marked like any row), null for the others. */
  const canaryLines = (c: Canary): (string | null)[] => {
    const P = inclusion.load(c.recordId, 0);
    inclusion.symbols(P, included);
    for (const mc of schema.marks) cells[mc.ordinal] = c.fields[mc.column];
    marker.mark(c.recordId, cells, variants);
    const out = c.fields.slice();
    const lines: (string | null)[] = new Array<string | null>(R).fill(null);
    for (let j = 0; j < R; j++) {
      if (included[j] === 0) continue;
      perRecipient[j]++;
      for (const mc of schema.marks) out[mc.column] = variants[j][mc.ordinal];
      lines[j] = csvLine(out) + '\n';
      sinks[j].rows++;
    }
    return lines;
  };

  const rows = new GroupRows(F);
  const inserts: CanaryLines[] = [];
  const ready: RowBatch[] = [];
  let seq = 0;
  let groupIndex = 0;
  let groupFirst = 0;
  let current: string | null = null;
  let currentRaw: Buffer | null = null;
  let done = 0;

  const endGroup = () => {
    const count = rows.count - groupFirst;
    if (current === null || count === 0) return;
    const n = plan[groupIndex];
    const canaries: Canary[] = n > 0 ? composeCanaries(canaryCtx, current, rows.view(groupFirst, count), n) : [];
    canaryTable.groups.push({
      value: current,
      rows: count,
      canaries: canaries.map((c) => ({ recordId: c.recordId, hashHi: c.hashHi, hashLo: c.hashLo, fingerprints: c.fingerprints })),
    });
    canaryCount += canaries.length;
    canaries.sort((a, b) => a.insertAt - b.insertAt);
    for (const c of canaries) inserts.push({ at: groupFirst + c.insertAt, lines: canaryLines(c) });
    groupIndex++;
    groupFirst = rows.count;
  };

  /** Cuts the rows held into batches of about BATCH_BYTES (at any row: canaries are placed already). */
  const cutBatches = () => {
    let first = 0;
    let k = 0;
    while (first < rows.count) {
      let end = first + 1;
      const limit = rows.rowBegin(first) + BATCH_BYTES;
      while (end < rows.count && rows.lineEnd(end) <= limit) end++;
      const mine: CanaryLines[] = [];
      const last = end === rows.count;
      while (k < inserts.length && (inserts[k].at < end || last)) {
        mine.push({ at: inserts[k].at - first, lines: inserts[k].lines });
        k++;
      }
      ready.push(rows.batch(seq++, first, end, batchColumns, mine, pool));
      for (let j = 0; j < R; j++) sinks[j].rows += end - first;
      first = end;
    }
    rows.clear();
    inserts.length = 0;
    groupFirst = 0;
  };

  const sendReady = async () => {
    while (ready.length > 0) {
      const batch = ready.shift()!;
      await marking.submit({ kind: 'mark', batch, out: pool.take(Math.ceil(R * batch.bytes.length * 1.1)) });
    }
  };

  opts.onProgress?.('write', 0, 0);
  await readRegistry(
    opts.registry,
    () => undefined,
    (r) => {
      if (!sameGroup(r, schema.group, currentRaw)) {
        let g = fieldString(r, schema.group[0]);
        for (let k = 1; k < schema.group.length; k++) g += '|' + fieldString(r, schema.group[k]);
        currentRaw = groupBytes(r, schema.group);
        if (g !== current) {
          endGroup();
          if (rows.size >= BATCH_BYTES) cutBatches();
          current = g;
        }
      }
      rows.add(r);
      done++;
      if (opts.onProgress && (done & 0xffff) === 0) opts.onProgress('write', done, r.offset);
    },
    sendReady,
  );
  endGroup();
  cutBatches();
  await sendReady();
  await marking.drain();
  if (done !== scan.rows) {
    throw new RollmarkError('IO_ERROR', `the registry changed while it was being issued (${scan.rows} rows, then ${done})`, {
      file: opts.registry,
    });
  }
  return { canaryTable, canaryCount, perRecipient };

  async function writeRendered(b: RenderedBatch): Promise<void> {
    for (const spent of b.spent) pool.give(spent);
    // The buffer is reused once every copy has written its part.
    let pending = R;
    const written = () => {
      if (--pending === 0) pool.give(b.data.buffer);
    };
    let at = 0;
    for (let j = 0; j < R; j++) {
      const end = b.ends[j];
      await sinks[j].write(Buffer.from(b.data.buffer, b.data.byteOffset + at, end - at), written);
      at = end;
    }
  }
}

async function writeReleaseData(
  vault: Vault,
  opts: IssueOptions,
  scan: RegistryScan,
  recipients: Recipient[],
  canaries: CanaryTable,
  cutoff: number,
  profiles: string,
  index: { entries: number[]; files: Uint8Array[] },
  claim: { nonce: string },
): Promise<{ sha256: string }> {
  const finalDir = vault.releaseDir(opts.release);
  const tempDir = path.join(path.dirname(finalDir), `.${opts.release}.partial-${process.pid}-${claim.nonce}`);
  await ensurePrivateDir(vault.releasesDir);
  try {
    return await fillReleaseData(tempDir, finalDir, vault, opts, scan, recipients, canaries, cutoff, profiles, index, claim);
  } catch (err) {
    // A failed write (a full disk) leaves no temporary folder behind.
    await fsp.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

async function fillReleaseData(
  tempDir: string,
  finalDir: string,
  vault: Vault,
  opts: IssueOptions,
  scan: RegistryScan,
  recipients: Recipient[],
  canaries: CanaryTable,
  cutoff: number,
  profiles: string,
  index: { entries: number[]; files: Uint8Array[] },
  claim: { nonce: string },
): Promise<{ sha256: string }> {
  const { createHash } = await import('node:crypto');
  await ensurePrivateDir(tempDir);
  // Names this run until the ledger records the release: the next issue of this id can tell an
  // issue under way from the debris of a killed one (recovery.ts).
  await writePrivateFile(path.join(tempDir, CLAIM_FILE), JSON.stringify(claim));
  const indexFiles: string[] = [];
  const entries = index.entries;
  for (let s = 0; s < index.files.length; s++) {
    const name = `index-${s}.bin`;
    await writePrivateFile(path.join(tempDir, name), Buffer.from(index.files[s].buffer, index.files[s].byteOffset, index.files[s].byteLength));
    indexFiles.push(name);
  }
  await writePrivateFile(path.join(tempDir, 'canaries.json'), JSON.stringify(canaries));
  const manifest: ReleaseManifest = {
    version: 1,
    release: opts.release,
    recipients: recipients.map((r) => ({ id: r.id, name: r.name })),
    header: scan.header,
    schema: scan.schema.source,
    registry: { file: path.basename(opts.registry), sha256: scan.sha256, rows: scan.rows },
    code: { cutoff, classes: classTable(scan.schema.marks).names },
    index: { files: indexFiles, entries },
    canaries: { file: 'canaries.json', count: canaries.groups.reduce((a, g) => a + g.canaries.length, 0), groups: canaries.groups.length },
    profiles: JSON.parse(profiles),
  };
  const text = JSON.stringify(manifest);
  await writePrivateFile(path.join(tempDir, 'manifest.json'), text);
  // The rename claims the release id: it fails when vault/releases/<id> exists (not empty).
  const claimId = async (): Promise<boolean> => {
    try {
      await fsp.rename(tempDir, finalDir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw ioError(err, finalDir);
    }
  };
  if (!(await claimId())) {
    // Another run's data appeared meanwhile: refused if it is live or recorded, else debris.
    await clearUnrecordedRelease(vault, opts.release);
    if (!(await claimId())) {
      throw new RollmarkError('RELEASE_REUSED', `release '${opts.release}' is being issued by another rollmark process right now`, { file: finalDir });
    }
  }
  return { sha256: createHash('sha256').update(text).digest('hex') };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  try {
    await fsp.writeFile(temp, text, { flag: 'w', mode: 0o644 });
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(err, file);
  }
}
