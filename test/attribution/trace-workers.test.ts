/**
 * The worker path of `trace`, against the built package: the shards run in worker threads
 * (dist/trace-worker.js and .cjs), pass their records to the later shards as messages, and take
 * back what the earlier ones hold. The report must be the calling thread's, whatever the count of
 * workers. `npm test` builds first; without a build these tests skip with a message.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueFixture, PARTIES, type Issued } from '../e2e/fixture.js';
import { issueRelease } from '../../src/watermark/issue.js';
import type { TraceReport } from '../../src/attribution/report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const BUILT = ['index.js', 'index.cjs', 'trace-worker.js', 'trace-worker.cjs'].every((f) => fs.existsSync(path.join(DIST, f)));
if (!BUILT) console.warn('trace worker tests skipped: dist/ has no trace worker (run `npm run build`; `npm test` does)');

type Api = typeof import('../../src/index.js');
const now = () => new Date('2026-04-01T00:00:00Z');

function body(r: TraceReport): unknown {
  const { generatedAt: _t, signature: _s, ...rest } = r;
  return rest;
}

describe.skipIf(!BUILT)('trace with worker threads (built package)', () => {
  let esm: Api;
  let cjs: Api;
  let fx: Issued;

  beforeAll(async () => {
    esm = (await import(pathToFileURL(path.join(DIST, 'index.js')).href)) as Api;
    cjs = createRequire(import.meta.url)(path.join(DIST, 'index.cjs')) as Api;
    fx = await issueFixture(8_000, { recipients: 6, seed: 'trace-workers' });
    // A second release in the vault: each worker then moves two bitmaps to the next.
    await issueRelease({ vault: fx.vault, registry: fx.registry, recipients: PARTIES.slice(2, 5), release: 'R2', outDir: path.join(fx.dir, 'r2') });
  });
  afterAll(async () => {
    if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
  });

  it('a dump whose second half repeats its first: the same report from 1 to 4 workers, ESM and CommonJS', async () => {
    const lines = (await fsp.readFile(fx.copy('P3'), 'utf8')).split('\n').filter((l) => l !== '');
    const dump = path.join(fx.dir, 'twice.csv');
    await fsp.writeFile(dump, [...lines, ...lines.slice(1)].join('\n') + '\n');
    const one = await esm.traceDump({ vault: fx.vault, dump, now, workers: 1 });
    expect(one.releases).toHaveLength(2);
    expect(one.suspects[0].recipient).toBe('P3');
    expect(Math.max(...one.releases.map((r) => r.rowsDuplicate))).toBeGreaterThanOrEqual(lines.length - 1);
    for (const workers of [2, 3, 4]) expect(body(await esm.traceDump({ vault: fx.vault, dump, now, workers }))).toEqual(body(one));
    expect(body(await cjs.traceDump({ vault: fx.vault, dump, now, workers: 3 }))).toEqual(body(one));
  });

  it('a leak merged from two copies, mixed, with progress: the same report from 1 and 3 workers', async () => {
    // Both copies' rows, in an order fixed by a hash of each row: each record shows up twice,
    // its first row from either copy, on either side of the cuts.
    const a = (await fsp.readFile(fx.copy('P1'), 'utf8')).split('\n').filter((l) => l !== '');
    const b = (await fsp.readFile(fx.copy('P5'), 'utf8')).split('\n').filter((l) => l !== '');
    const rows = [...a.slice(1), ...b.slice(1)].map((l) => [createHash('sha256').update(l).digest('hex'), l]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    const dump = path.join(fx.dir, 'merged.csv');
    await fsp.writeFile(dump, [a[0], ...rows.map((r) => r[1])].join('\n') + '\n');
    const one = await esm.traceDump({ vault: fx.vault, dump, now, workers: 1 });
    const seen: number[] = [];
    const three = await esm.traceDump({ vault: fx.vault, dump, now, workers: 3, onProgress: (rows) => seen.push(rows) });
    expect(body(three)).toEqual(body(one));
    expect(seen[0]).toBe(0);
    expect(new Set(one.suspects.filter((s) => s.implicated).map((s) => s.recipient))).toEqual(new Set(['P1', 'P5']));
  });
});
