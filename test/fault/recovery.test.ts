/**
 * What an interrupted `issue` leaves behind, and how the next run deals with it (the library,
 * in-process; kill.test.ts and disk-full.test.ts do the same with the built CLI and real kills):
 *
 *   - release data in the vault with no ledger entry (killed between its rename and the ledger
 *     append): debris when its writer is gone, replaced by the next issue of that id; refused
 *     while its writer runs; never removed when the ledger records the release;
 *   - temporary release-data folders of dead processes: swept by the next issue;
 *   - a failure after the ledger append: the temporary copies are kept, the error says --resume,
 *     and `resume` finishes them (checked against the ledger's sha256 and size) with receipts.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTIES, synthRegistry, tempDir } from '../e2e/fixture.js';
import { issueRelease, type IssueOptions } from '../../src/watermark/issue.js';
import { initVault, type Vault } from '../../src/vault/vault.js';
import { readLedger } from '../../src/vault/ledger.js';
import { verifyDocument } from '../../src/vault/documents.js';
import { RollmarkError } from '../../src/errors.js';
import { sha256File } from './support.js';

let dir: string;
let registry: string;
const recipients = PARTIES.slice(0, 3);
const now = () => new Date('2026-03-01T12:00:00Z');

beforeAll(async () => {
  dir = await tempDir('recovery');
  registry = path.join(dir, 'registry.csv');
  await synthRegistry(registry, 3000, 'recovery');
});
afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

let n = 0;
async function freshVault(): Promise<{ vault: Vault; out: string }> {
  const base = path.join(dir, `case-${++n}`);
  const vault = await initVault(path.join(base, 'vault'));
  return { vault, out: path.join(base, 'copies') };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function failure(p: Promise<unknown>): Promise<RollmarkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RollmarkError) return err;
    throw err;
  }
  throw new Error('expected a RollmarkError, nothing was thrown');
}

const issue = (vault: Vault, out: string, release: string, more: Partial<IssueOptions> = {}) =>
  issueRelease({ vault, registry, recipients, release, outDir: out, now, ...more });

/** Release data as a run killed before its ledger append leaves it. */
async function debris(vault: Vault, release: string, claim: object | null): Promise<string> {
  const d = vault.releaseDir(release);
  await fsp.mkdir(d, { recursive: true, mode: 0o700 });
  await fsp.writeFile(path.join(d, 'manifest.json'), '{"version":1}', { mode: 0o600 });
  if (claim) await fsp.writeFile(path.join(d, 'issuing.json'), JSON.stringify(claim), { mode: 0o600 });
  return d;
}

