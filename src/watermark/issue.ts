import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { CodeBook, RecordIds, canonicalKey } from '../code/codebook.js';
import { DEFAULT_CUTOFF } from '../code/bias.js';
import { Fingerprinter, encodeMatchTable } from '../code/match-index.js';
import { classTable } from '../code/marks.js';
import { releaseKeys, type CanaryTable, type ReleaseManifest } from '../code/release.js';
import { fieldString } from '../csv/scanner.js';
import { csvField, csvLine } from '../csv/write.js';
import { GroupRows, LineBuffer } from './group-rows.js';
import { readRegistry } from './registry-reader.js';
import { profileColumns, profilesToJSON } from '../schema/profile.js';
import type { SchemaFile } from '../schema/types.js';
import { appendLedger, readLedger } from '../vault/ledger.js';
import { signDocument } from '../vault/documents.js';
import { assertReleaseId, ensurePrivateDir, openVault, writePrivateFile, type Vault } from '../vault/vault.js';
import { toHex } from '../keys/hex.js';
import { composeCanaries, type Canary } from './canaries.js';
import { CopySink } from './copy-sink.js';
import { RowMarker } from './mark-row.js';
import { readRecipients, type Recipient } from './recipients.js';
import { scanRegistry, type RegistryScan } from './registry-scan.js';

export interface IssueOptions {
  /** An opened vault, or its folder. */
  vault: Vault | string;
  registry: string;
  /** The recipients, or the path of a recipients CSV (`id,name`). */
  recipients: Recipient[] | string;
  release: string;
  outDir: string;
  /** Required for any registry that is not the mx-ine layout. */
  schema?: SchemaFile;
  schemaFile?: string;
  /** Tardos bias cutoff; recorded in the manifest. */
  cutoff?: number;
  /** The clock for the ledger and receipts (tests pin it). */
  now?: () => Date;
  onProgress?: (phase: 'check' | 'write', rows: number) => void;
}

export interface IssuedCopy {
  recipient: string;
  name: string;
  file: string;
  receipt: string;
  sha256: string;
  rows: number;
  bytes: number;
  canaries: number;
}

export interface IssueResult {
  release: string;
  registryRows: number;
  canaries: number;
  copies: IssuedCopy[];
}

