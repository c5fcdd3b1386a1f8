/**
 * The worker path of `issue`, against the built package: worker threads run compiled code
 * (dist/issue-worker.js and .cjs, found beside the module that starts them), which the TypeScript
 * sources under test cannot provide. `npm test` builds first; without a build these tests skip
 * with a message (the sources' own tests cover the calling-thread path).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARTIES, synthRegistry, tempDir } from '../e2e/fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const BUILT = ['index.js', 'index.cjs', 'issue-worker.js', 'issue-worker.cjs'].every((f) => fs.existsSync(path.join(DIST, f)));
if (!BUILT) console.warn('issue worker tests skipped: dist/ has no issue worker (run `npm run build`; `npm test` does)');

type Api = typeof import('../../src/index.js');

async function sha(file: string): Promise<string> {
  return crypto.createHash('sha256').update(await fsp.readFile(file)).digest('hex');
}

/** Issues release R1 from a copy of `vault` and returns the sha256 of every file it made. */
async function issue(api: Api, vault: string, registry: string, workers: number | undefined, label: string): Promise<Record<string, string>> {
  const dir = await tempDir(`workers-${label}`);
  const v = path.join(dir, 'vault');
  await fsp.cp(vault, v, { recursive: true });
  const out = path.join(dir, 'copies');
  await api.issueRelease({
    vault: v,
    registry,
    recipients: PARTIES,
    release: 'R1',
    outDir: out,
    workers,
    now: () => new Date('2026-03-01T12:00:00Z'),
  });
  const sums: Record<string, string> = {};
  for (const f of await fsp.readdir(out)) if (f.endsWith('.csv')) sums[f] = await sha(path.join(out, f));
  const rel = path.join(v, 'releases', 'R1');
  for (const f of await fsp.readdir(rel)) sums[`releases/${f}`] = await sha(path.join(rel, f));
  return sums;
}

describe.skipIf(!BUILT)('issue with worker threads (built package)', () => {
  let esm: Api;
  let cjs: Api;
  let vault: string;
  let registry: string;

  beforeAll(async () => {
    esm = (await import(pathToFileURL(path.join(DIST, 'index.js')).href)) as Api;
    cjs = createRequire(import.meta.url)(path.join(DIST, 'index.cjs')) as Api;
    const dir = await tempDir('workers');
    vault = path.join(dir, 'vault');
    await esm.initVault(vault);
    registry = path.join(dir, 'registry.csv');
    await synthRegistry(registry, 12_000, 'workers');
  });

  it('writes the same copies and release data as the calling thread alone, from the ESM and the CJS build', async () => {
    const alone = await issue(esm, vault, registry, 1, 'one');
    expect(Object.keys(alone).filter((f) => f.endsWith('.csv'))).toHaveLength(PARTIES.length);
    expect(await issue(esm, vault, registry, 2, 'esm2')).toEqual(alone);
    expect(await issue(esm, vault, registry, 3, 'esm3')).toEqual(alone);
    expect(await issue(cjs, vault, registry, 2, 'cjs2')).toEqual(alone);
    // The default picks the calling thread for a registry this small: the same bytes again.
    expect(await issue(esm, vault, registry, undefined, 'auto')).toEqual(alone);
  });

  it('names the same first problem as the calling thread', async () => {
    const lines = (await fsp.readFile(registry, 'utf8')).split('\n');
    const key = lines[0].split(',').indexOf('ELECTOR');
    lines[9000] = lines[9000]
      .split(',')
      .map((v, i) => (i === key ? '' : v))
      .join(',');
    lines[11000] += ',"unclosed';
    const bad = path.join(await tempDir('workers-bad'), 'registry.csv');
    await fsp.writeFile(bad, lines.join('\n'));
    for (const workers of [1, 2]) {
      const err = await issue(esm, vault, bad, workers, `bad${workers}`).then(
        () => null,
        (e) => e,
      );
      expect(err).toMatchObject({ code: 'REGISTRY_BAD_KEY', line: 9001 });
    }
  });
});
