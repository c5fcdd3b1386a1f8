/**
 * The issuer's vault: a folder holding the master secret, the Ed25519 signing key, the public key,
 * the ledger and per-release binary data.
 *
 *   DIR/              0700
 *     master.key      0600  64 hex chars + newline: 32 random bytes, the root of every release key
 *     issuer.key      0600  64 hex chars + newline: the Ed25519 secret key (RFC 8032 seed)
 *     issuer.pub      0644  64 hex chars + newline: the Ed25519 public key
 *     ledger.jsonl    0644  signed, hash-chained ledger (see ledger.ts)
 *     releases/       0700  one private folder per release, written by the issue engine
 *
 * issuer.pub and ledger.jsonl are public (they are what an auditor verifies with); every other
 * file and folder at any depth is private, and openVault refuses to read secrets from a vault in
 * which any of them is open to group or others, as ssh does with its keys. Secret bytes never
 * reach an error message.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants as FS } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { parseHex, toHex } from '../keys/hex.js';
import { generateSigningKey, publicKeyOf } from '../keys/sign.js';

export const MASTER_KEY_FILE = 'master.key';
export const SIGNING_KEY_FILE = 'issuer.key';
export const PUBLIC_KEY_FILE = 'issuer.pub';
export const LEDGER_FILE = 'ledger.jsonl';
export const RELEASES_DIR = 'releases';

/** Vault files anyone may read; everything else in the vault is private. */
const PUBLIC_FILES: ReadonlySet<string> = new Set([PUBLIC_KEY_FILE, LEDGER_FILE]);

/** Release ids name folders, so they are kept to a portable, traversal-free alphabet. */
export const RELEASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Group and other permission bits: any of them makes a private file or folder unsafe. */
const OPEN_BITS = 0o077;

/** An opened vault: its secrets in memory and where its parts live. */
export interface Vault {
  dir: string;
  /** 32-byte master secret; derive release keys from it with deriveReleaseKey. */
  master: Uint8Array;
  /** 32-byte Ed25519 secret key. */
  signingKey: Uint8Array;
  /** 32-byte Ed25519 public key (matches issuer.pub). */
  publicKey: Uint8Array;
  ledgerPath: string;
  releasesDir: string;
  /** The private folder for one release's binary data (not created here; see ensurePrivateDir). */
  releaseDir(id: string): string;
}