/** Receipt given to a recipient with its copy: what it received, signed by the issuer. */
export interface Receipt {
  version: 1;
  type: 'receipt';
  release: string;
  recipient: string;
  name: string;
  file: string;
  sha256: string;
  rows: number;
  bytes: number;
  time: string;
  issuer: string;
}

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

  const ledger = await readLedger(vault.ledgerPath, vault.publicKey);
  if (ledger.some((e) => e.data.release === opts.release)) {
    throw new RollmarkError('RELEASE_REUSED', `release '${opts.release}' was already issued; a release id can be issued once`, {
      file: vault.ledgerPath,
    });
  }
  const releaseDir = vault.releaseDir(opts.release);
  if (await exists(releaseDir)) {
    throw new RollmarkError('RELEASE_REUSED', `release '${opts.release}' already has data in the vault`, { file: releaseDir });
  }
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
  const scan = await scanRegistry(opts.registry, keys, opts.schema, opts.schemaFile, (n) => opts.onProgress?.('check', n));

  const sinks = recipients.map((r) => new CopySink(path.join(opts.outDir, `${r.id}.csv`)));
  try {
    const written = await writeCopies(opts, scan, keys, recipients, sinks, cutoff);
    const shas: string[] = [];
    for (const s of sinks) shas.push(await s.finish());

    const manifest = await writeReleaseData(vault, opts, scan, recipients, written.canaryTable, cutoff);
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
    return { release: opts.release, registryRows: scan.rows, canaries: written.canaryCount, copies };
  } catch (err) {
    await Promise.all(sinks.map((s) => s.abort().catch(() => undefined)));
    throw err;
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

async function writeCopies(
  opts: IssueOptions,
  scan: RegistryScan,
  keys: ReturnType<typeof releaseKeys>,
  recipients: Recipient[],
  sinks: CopySink[],
  cutoff: number,
): Promise<{ canaryTable: CanaryTable; canaryCount: number; perRecipient: number[] }> {
  const { schema } = scan;
  const R = recipients.length;
  const F = scan.header.length;
  const classes = classTable(schema.marks);
  const code = new CodeBook(keys.code, R, cutoff);
  const inclusion = new CodeBook(keys.canary, R, cutoff);
  const marker = new RowMarker(schema.marks, classes, code);
  const ids = new RecordIds(keys.record);
  const fingerprints = new Fingerprinter(keys.index);
  const canaryCtx = { schema, canaryKey: keys.canary, ids: new RecordIds(keys.record), fingerprints, taken: scan.taken, canaryKeys: new Set<string>() };
  const plan = planCanaries(scan.groups, schema.canaries.per, schema.canaries.maxShare);
  const canaryTable: CanaryTable = { groups: [] };
  const perRecipient = new Array<number>(R).fill(0);
  let canaryCount = 0;
  const variants: string[][] = Array.from({ length: R }, () => new Array<string>(schema.marks.length));
  const cells = new Array<string>(schema.marks.length);
  const included = new Uint8Array(R);
  const outs = recipients.map(() => new LineBuffer());
  // Marked columns in column order: a row is written as raw slices between them.
  const marked = [...schema.marks].sort((a, b) => a.column - b.column);

  const header = Buffer.from(csvLine(scan.header) + '\n', 'utf8');
  for (const o of outs) o.bytes(header, 0, header.length);

  const writeRegistryRow = (rows: GroupRows, i: number) => {
    for (const mc of schema.marks) cells[mc.ordinal] = rows.cell(i, mc.column);
    marker.mark(ids.compute(canonicalKey(rows.cell(i, schema.key))), cells, variants);
    const src = rows.bytes;
    const end = rows.rowFinish(i);
    for (let j = 0; j < R; j++) {
      const o = outs[j];
      const v = variants[j];
      let at = rows.rowBegin(i);
      for (const mc of marked) {
        if (v[mc.ordinal] === cells[mc.ordinal]) continue;
        o.bytes(src, at, rows.cellStart(i, mc.column));
        o.text(csvField(v[mc.ordinal]));
        at = rows.cellEnd(i, mc.column);
      }
      o.bytes(src, at, end);
      o.byte(10);
      sinks[j].rows++;
    }
  };

  const writeCanary = (c: Canary) => {
    const P = inclusion.load(c.recordId, 0);
    inclusion.symbols(P, included);
    for (const mc of schema.marks) cells[mc.ordinal] = c.fields[mc.column];
    marker.mark(c.recordId, cells, variants);
    const out = c.fields.slice();
    for (let j = 0; j < R; j++) {
      if (included[j] === 0) continue;
      perRecipient[j]++;
      for (const mc of schema.marks) out[mc.column] = variants[j][mc.ordinal];
      outs[j].text(csvLine(out) + '\n');
      sinks[j].rows++;
    }
  };

  const rows = new GroupRows(F);
  let groupIndex = 0;
  let current: string | null = null;
  let done = 0;
  const flushGroup = () => {
    if (current === null || rows.count === 0) return;
    const count = plan[groupIndex];
    const canaries: Canary[] = count > 0 ? composeCanaries(canaryCtx, current, rows, count) : [];
    canaryTable.groups.push({
      value: current,
      rows: rows.count,
      canaries: canaries.map((c) => ({ recordId: c.recordId, hashHi: c.hashHi, hashLo: c.hashLo, fingerprints: c.fingerprints })),
    });
    canaryCount += canaries.length;
    canaries.sort((a, b) => a.insertAt - b.insertAt);
    let next = 0;
    for (let i = 0; i <= rows.count; i++) {
      while (next < canaries.length && canaries[next].insertAt === i) writeCanary(canaries[next++]);
      if (i < rows.count) writeRegistryRow(rows, i);
    }
    groupIndex++;
    rows.clear();
  };

  const drain = async () => {
    for (let j = 0; j < R; j++) if (outs[j].pos >= 1 << 20) await sinks[j].write(outs[j].take());
  };

  await readRegistry(
    opts.registry,
    () => undefined,
    (r) => {
      let g = fieldString(r, schema.group[0]);
      for (let k = 1; k < schema.group.length; k++) g += '|' + fieldString(r, schema.group[k]);
      if (g !== current) {
        flushGroup();
        current = g;
      }
      rows.add(r);
      done++;
      if (opts.onProgress && (done & 0xffff) === 0) opts.onProgress('write', done);
    },
    drain,
  );
  flushGroup();
  for (let j = 0; j < R; j++) await sinks[j].write(outs[j].take());
  if (done !== scan.rows) {
    throw new RollmarkError('IO_ERROR', `the registry changed while it was being issued (${scan.rows} rows, then ${done})`, {
      file: opts.registry,
    });
  }
  return { canaryTable, canaryCount, perRecipient };
}

async function writeReleaseData(
  vault: Vault,
  opts: IssueOptions,
  scan: RegistryScan,
  recipients: Recipient[],
  canaries: CanaryTable,
  cutoff: number,
): Promise<{ sha256: string }> {
  const { createHash } = await import('node:crypto');
  const finalDir = vault.releaseDir(opts.release);
  const tempDir = path.join(path.dirname(finalDir), `.${opts.release}.partial-${process.pid}`);
  await fsp.rm(tempDir, { recursive: true, force: true });
  await ensurePrivateDir(vault.releasesDir);
  await ensurePrivateDir(tempDir);
  const indexFiles: string[] = [];
  const entries: number[] = [];
  for (let s = 0; s < scan.index.length; s++) {
    const name = `index-${s}.bin`;
    entries.push(scan.index[s].size);
    await writePrivateFile(path.join(tempDir, name), encodeMatchTable(scan.index[s].build()));
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
    profiles: JSON.parse(profilesToJSON(profileColumns(scan.header, scan.sample))),
  };
  const text = JSON.stringify(manifest);
  await writePrivateFile(path.join(tempDir, 'manifest.json'), text);
  await fsp.rename(tempDir, finalDir).catch((err) => {
    throw ioError(err, finalDir);
  });
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
    await fsp.rm(temp, { force: true });
    throw ioError(err, file);
  }
}
