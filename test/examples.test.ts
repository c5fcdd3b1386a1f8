/**
 * The runnable examples in examples/: each is run as a user would (`node examples/X.mjs DIR`)
 * against the built package (dist/, which `npm test` builds first), in a fresh temp folder, and
 * its exit code and key output are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist', 'index.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 110_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: build first (npm run build; npm test does it)`);
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-examples-'));
});
afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

describe('examples/', () => {
  it('issue-from-stream.mjs: pipes a generated registry to a file and issues from it', async () => {
    const out = path.join(dir, 'issue');
    const r = await run(['examples/issue-from-stream.mjs', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/issued release LN-STREAM-01: 20000 registry rows/);
    expect(r.stdout).toMatch(/receipts: 3 valid; ledger: 4 entries, chain and signatures valid/);
    for (const id of ['PA', 'PR', 'PV']) {
      expect(fs.existsSync(path.join(out, 'copias', `${id}.csv`))).toBe(true);
      expect(fs.existsSync(path.join(out, 'copias', `${id}.receipt.json`))).toBe(true);
    }
  });

  it('trace-gzip.mjs: traces a gzip dump to the party that leaked it', async () => {
    const out = path.join(dir, 'gzip');
    const r = await run(['examples/trace-gzip.mjs', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verdict: ATTRIBUTED to PR \(Partido Rojo\) in release LN-GZIP-01$/m);
    expect(r.stdout).toMatch(/format found: gzip=true/);
    const gz = await fsp.readFile(path.join(out, 'encontrado.csv.gz'));
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const report = JSON.parse(await fsp.readFile(path.join(out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('attributed');
    expect(report.dump.format.gzip).toBe(true);
    expect(await fsp.readFile(path.join(out, 'report.html'), 'utf8')).toContain('data-verdict="attributed"');
  });

  it('verify-report.mjs: verifies with the public key alone, and rejects an altered report', async () => {
    // on its own: makes a report, verifies it, and shows a forged copy failing
    const own = await run(['examples/verify-report.mjs', path.join(dir, 'verify')]);
    expect(own.stderr).toBe('');
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^VALID: .*report\.json is signed by the key in .*issuer\.pub$/m);
    expect(own.stdout).toMatch(/a copy with the verdict changed: INVALID, as it should be/);

    // on given files: the trace-gzip example's report and public key
    const pub = path.join(dir, 'gzip', 'vault', 'issuer.pub');
    const reportFile = path.join(dir, 'gzip', 'report.json');
    expect(fs.existsSync(reportFile)).toBe(true);
    const ok = await run(['examples/verify-report.mjs', pub, reportFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^VALID: /);
    expect(ok.stdout).toMatch(/verdict attributed, release LN-GZIP-01/);

    // one value changed: exit 1
    const report = JSON.parse(await fsp.readFile(reportFile, 'utf8'));
    report.suspects[0].recipient = 'PA';
    const forged = path.join(dir, 'forged.json');
    await fsp.writeFile(forged, JSON.stringify(report));
    const bad = await run(['examples/verify-report.mjs', pub, forged]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^INVALID: /);

    // the wrong key: exit 1; a file that is no key: exit 1 naming it
    const other = path.join(dir, 'verify', 'given', 'issuer.pub');
    expect((await run(['examples/verify-report.mjs', other, reportFile])).code).toBe(1);
    const notKey = await run(['examples/verify-report.mjs', reportFile, reportFile]);
    expect(notKey.code).toBe(1);
    expect(notKey.stderr).toContain(`${reportFile}:1: not an Ed25519 public key`);
  });

  it('trace-shards.mjs: traces by shards and merges to the same signed report as one pass', async () => {
    const out = path.join(dir, 'shards');
    const r = await run(['examples/trace-shards.mjs', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/in 4 shards: \[0, \d+\)/);
    expect(r.stdout).toMatch(/^shard 3: bytes \[\d+, \d+\), \d+ rows read/m);
    expect(r.stdout).toMatch(/^merged: verdict attributed/m);
    expect(r.stdout).toMatch(/^ {2}\* PN {2}log10 p -\d+/m);
    expect(r.stdout).toMatch(/^signature valid: true$/m);
    expect(r.stdout).toMatch(/^same as a single traceDump: true$/m);
    for (let i = 0; i < 4; i++) {
      const state = JSON.parse(await fsp.readFile(path.join(out, `shard-${i}.json`), 'utf8'));
      expect(state.format).toBe('rollmark-trace-shard');
    }
  });

  it('demo.mjs: the whole story on a small registry', async () => {
    const out = path.join(dir, 'demo');
    const r = await run(['examples/demo.mjs', out], { ROLLMARK_DEMO_ROWS: '20000' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verdict: ATTRIBUTED to PV \(Partido Verde\)/m);
    expect(r.stdout).toMatch(/signature valid with the issuer's public key: true/);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  });
});
