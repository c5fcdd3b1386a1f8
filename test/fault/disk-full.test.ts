/**
 * A full disk under `rollmark issue` (the built CLI): the output folder is a 5 MB tmpfs, far too
 * small for 7 copies of a 20,000-row registry. The run must fail with one clear line (IO_ERROR,
 * naming a file in that folder), leave no copy that looks complete, and leave the vault's ledger
 * byte-equal and no release data behind. Needs root for `mount -t tmpfs`; skipped with a message
 * when the mount is refused.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, RECIPIENTS, expectOneLineFailure, rollmark } from './support.js';

let dir: string | undefined;
let small: string;
let mounted = false;
let why = '';
const mounts: string[] = [];

function tryMount(target: string, size = '5m'): boolean {
  if (process.platform !== 'linux') {
    why = 'not Linux';
    return false;
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', target], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    why = (r.error?.message ?? r.stderr ?? '').trim() || `exit ${r.status}`;
    return false;
  }
  mounts.push(target);
  return true;
}

beforeAll(async () => {
  if (!BUILT) return;
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-fault-disk-'));
  small = path.join(dir, 'small');
  fs.mkdirSync(small);
  mounted = tryMount(small);
  if (!mounted) console.warn(`full-disk test skipped: cannot mount a 5 MB tmpfs (${why})`);
});

afterAll(async () => {
  if (!dir) return;
  for (const m of mounts) spawnSync('umount', [m]);
  await fsp.rm(dir, { recursive: true, force: true });
});

describe.skipIf(!BUILT)('a full disk under rollmark issue', () => {
  it('fails with one IO_ERROR line naming the file; no complete-looking copy; ledger unchanged', async (ctx) => {
    if (!mounted) ctx.skip();
    const d = dir as string;
    const vault = path.join(d, 'vault');
    const registry = path.join(d, 'registry.csv');
    const recipients = path.join(d, 'recipients.csv');
    expect(rollmark(['init', '--vault', vault]).code).toBe(0);
    expect(rollmark(['synth', '--rows', '20000', '--out', registry, '--seed', 'disk-full']).code).toBe(0);
    await fsp.writeFile(recipients, RECIPIENTS);
    const ledger = path.join(vault, 'ledger.jsonl');
    const before = fs.readFileSync(ledger);
    const out = path.join(small, 'copies');

    const r = rollmark(['issue', '--vault', vault, '--registry', registry, '--recipients', recipients, '--release', 'DISK-01', '--out', out]);
    const line = expectOneLineFailure(r, 'IO_ERROR');
    // The line names a file in the full folder.
    expect(line).toContain(out);
    const files = fs.existsSync(out) ? fs.readdirSync(out) : [];
    expect(files.filter((f) => !f.startsWith('.')), `complete-looking files left: ${files.join(', ')}`).toEqual([]);
    expect(fs.readFileSync(ledger).equals(before), 'the ledger changed').toBe(true);
    expect(fs.existsSync(path.join(vault, 'releases', 'DISK-01')), 'release data left in the vault').toBe(false);
    console.log(`full disk: ${line}; left in the output folder: ${files.length ? files.join(', ') : 'nothing'}`);

    // Once there is room, the same release goes through: the failed run burned nothing.
    spawnSync('umount', [small]);
    mounts.splice(mounts.indexOf(small), 1);
    const again = rollmark(['issue', '--vault', vault, '--registry', registry, '--recipients', recipients, '--release', 'DISK-01', '--out', path.join(d, 'copies'), '--quiet']);
    expect(again.code, again.stderr).toBe(0);
  });

  it("fails cleanly when the vault's disk fills while the release data is written", async (ctx) => {
    if (!mounted) ctx.skip();
    const d = dir as string;
    const tiny = path.join(d, 'tiny');
    fs.mkdirSync(tiny);
    // Room for a vault's keys and ledger, not for a 20,000-row release's match index.
    if (!tryMount(tiny, '128k')) ctx.skip();
    const vault = path.join(tiny, 'vault');
    const registry = path.join(d, 'registry.csv');
    const recipients = path.join(d, 'recipients.csv');
    expect(rollmark(['init', '--vault', vault]).code).toBe(0);
    const ledger = path.join(vault, 'ledger.jsonl');
    const before = fs.readFileSync(ledger);
    const out = path.join(d, 'copies-tiny');
    const r = rollmark(['issue', '--vault', vault, '--registry', registry, '--recipients', recipients, '--release', 'DISK-02', '--out', out]);
    const line = expectOneLineFailure(r, 'IO_ERROR');
    expect(line).toContain(vault);
    const files = fs.existsSync(out) ? fs.readdirSync(out) : [];
    expect(files.filter((f) => !f.startsWith('.')), `complete-looking files left: ${files.join(', ')}`).toEqual([]);
    expect(fs.readFileSync(ledger).equals(before), 'the ledger changed').toBe(true);
    expect(fs.existsSync(path.join(vault, 'releases', 'DISK-02')), 'release data left in the vault').toBe(false);
    // Nor its temporary folder (`.DISK-02.partial-<pid>...`): the failed write cleans up after itself.
    expect(fs.readdirSync(path.join(vault, 'releases')), 'temporary release data left in the vault').toEqual([]);
    const verify = rollmark(['verify', '--vault', vault]);
    expect(verify.code, verify.stderr).toBe(0);
    const left = [...files, ...fs.readdirSync(path.join(vault, 'releases')).map((f) => `vault/releases/${f}`)];
    console.log(`full vault disk: ${line}; left behind: ${left.length ? left.join(', ') : 'nothing'}`);
  });
});
