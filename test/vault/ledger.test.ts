import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, signBytes } from '../../src/keys/sign.js';
import { appendLedger, GENESIS_PREV, readLedger, verifyLedger, type LedgerEntry } from '../../src/vault/ledger.js';
import { initVault, type Vault } from '../../src/vault/vault.js';
import { rejects, tempDir } from './helpers.js';

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A clock that ticks one second per call, from a fixed start. */
function clock(start = Date.UTC(2026, 1, 3, 10, 0, 0)) {
  let t = start;
  return () => new Date((t += 1000));
}

const RECORDS = [
  { type: 'copy.issued', data: { release: 'R1', recipient: 'MC', rows: 100, sha256: 'a'.repeat(64) } },
  { type: 'copy.issued', data: { release: 'R1', recipient: 'PRI', rows: 101, sha256: 'b'.repeat(64) } },
  { type: 'copy.issued', data: { release: 'R1', recipient: 'PAN', rows: 102, sha256: 'c'.repeat(64) } },
  { type: 'copy.issued', data: { release: 'R1', recipient: 'MORENA', rows: 103, sha256: 'd'.repeat(64) } },
];

async function vaultWithLedger(): Promise<{ vault: Vault; lines: string[] }> {
  const vault = await initVault(path.join(await tempDir(), 'vault'));
  await appendLedger(vault, RECORDS, { now: clock() });
  const lines = (await fs.readFile(vault.ledgerPath, 'utf8')).split('\n').slice(0, -1);
  return { vault, lines };
}

async function writeLines(vault: Vault, lines: string[]): Promise<void> {
  await fs.writeFile(vault.ledgerPath, lines.map((l) => l + '\n').join(''));
}