/** Throws a USAGE error unless `id` is a usable release id. */
export function assertReleaseId(id: string): void {
  if (typeof id !== 'string' || !RELEASE_ID_PATTERN.test(id)) {
    throw new RollmarkError(
      'USAGE',
      `release id '${String(id)}' must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
}

/**
 * Creates a vault in `dir` (which must not exist or be an empty folder) and returns it opened.
 * Refuses an existing non-empty folder with VAULT_EXISTS. Every file is created exclusively, so
 * two concurrent inits cannot both succeed; a crash part-way leaves a vault that openVault
 * refuses as incomplete (remove it and run init again).
 */
export async function initVault(dir: string): Promise<Vault> {
  let existing: string[] | null = null;
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw new RollmarkError('VAULT_EXISTS', 'exists and is not a folder; refusing to overwrite it', { file: dir });
    existing = await fs.readdir(dir);
  } catch (err) {
    if (err instanceof RollmarkError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, dir);
  }
  if (existing !== null && existing.length > 0) {
    throw new RollmarkError('VAULT_EXISTS', 'already exists and is not empty; refusing to overwrite a vault', { file: dir });
  }
  if (existing === null) {
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw ioError(err, dir);
    }
  }
  await chmod(dir, 0o700); // mkdir's mode passes through the umask; say exactly what we mean.

  const master = new Uint8Array(randomBytes(32));
  const signingKey = generateSigningKey();
  const publicKey = publicKeyOf(signingKey);
  try {
    // master.key first: it is the marker a concurrent init collides on.
    await createFileExclusive(path.join(dir, MASTER_KEY_FILE), `${toHex(master)}\n`, 0o600);
    await createFileExclusive(path.join(dir, SIGNING_KEY_FILE), `${toHex(signingKey)}\n`, 0o600);
    await createFileExclusive(path.join(dir, PUBLIC_KEY_FILE), `${toHex(publicKey)}\n`, 0o644);
    await createFileExclusive(path.join(dir, LEDGER_FILE), '', 0o644);
    await ensurePrivateDir(path.join(dir, RELEASES_DIR));
    await fsyncDir(dir);
  } catch (err) {
    master.fill(0);
    signingKey.fill(0);
    if (err instanceof RollmarkError && err.code === 'FILE_EXISTS') {
      throw new RollmarkError('VAULT_EXISTS', 'another process is creating a vault here', { file: dir });
    }
    throw err;
  }
  return makeVault(dir, master, signingKey, publicKey);
}

/**
 * Opens the vault in `dir`: checks every file and folder's permissions first (VAULT_PERMISSIONS
 * for the first private one open to group or others), then reads the secrets (VAULT_CORRUPT when
 * a key file is damaged or issuer.pub does not match issuer.key).
 */
export async function openVault(dir: string): Promise<Vault> {
  await checkVaultPermissions(dir);
  for (const name of [MASTER_KEY_FILE, SIGNING_KEY_FILE, PUBLIC_KEY_FILE, LEDGER_FILE]) {
    try {
      await fs.access(path.join(dir, name), FS.R_OK);
    } catch {
      throw new RollmarkError('VAULT_CORRUPT', `vault is incomplete: ${name} is missing or unreadable`, {
        file: path.join(dir, name),
      });
    }
  }
  const master = await readKeyFile(path.join(dir, MASTER_KEY_FILE), 'master secret');
  const signingKey = await readKeyFile(path.join(dir, SIGNING_KEY_FILE), 'signing key');
  const publicKey = await readKeyFile(path.join(dir, PUBLIC_KEY_FILE), 'public key');
  const derived = publicKeyOf(signingKey);
  if (toHex(derived) !== toHex(publicKey)) {
    master.fill(0);
    signingKey.fill(0);
    throw new RollmarkError('VAULT_CORRUPT', `does not hold the public key of ${SIGNING_KEY_FILE}`, {
      file: path.join(dir, PUBLIC_KEY_FILE),
    });
  }
  return makeVault(dir, master, signingKey, publicKey);
}

/** Zeroes the vault's secrets in memory; the Vault must not be used afterwards. */
export function closeVault(vault: Vault): void {
  vault.master.fill(0);
  vault.signingKey.fill(0);
}

/**
 * Walks the vault and throws VAULT_PERMISSIONS for the first private file or folder (anything but
 * issuer.pub and ledger.jsonl at the top, including the vault folder itself) with any group or
 * other permission bit; VAULT_MISSING when `dir` is not a vault folder. Reads no secrets.
 * Symbolic links are judged by their target and not followed into. On Windows, where POSIX modes
 * do not describe access, the check is skipped.
 */
export async function checkVaultPermissions(dir: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RollmarkError('VAULT_MISSING', 'no vault here (run rollmark init --vault DIR)', { file: dir });
    }
    throw ioError(err, dir);
  }
  if (!st.isDirectory()) throw new RollmarkError('VAULT_MISSING', 'is not a vault folder', { file: dir });
  try {
    await fs.access(path.join(dir, MASTER_KEY_FILE));
  } catch {
    throw new RollmarkError('VAULT_MISSING', `no vault here: ${MASTER_KEY_FILE} is missing (run rollmark init --vault DIR)`, {
      file: dir,
    });
  }
  if (process.platform === 'win32') return;
  checkMode(dir, st.mode, true);
  await walk(dir, true);
}

async function walk(folder: string, top: boolean): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (err) {
    throw ioError(err, folder);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (top && PUBLIC_FILES.has(entry.name) && entry.isFile()) continue;
    let st;
    try {
      st = await fs.stat(full);
    } catch (err) {
      throw ioError(err, full);
    }
    checkMode(full, st.mode, st.isDirectory());
    if (entry.isDirectory()) await walk(full, false);
  }
}

function checkMode(file: string, mode: number, isDir: boolean): void {
  if ((mode & OPEN_BITS) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  const access = (mode & 0o044) !== 0 ? 'readable' : (mode & 0o022) !== 0 ? 'writable' : 'accessible';
  throw new RollmarkError(
    'VAULT_PERMISSIONS',
    `mode ${octal} is ${access} by group or others; run chmod ${isDir ? '700' : '600'}`,
    { file },
  );
}

/** Throws VAULT_PERMISSIONS unless the file or folder at `file` is closed to group and others. */
export async function assertPrivate(file: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    throw ioError(err, file);
  }
  if (process.platform !== 'win32') checkMode(file, st.mode, st.isDirectory());
}

/** Creates `dir` (and missing parents) as a private folder, 0700, or tightens an existing one. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(err, dir);
  }
  await chmod(dir, 0o700);
}

/**
 * Writes `data` to `file` as a private file (0600), atomically: a temporary name in the same
 * folder, fsync, rename over `file`, fsync of the folder. Readers see the old content or the new,
 * never a torn file; a crash leaves at most a `.<name>.*.tmp` file behind.
 */
export async function writePrivateFile(file: string, data: Uint8Array | string): Promise<void> {
  const folder = path.dirname(file);
  const temp = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, file);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw ioError(err, file);
  }
  await fsyncDir(folder);
}

// ---------------------------------------------------------------------------------------------

function makeVault(dir: string, master: Uint8Array, signingKey: Uint8Array, publicKey: Uint8Array): Vault {
  const releasesDir = path.join(dir, RELEASES_DIR);
  return {
    dir,
    master,
    signingKey,
    publicKey,
    ledgerPath: path.join(dir, LEDGER_FILE),
    releasesDir,
    releaseDir(id: string): string {
      assertReleaseId(id);
      return path.join(releasesDir, id);
    },
  };
}

async function readKeyFile(file: string, what: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw ioError(err, file);
  }
  // (A JS string cannot be wiped; the bytes that matter are the Uint8Array returned.)
  const bytes = parseHex(text.replace(/\r?\n$/, ''), 32);
  if (bytes === null) {
    // The content may be a secret: describe the problem, never the bytes.
    throw new RollmarkError('VAULT_CORRUPT', `${what} is not 64 hex characters`, { file, line: 1 });
  }
  return bytes;
}

async function createFileExclusive(file: string, data: string, mode: number): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'wx', mode);
    await handle.chmod(mode); // exactly `mode`: open()'s mode passes through the umask
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function chmod(file: string, mode: number): Promise<void> {
  try {
    await fs.chmod(file, mode);
  } catch (err) {
    throw ioError(err, file);
  }
}

/** Makes a rename or create in `folder` durable. Not every platform can open a folder: best effort. */
async function fsyncDir(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a folder; the data itself was already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
