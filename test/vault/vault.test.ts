import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeyOf } from '../../src/keys/sign.js';
import {
  assertPrivate,
  closeVault,
  ensurePrivateDir,
  initVault,
  openVault,
  writePrivateFile,
} from '../../src/vault/vault.js';
import { modeOf, rejects, tempDir } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('initVault', () => {
  it('creates the secrets, the public key, an empty ledger and releases/, with the right modes', async () => {
    const dir = path.join(await tempDir(), 'vault');
    const vault = await initVault(dir);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(path.join(dir, 'master.key'))).toBe(0o600);
    expect(await modeOf(path.join(dir, 'issuer.key'))).toBe(0o600);
    expect(await modeOf(path.join(dir, 'issuer.pub'))).toBe(0o644);
    expect(await modeOf(path.join(dir, 'ledger.jsonl'))).toBe(0o644);
    expect(await modeOf(path.join(dir, 'releases'))).toBe(0o700);
    expect((await fs.readdir(dir)).sort()).toEqual(['issuer.key', 'issuer.pub', 'ledger.jsonl', 'master.key', 'releases']);

    const master = await fs.readFile(path.join(dir, 'master.key'), 'utf8');
    const pub = await fs.readFile(path.join(dir, 'issuer.pub'), 'utf8');
    expect(master).toMatch(/^[0-9a-f]{64}\n$/);
    expect(pub).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await fs.readFile(path.join(dir, 'ledger.jsonl'), 'utf8')).toBe('');
    expect(pub.trim()).toBe(hex(vault.publicKey));
    expect(hex(publicKeyOf(vault.signingKey))).toBe(hex(vault.publicKey));
    expect(master.trim()).toBe(hex(vault.master));
  });

  it('refuses a second init and leaves the first vault untouched', async () => {
    const dir = path.join(await tempDir(), 'vault');
    await initVault(dir);
    const before = await fs.readFile(path.join(dir, 'master.key'), 'utf8');
    const err = await rejects(() => initVault(dir), 'VAULT_EXISTS');
    expect(err.file).toBe(dir);
    expect(await fs.readFile(path.join(dir, 'master.key'), 'utf8')).toBe(before);
  });

  it('uses an existing empty folder, refuses a non-empty one or a file', async () => {
    const empty = await tempDir();
    await fs.chmod(empty, 0o755);
    await initVault(empty);
    expect(await modeOf(empty)).toBe(0o700);

    const full = await tempDir();
    await fs.writeFile(path.join(full, 'notes.txt'), 'x');
    await rejects(() => initVault(full), 'VAULT_EXISTS');
    expect(await fs.readdir(full)).toEqual(['notes.txt']);

    const file = path.join(await tempDir(), 'plain');
    await fs.writeFile(file, '');
    await rejects(() => initVault(file), 'VAULT_EXISTS');
  });

  it('gives every vault its own secrets', async () => {
    const root = await tempDir();
    const a = await initVault(path.join(root, 'a'));
    const b = await initVault(path.join(root, 'b'));
    expect(hex(a.master)).not.toBe(hex(b.master));
    expect(hex(a.signingKey)).not.toBe(hex(b.signingKey));
  });
});