describe('appendLedger + readLedger', () => {
  it('reads an empty ledger as no entries', async () => {
    const vault = await initVault(path.join(await tempDir(), 'vault'));
    expect(await readLedger(vault.ledgerPath, vault.publicKey)).toEqual([]);
    expect((await verifyLedger(vault.ledgerPath, vault.publicKey)).head).toBe(GENESIS_PREV);
  });

  it('round-trips: seq from 1, prev chains the exact line bytes, time from the clock, canonical lines', async () => {
    const vault = await initVault(path.join(await tempDir(), 'vault'));
    const written = await appendLedger(vault, RECORDS.slice(0, 2), { now: clock() });
    const more = await appendLedger(vault, RECORDS.slice(2), { now: clock(Date.UTC(2026, 1, 4)) });
    const read = await readLedger(vault.ledgerPath, vault.publicKey);
    expect(read).toEqual([...written, ...more]);
    expect(read.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(read[0].time).toBe('2026-02-03T10:00:01.000Z');
    expect(read[0].data).toEqual(RECORDS[0].data);

    const lines = (await fs.readFile(vault.ledgerPath, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(read[0].prev).toBe(GENESIS_PREV);
    for (let i = 1; i < lines.length; i++) expect(read[i].prev).toBe(sha256hex(lines[i - 1]));
    lines.forEach((line, i) => expect(line).toBe(canonicalJson(read[i])));
    expect((await verifyLedger(vault.ledgerPath, vault.publicKey)).head).toBe(sha256hex(lines[3]));
  });

  it('appending nothing writes nothing', async () => {
    const { vault } = await vaultWithLedger();
    const before = await fs.readFile(vault.ledgerPath, 'utf8');
    expect(await appendLedger(vault, [])).toEqual([]);
    expect(await fs.readFile(vault.ledgerPath, 'utf8')).toBe(before);
  });

  it('refuses malformed records before touching the file', async () => {
    const vault = await initVault(path.join(await tempDir(), 'vault'));
    await rejects(() => appendLedger(vault, [{ type: '', data: {} }]), 'LEDGER_BAD_ENTRY');
    await rejects(() => appendLedger(vault, [{ type: 'x', data: [] as never }]), 'LEDGER_BAD_ENTRY');
    await rejects(() => appendLedger(vault, [{ type: 'x', data: { n: NaN } }]), 'LEDGER_BAD_ENTRY');
    expect(await fs.readFile(vault.ledgerPath, 'utf8')).toBe('');
  });

  it('refuses to append while another append holds the lock', async () => {
    const vault = await initVault(path.join(await tempDir(), 'vault'));
    // This very process holds it: a live writer.
    await fs.writeFile(vault.ledgerPath + '.lock', `${process.pid}\n`);
    const err = await rejects(() => appendLedger(vault, RECORDS), 'LEDGER_LOCKED');
    expect(err.file).toBe(vault.ledgerPath + '.lock');
    await fs.rm(vault.ledgerPath + '.lock');
    await appendLedger(vault, RECORDS);
    await expect(fs.access(vault.ledgerPath + '.lock')).rejects.toThrow();
  });

  it('takes over a lock left by a process that no longer runs (killed mid-append)', async () => {
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const vault = await initVault(path.join(await tempDir(), 'vault'));
    await fs.writeFile(vault.ledgerPath + '.lock', `${dead}\n`);
    await appendLedger(vault, RECORDS);
    expect((await fs.readFile(vault.ledgerPath, 'utf8')).split('\n').filter(Boolean)).toHaveLength(RECORDS.length);
  });
});

describe('tampering is detected at the first bad entry', () => {
  it('an edited field fails that entry\'s signature', async () => {
    const { vault, lines } = await vaultWithLedger();
    lines[1] = lines[1].replace('"rows":101', '"rows":1');
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_SIGNATURE');
    expect(err.file).toBe(vault.ledgerPath);
    expect(err.line).toBe(2);
    expect(err.message).toContain('seq 2');
    expect(err.format()).toMatch(/ledger\.jsonl:2: entry seq 2 has an invalid signature/);
  });

  it('two swapped lines break the chain at the first of them', async () => {
    const { vault, lines } = await vaultWithLedger();
    [lines[1], lines[2]] = [lines[2], lines[1]];
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BROKEN_CHAIN');
    expect(err.line).toBe(2);
    expect(err.message).toContain('seq 3');
  });

  it('a deleted middle line breaks the chain where it was', async () => {
    const { vault, lines } = await vaultWithLedger();
    lines.splice(1, 1);
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BROKEN_CHAIN');
    expect(err.line).toBe(2);
    expect(err.message).toContain('seq 3');
  });

  it('a deleted LAST line is not detectable by the chain alone', async () => {
    // Truncating the tail leaves a shorter ledger that is still a valid chain: nothing inside the
    // file says how long it was. Only the head hash recorded elsewhere (verify prints it; receipts
    // and published digests can carry it) shows the loss.
    const { vault, lines } = await vaultWithLedger();
    const headBefore = (await verifyLedger(vault.ledgerPath, vault.publicKey)).head;
    await writeLines(vault, lines.slice(0, -1));
    const after = await verifyLedger(vault.ledgerPath, vault.publicKey);
    expect(after.entries.length).toBe(3);
    expect(after.head).not.toBe(headBefore);
  });

  it('an entry whose prev was edited breaks the chain (and its signature)', async () => {
    const { vault, lines } = await vaultWithLedger();
    const entry = JSON.parse(lines[2]) as LedgerEntry;
    entry.prev = 'f'.repeat(64);
    lines[2] = canonicalJson(entry);
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BROKEN_CHAIN');
    expect(err.line).toBe(3);
  });

  it('a well-chained entry signed by another key fails its signature', async () => {
    const { vault, lines } = await vaultWithLedger();
    const stranger = await initVault(path.join(await tempDir(), 'stranger'));
    const entry = JSON.parse(lines[3]) as LedgerEntry;
    const { sig: _sig, ...unsigned } = entry;
    unsigned.data = { ...unsigned.data, recipient: 'NOBODY' };
    const sig = Buffer.from(signBytes(stranger.signingKey, new TextEncoder().encode(canonicalJson(unsigned)))).toString('hex');
    lines[3] = canonicalJson({ ...unsigned, sig });
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_SIGNATURE');
    expect(err.line).toBe(4);
    // And the whole ledger fails under the wrong public key, at line 1.
    const err2 = await rejects(() => readLedger(vault.ledgerPath, stranger.publicKey), 'LEDGER_BAD_SIGNATURE');
    expect(err2.line).toBe(1);
  });

  it('a line that is not JSON', async () => {
    const { vault, lines } = await vaultWithLedger();
    lines[2] = lines[2].slice(0, 40);
    await writeLines(vault, lines);
    const err = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_JSON');
    expect(err.line).toBe(3);
  });

  it('an empty line, a re-formatted line, a missing final newline, a stray field', async () => {
    const { vault, lines } = await vaultWithLedger();
    await writeLines(vault, [lines[0], '', ...lines.slice(1)]);
    expect((await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_JSON')).line).toBe(2);

    await writeLines(vault, [lines[0], JSON.stringify(JSON.parse(lines[1]), null, 0).replace(/,/g, ', '), ...lines.slice(2)]);
    const reformatted = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_ENTRY');
    expect(reformatted.line).toBe(2);
    expect(reformatted.message).toContain('canonical');

    await fs.writeFile(vault.ledgerPath, lines.join('\n'));
    const partial = await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_ENTRY');
    expect(partial.line).toBe(4);

    const extra = JSON.parse(lines[0]);
    extra.note = 'x';
    await writeLines(vault, [canonicalJson(extra), ...lines.slice(1)]);
    expect((await rejects(() => readLedger(vault.ledgerPath, vault.publicKey), 'LEDGER_BAD_ENTRY')).line).toBe(1);
  });

  it('appendLedger never extends a damaged ledger', async () => {
    const { vault, lines } = await vaultWithLedger();
    lines.splice(1, 1);
    await writeLines(vault, lines);
    const before = await fs.readFile(vault.ledgerPath, 'utf8');
    await rejects(() => appendLedger(vault, RECORDS), 'LEDGER_BROKEN_CHAIN');
    expect(await fs.readFile(vault.ledgerPath, 'utf8')).toBe(before);
    await expect(fs.access(vault.ledgerPath + '.lock')).rejects.toThrow();
  });

  it('a missing ledger file is named', async () => {
    const file = path.join(await tempDir(), 'none.jsonl');
    const err = await rejects(() => readLedger(file, new Uint8Array(32)), 'FILE_NOT_FOUND');
    expect(err.file).toMatch(/none\.jsonl$/);
  });
});