describe('release data with no ledger entry', () => {
  it('left by a dead process: the id is issued again, the debris replaced', async () => {
    const { vault, out } = await freshVault();
    await debris(vault, 'R1', { pid: deadPid(), host: os.hostname(), nonce: 'aaaa', started: now().toISOString() });
    const r = await issue(vault, out, 'R1');
    expect(r.copies).toHaveLength(3);
    const entries = await readLedger(vault.ledgerPath, vault.publicKey);
    expect(entries.filter((e) => e.data.release === 'R1')).toHaveLength(4);
    // The release data is this run's (its manifest is the one the ledger signs), with no claim left.
    expect(fs.readdirSync(vault.releaseDir('R1')).sort()).toEqual(['canaries.json', 'index-0.bin', 'index-1.bin', 'manifest.json']);
    expect(fs.readdirSync(vault.releasesDir)).toEqual(['R1']);
  });

  it('of an older rollmark (no claim), old enough: replaced; fresh: refused', async () => {
    const { vault, out } = await freshVault();
    const d = await debris(vault, 'R2', null);
    const err = await failure(issue(vault, out, 'R2'));
    expect(err.code).toBe('RELEASE_REUSED');
    expect(err.message).toMatch(/being issued by another rollmark process/);
    const old = new Date(Date.now() - 3600_000);
    await fsp.utimes(d, old, old);
    expect((await issue(vault, out, 'R2')).copies).toHaveLength(3);
  });

  it('of a process still running: refused, and left alone', async () => {
    const { vault, out } = await freshVault();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const d = await debris(vault, 'R3', { pid: child.pid, host: os.hostname(), nonce: 'bbbb', started: now().toISOString() });
      const err = await failure(issue(vault, out, 'R3'));
      expect(err.code).toBe('RELEASE_REUSED');
      expect(err.message).toContain(`rollmark process ${child.pid}`);
      expect(fs.existsSync(path.join(d, 'manifest.json'))).toBe(true);
      expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('never removes the data of a release the ledger records', async () => {
    const { vault, out } = await freshVault();
    await issue(vault, out, 'R4');
    const manifest = path.join(vault.releaseDir('R4'), 'manifest.json');
    const before = await fsp.readFile(manifest);
    // Even with a claim of a dead process in it (a kill after the append, before its removal).
    await fsp.writeFile(path.join(vault.releaseDir('R4'), 'issuing.json'), JSON.stringify({ pid: deadPid(), host: os.hostname(), nonce: 'c', started: '' }), { mode: 0o600 });
    const err = await failure(issue(vault, path.join(out, 'again'), 'R4'));
    expect(err.code).toBe('RELEASE_REUSED');
    expect((await fsp.readFile(manifest)).equals(before)).toBe(true);
  });
});

describe('temporary release-data folders', () => {
  it('of dead processes are removed by the next issue; those of live ones are kept', async () => {
    const { vault, out } = await freshVault();
    const dead = deadPid();
    const stale = [`.X1.partial-${dead}`, `.X2.partial-${dead}-0123abcd`, `.X3.discard-${dead}-ff00`];
    const live = `.X4.partial-${process.pid}-beef`;
    for (const name of [...stale, live]) {
      await fsp.mkdir(path.join(vault.releasesDir, name), { mode: 0o700 });
      await fsp.writeFile(path.join(vault.releasesDir, name, 'index-0.bin'), 'x', { mode: 0o600 });
    }
    await issue(vault, out, 'R5');
    expect(fs.readdirSync(vault.releasesDir).sort()).toEqual([live, 'R5'].sort());
  });
});

describe('a failure after the ledger append', () => {
  it('keeps the temporary copies, says --resume, and resume finishes them with receipts', async () => {
    const { vault, out } = await freshVault();
    // A folder where P2's receipt is written first: the receipt write fails after the append.
    const blocker = path.join(out, `.P2.receipt.json.partial-${process.pid}`);
    await fsp.mkdir(blocker, { recursive: true });
    const err = await failure(issue(vault, out, 'R6'));
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(/release 'R6' is recorded in the ledger: run the same rollmark issue command with --resume/);
    const entries = (await readLedger(vault.ledgerPath, vault.publicKey)).filter((e) => e.data.release === 'R6');
    const copies = entries.filter((e) => e.type === 'copy');
    expect(copies).toHaveLength(3);
    // P1 finished, P2 renamed but no receipt, P3 still under its temporary name: complete, as recorded.
    const left = fs.readdirSync(out);
    expect(left.filter((f) => !f.startsWith('.')).sort()).toEqual(['P1.csv', 'P1.receipt.json', 'P2.csv']);
    const p3 = left.filter((f) => f.startsWith('.P3.csv.partial-'));
    expect(p3).toHaveLength(1);
    expect(sha256File(path.join(out, p3[0]))).toBe(copies[2].data.sha256);

    // A plain re-run says what to do.
    const again = await failure(issue(vault, out, 'R6'));
    expect(again.code).toBe('RELEASE_REUSED');
    expect(again.message).toMatch(/was recorded in the ledger but 2 of its 3 copies in .* were not finished .*--resume/);

    await fsp.rm(blocker, { recursive: true });
    const ledgerBefore = await fsp.readFile(vault.ledgerPath);
    const r = await issue(vault, out, 'R6', { resume: true });
    expect(r.resumed).toBe(true);
    expect((await fsp.readFile(vault.ledgerPath)).equals(ledgerBefore)).toBe(true);
    expect(fs.readdirSync(out).sort()).toEqual(['P1.csv', 'P1.receipt.json', 'P2.csv', 'P2.receipt.json', 'P3.csv', 'P3.receipt.json']);
    expect(r.copies.map((c) => c.recipient)).toEqual(['P1', 'P2', 'P3']);
    for (const [j, c] of r.copies.entries()) {
      expect(sha256File(c.file)).toBe(copies[j].data.sha256);
      const receipt = JSON.parse(await fsp.readFile(c.receipt, 'utf8'));
      expect(verifyDocument(receipt, vault.publicKey)).toBe(true);
      expect(receipt).toMatchObject({ release: 'R6', recipient: c.recipient, sha256: c.sha256, rows: c.rows, time: copies[j].time });
    }
    // The canary counts come back from the vault's release data.
    expect(r.copies.reduce((a, c) => a + c.canaries, 0)).toBeGreaterThan(0);
    expect(r.canaries).toBe(entries.find((e) => e.type === 'release')!.data.canaries);

    // Resuming a finished release is a no-op that succeeds.
    const twice = await issue(vault, out, 'R6', { resume: true });
    expect(twice.copies.map((c) => c.sha256)).toEqual(r.copies.map((c) => c.sha256));
    const plain = await failure(issue(vault, out, 'R6'));
    expect(plain.message).toMatch(/was already issued/);
  });

  it('resume refuses a temporary copy that is not the one the ledger records, naming the recipient', async () => {
    const { vault, out } = await freshVault();
    await fsp.mkdir(path.join(out, `.P1.receipt.json.partial-${process.pid}`), { recursive: true });
    await failure(issue(vault, out, 'R7'));
    await fsp.rm(path.join(out, `.P1.receipt.json.partial-${process.pid}`), { recursive: true });
    const temp = fs.readdirSync(out).find((f) => f.startsWith('.P3.csv.partial-'))!;
    const file = path.join(out, temp);
    const bytes = await fsp.readFile(file);
    bytes[bytes.length - 2] ^= 1; // same size, other content
    await fsp.writeFile(file, bytes);
    const before = fs.readdirSync(out).sort();
    const err = await failure(issue(vault, out, 'R7', { resume: true }));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toMatch(/no complete copy for recipient P3/);
    expect(err.file).toBe(path.join(out, 'P3.csv'));
    expect(fs.readdirSync(out).sort(), 'a failed resume changes nothing').toEqual(before);
  });

  it('resume of a release the ledger never recorded issues it from the start', async () => {
    const { vault, out } = await freshVault();
    const r = await issue(vault, out, 'R8', { resume: true });
    expect(r.resumed).toBeUndefined();
    expect(r.copies).toHaveLength(3);
    // Resuming it now (finished) changes nothing and reports the same copies, canary counts included.
    const again = await issue(vault, out, 'R8', { resume: true });
    expect(again.resumed).toBe(true);
    const strip = (x: typeof r) => ({ ...x, resumed: undefined, copies: x.copies });
    expect(strip(again)).toEqual(strip(r));
  });
});