describe('openVault', () => {
  it('reads back what init wrote', async () => {
    const dir = path.join(await tempDir(), 'v');
    const made = await initVault(dir);
    const vault = await openVault(dir);
    expect(hex(vault.master)).toBe(hex(made.master));
    expect(hex(vault.signingKey)).toBe(hex(made.signingKey));
    expect(hex(vault.publicKey)).toBe(hex(made.publicKey));
    expect(vault.ledgerPath).toBe(path.join(dir, 'ledger.jsonl'));
    expect(vault.releasesDir).toBe(path.join(dir, 'releases'));
    expect(vault.releaseDir('LN-2026-02')).toBe(path.join(dir, 'releases', 'LN-2026-02'));
    closeVault(vault);
    expect(vault.master.every((b) => b === 0)).toBe(true);
  });

  it('refuses release ids that could leave the releases folder', async () => {
    const vault = await initVault(path.join(await tempDir(), 'v'));
    for (const id of ['..', '../x', 'a/b', '', '.hidden', 'x'.repeat(65)]) {
      expect(() => vault.releaseDir(id)).toThrow(/release id/);
    }
  });

  it('refuses a master.key readable by others, naming the file and mode, never the secret', async () => {
    const dir = path.join(await tempDir(), 'vault');
    await initVault(dir);
    const secret = (await fs.readFile(path.join(dir, 'master.key'), 'utf8')).trim();
    await fs.chmod(path.join(dir, 'master.key'), 0o644);
    const err = await rejects(() => openVault(dir), 'VAULT_PERMISSIONS');
    expect(err.file).toBe(path.join(dir, 'master.key'));
    expect(err.format()).toBe(`${path.join(dir, 'master.key')}: mode 0644 is readable by group or others; run chmod 600 [VAULT_PERMISSIONS]`);
    expect(err.format()).not.toContain(secret);
  });

  it('refuses a 0755 folder anywhere inside, and a group-writable file deep down', async () => {
    const dir = path.join(await tempDir(), 'vault');
    await initVault(dir);
    const sub = path.join(dir, 'releases', 'R1');
    await fs.mkdir(sub, { mode: 0o700 });
    await fs.chmod(sub, 0o755);
    const err = await rejects(() => openVault(dir), 'VAULT_PERMISSIONS');
    expect(err.file).toBe(sub);
    expect(err.message).toBe('mode 0755 is readable by group or others; run chmod 700');

    await fs.chmod(sub, 0o700);
    await fs.writeFile(path.join(sub, 'index.bin'), 'x', { mode: 0o600 });
    await fs.chmod(path.join(sub, 'index.bin'), 0o620);
    const err2 = await rejects(() => openVault(dir), 'VAULT_PERMISSIONS');
    expect(err2.file).toBe(path.join(sub, 'index.bin'));
    expect(err2.message).toContain('writable');
  });

  it('refuses an open vault folder, allows the public files to be world-readable', async () => {
    const dir = path.join(await tempDir(), 'vault');
    await initVault(dir);
    await fs.chmod(path.join(dir, 'issuer.pub'), 0o644);
    await fs.chmod(path.join(dir, 'ledger.jsonl'), 0o644);
    await openVault(dir);
    await fs.chmod(dir, 0o711);
    const err = await rejects(() => openVault(dir), 'VAULT_PERMISSIONS');
    expect(err.file).toBe(dir);
  });

  it('names a missing vault, a damaged key file (without its content) and a mismatched issuer.pub', async () => {
    const root = await tempDir();
    await rejects(() => openVault(path.join(root, 'nowhere')), 'VAULT_MISSING');

    const dir = path.join(root, 'vault');
    await initVault(dir);
    await fs.writeFile(path.join(dir, 'issuer.key'), 'deadbeef-secret-ish\n');
    const err = await rejects(() => openVault(dir), 'VAULT_CORRUPT');
    expect(err.file).toBe(path.join(dir, 'issuer.key'));
    expect(err.format()).not.toContain('deadbeef');

    const other = path.join(root, 'other');
    await initVault(other);
    const dir2 = path.join(root, 'vault2');
    await initVault(dir2);
    await fs.copyFile(path.join(other, 'issuer.pub'), path.join(dir2, 'issuer.pub'));
    const err2 = await rejects(() => openVault(dir2), 'VAULT_CORRUPT');
    expect(err2.file).toBe(path.join(dir2, 'issuer.pub'));

    const dir3 = path.join(root, 'vault3');
    await initVault(dir3);
    await fs.rm(path.join(dir3, 'ledger.jsonl'));
    const err3 = await rejects(() => openVault(dir3), 'VAULT_CORRUPT');
    expect(err3.message).toContain('incomplete');
  });
});

describe('private files', () => {
  it('writePrivateFile writes 0600 atomically, replaces, and leaves no temporary file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'index.bin');
    await writePrivateFile(file, new Uint8Array([1, 2, 3]));
    expect(await modeOf(file)).toBe(0o600);
    expect([...(await fs.readFile(file))]).toEqual([1, 2, 3]);
    await writePrivateFile(file, 'second');
    expect(await fs.readFile(file, 'utf8')).toBe('second');
    expect(await fs.readdir(dir)).toEqual(['index.bin']);
    await assertPrivate(file);
  });

  it('writePrivateFile names the file when its folder is missing', async () => {
    const file = path.join(await tempDir(), 'no', 'such', 'x.bin');
    const err = await rejects(() => writePrivateFile(file, 'x'), 'FILE_NOT_FOUND');
    expect(err.file).toBe(file);
  });

  it('ensurePrivateDir makes 0700 folders; assertPrivate refuses an open one', async () => {
    const dir = path.join(await tempDir(), 'a', 'b');
    await ensurePrivateDir(dir);
    expect(await modeOf(dir)).toBe(0o700);
    await fs.chmod(dir, 0o750);
    await rejects(() => assertPrivate(dir), 'VAULT_PERMISSIONS');
    await ensurePrivateDir(dir);
    await assertPrivate(dir);
  });
});
