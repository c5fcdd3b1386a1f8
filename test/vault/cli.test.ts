import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { signDocument } from '../../src/vault/documents.js';
import { appendLedger } from '../../src/vault/ledger.js';
import { openVault } from '../../src/vault/vault.js';
import { tempDir } from './helpers.js';

/** Runs the CLI in-process and captures what it writes. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    ({ write: (chunk: string | Uint8Array) => (append(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

const lines = (s: string) => s.split('\n').filter(Boolean);

describe('rollmark init', () => {
  it('creates a vault, prints nothing on stdout and one line on stderr', async () => {
    const dir = path.join(await tempDir(), 'vault');
    const r = await cli('init', '--vault', dir);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(path.join(dir, 'issuer.pub'));
    expect((await fs.readdir(dir)).sort()).toEqual(['issuer.key', 'issuer.pub', 'ledger.jsonl', 'master.key', 'releases']);
  });

  it('exits 1 naming the vault when it already exists', async () => {
    const dir = path.join(await tempDir(), 'vault');
    await cli('init', '--vault', dir);
    const r = await cli('init', '--vault', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([`rollmark: ${dir}: already exists and is not empty; refusing to overwrite a vault [VAULT_EXISTS]`]);
  });

  it('exits 2 with usage on a usage error', async () => {
    const r = await cli('init');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --vault/);
    expect(r.stderr).toMatch(/usage: rollmark init --vault DIR/);
    expect((await cli('init', '--vault', 'x', '--bogus')).code).toBe(2);
  });
});

describe('rollmark verify', () => {
  async function issued() {
    const root = await tempDir();
    const dir = path.join(root, 'vault');
    await cli('init', '--vault', dir);
    const vault = await openVault(dir);
    await appendLedger(vault, [
      { type: 'copy.issued', data: { release: 'R1', recipient: 'A' } },
      { type: 'copy.issued', data: { release: 'R1', recipient: 'B' } },
    ]);
    return { root, dir, vault };
  }

  it('checks the vault ledger by default, or a named ledger with a public key file', async () => {
    const { dir } = await issued();
    const r = await cli('verify', '--vault', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/ledger\.jsonl: 2 entries, chain and signatures valid; head sha256 [0-9a-f]{64}/);

    const copy = path.join(dir, '..', 'copy.jsonl');
    await fs.copyFile(path.join(dir, 'ledger.jsonl'), copy);
    const r2 = await cli('verify', '--public-key', path.join(dir, 'issuer.pub'), '--ledger', copy);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain('copy.jsonl: 2 entries');
  });

  it('exits 1 naming the file, line and first bad entry of a tampered ledger', async () => {
    const { dir } = await issued();
    const ledger = path.join(dir, 'ledger.jsonl');
    const text = await fs.readFile(ledger, 'utf8');
    await fs.writeFile(ledger, text.replace('"recipient":"B"', '"recipient":"C"'));
    const r = await cli('verify', '--vault', dir);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `rollmark: ${ledger}:2: entry seq 2 has an invalid signature: it was altered or signed by another key [LEDGER_BAD_SIGNATURE]`,
    ]);
  });

  it('refuses a vault with an open private file', async () => {
    const { dir } = await issued();
    await fs.chmod(path.join(dir, 'issuer.key'), 0o640);
    const r = await cli('verify', '--vault', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[VAULT_PERMISSIONS]');
  });

  it('verifies signed reports and receipts, and names a tampered one', async () => {
    const { root, dir, vault } = await issued();
    const report = path.join(root, 'report.json');
    const receipt = path.join(root, 'A.receipt.json');
    await fs.writeFile(report, JSON.stringify(signDocument({ version: 1, tool: 'rollmark', verdict: 'attributed', release: 'R1', suspects: [], dump: { rows: 10 } }, vault.signingKey)));
    await fs.writeFile(receipt, JSON.stringify(signDocument({ type: 'receipt', release: 'R1', recipient: 'A', rows: 10 }, vault.signingKey)));
    const pub = path.join(dir, 'issuer.pub');

    const ok = await cli('verify', '--public-key', pub, '--report', report);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`${report}: report signature valid\n`);
    expect((await cli('verify', '--vault', dir, '--receipt', receipt)).code).toBe(0);

    const doc = JSON.parse(await fs.readFile(receipt, 'utf8'));
    doc.rows = 11;
    await fs.writeFile(receipt, JSON.stringify(doc));
    const bad = await cli('verify', '--public-key', pub, '--receipt', receipt);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${receipt}: receipt signature is invalid`);
    expect(bad.stderr).toContain('[RECEIPT_INVALID]');
  });

  it('exits 2 on usage errors and 1 on a bad public key file', async () => {
    const { root, dir } = await issued();
    expect((await cli('verify')).code).toBe(2);
    expect((await cli('verify', '--vault', dir, '--public-key', path.join(dir, 'issuer.pub'))).code).toBe(2);
    expect((await cli('verify', '--public-key', path.join(dir, 'issuer.pub'))).code).toBe(2);
    const badKey = path.join(root, 'bad.pub');
    await fs.writeFile(badKey, 'nope\n');
    const r = await cli('verify', '--public-key', badKey, '--ledger', path.join(dir, 'ledger.jsonl'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[PUBLIC_KEY_INVALID]');
  });
});
