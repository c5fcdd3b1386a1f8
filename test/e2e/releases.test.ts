import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { issueFixture, PARTIES, type Issued } from './fixture.js';
import { issueRelease } from '../../src/watermark/issue.js';
import { traceDump } from '../../src/attribution/trace.js';
import { simulateLeak, parseAttacks } from '../../src/lab/simulate.js';

/** Two releases of one registry in one vault: trace tests both and names the right one. */
let fx: Issued;
let second: string;

beforeAll(async () => {
  fx = await issueFixture(8000, { recipients: 3, seed: 'releases', release: 'LN-2026-01' });
  second = path.join(fx.dir, 'second');
  await issueRelease({ vault: fx.vault, registry: fx.registry, recipients: PARTIES.slice(2, 6), release: 'LN-2026-02', outDir: second });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

describe('several releases', () => {
  it('attributes a leak to the release and recipient it came from, correcting for every recipient tested', async () => {
    const dump = path.join(fx.dir, 'leak.csv');
    await simulateLeak({ copies: [path.join(second, 'P4.csv')], attacks: parseAttacks('sample:0.2,drop:ELECTOR+CURP'), seed: 'r', out: dump });
    const report = await traceDump({ vault: fx.vault, dump });
    expect(report.recipientsTested).toBe(7);
    expect(report.release).toBe('LN-2026-02');
    const hit = report.suspects.filter((s) => s.implicated);
    expect(hit.map((s) => `${s.release}/${s.recipient}`)).toEqual(['LN-2026-02/P4']);
    // P3 got a copy in both releases: only the release it leaked from may point at it.
    expect(report.suspects.filter((s) => s.recipient === 'P3').every((s) => !s.implicated)).toBe(true);

    const only1 = await traceDump({ vault: fx.vault, dump, release: 'LN-2026-01' });
    expect(only1.recipientsTested).toBe(3);
    expect(only1.suspects.some((s) => s.implicated)).toBe(false);
  });

  it('gives the same report with 1, 2 and 3 workers, both releases taking back what earlier shards hold', async () => {
    // The second release's P4 copy, then a third of its rows again: repeats across the cuts.
    const lines = (await fsp.readFile(path.join(second, 'P4.csv'), 'utf8')).split('\n').filter((l) => l !== '');
    const dump = path.join(fx.dir, 'repeats.csv');
    await fsp.writeFile(dump, [...lines, ...lines.slice(1).filter((_, i) => i % 3 === 0)].join('\n') + '\n');
    const body = (r: Awaited<ReturnType<typeof traceDump>>) => ({ ...r, generatedAt: '', signature: '' });
    const one = await traceDump({ vault: fx.vault, dump, workers: 1 });
    expect(one.releases).toHaveLength(2);
    expect(one.suspects.filter((s) => s.implicated).map((s) => `${s.release}/${s.recipient}`)).toEqual(['LN-2026-02/P4']);
    for (const workers of [2, 3]) expect(body(await traceDump({ vault: fx.vault, dump, workers }))).toEqual(body(one));
  });

  it('refuses a release that is not in the ledger', async () => {
    await expect(traceDump({ vault: fx.vault, dump: fx.registry, release: 'NOPE' })).rejects.toMatchObject({ code: 'RELEASE_UNKNOWN' });
  });
});
