import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { claimShard, mergeClaims, mergeShards, traceShard } from '../../src/attribution/trace-shard.js';
import type { ShardState } from '../../src/attribution/shard-state.js';
import { hashFirstTargets } from '../../src/attribution/shard-cut.js';
import { planShards } from '../../src/csv/shards.js';
import { prepareTrace } from '../../src/attribution/trace-plan.js';
import { ShardRun } from '../../src/attribution/shard-job.js';
import { EarlierUnion } from '../../src/attribution/take-back.js';
import type { TraceReport } from '../../src/attribution/report.js';

/**
 * The shard API: trace per byte range, merge the states. The merged report must be the
 * whole-dump report, and a merge that could count a record twice must be refused.
 */
let fx: Issued;
let dump: string;
const now = () => new Date('2026-04-01T00:00:00Z');

beforeAll(async () => {
  fx = await issueFixture(10_000, { recipients: 6, seed: 'trace-shards' });
  // Every record twice, P4's row first then P1's, so which row counts matters.
  const a = await fsp.readFile(fx.copy('P4'), 'utf8');
  const b = await fsp.readFile(fx.copy('P1'), 'utf8');
  const lines = b.split('\n');
  const body = lines.slice(1).filter((l) => l !== '');
  // P1's rows interleaved in the middle of P4's, so shards of the middle hold both.
  const aLines = a.split('\n').filter((l) => l !== '');
  const mid = aLines.length >> 1;
  dump = path.join(fx.dir, 'mixed.csv');
  await fsp.writeFile(dump, [...aLines.slice(0, mid), ...body.slice(0, 4000), ...aLines.slice(mid)].join('\n') + '\n');
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

function body(r: TraceReport): unknown {
  const { generatedAt: _t, signature: _s, ...rest } = r;
  return rest;
}

describe('traceShard and mergeShards', () => {
  it('merge to the whole-dump report, states in any order, through JSON', async () => {
    const whole = await traceDump({ vault: fx.vault, dump, now });
    const ranges = await planShards(dump, 5);
    expect(ranges.length).toBeGreaterThan(2);
    const states: ShardState[] = [];
    for (const range of ranges) states.push(JSON.parse(JSON.stringify(await traceShard({ vault: fx.vault, dump, range }))));
    const merged = await mergeShards({ vault: fx.vault, dump, states: states.reverse(), now });
    expect(body(merged)).toEqual(body(whole));
    expect(merged.suspects[0].recipient).toBe('P4');
    expect(merged.releases[0].rowsDuplicate).toBeGreaterThan(3000);
  });

  it('with the claims of the earlier shards instead of a claim pass', async () => {
    const whole = await traceDump({ vault: fx.vault, dump, now });
    const ranges = await planShards(dump, 4);
    const claims = [];
    for (const range of ranges) claims.push(JSON.parse(JSON.stringify(await claimShard({ vault: fx.vault, dump, range }))));
    const states: ShardState[] = [];
    for (let k = 0; k < ranges.length; k++) {
      const earlier = k === 0 ? undefined : mergeClaims(claims.slice(0, k));
      states.push(await traceShard({ vault: fx.vault, dump, range: ranges[k], earlier }));
    }
    const merged = await mergeShards({ vault: fx.vault, dump, states, now });
    expect(body(merged)).toEqual(body(whole));
  });

  it('refuses states that leave a gap, overlap, or were not de-duplicated against the bytes before them', async () => {
    const ranges = await planShards(dump, 3);
    const states = await Promise.all(ranges.map((range) => traceShard({ vault: fx.vault, dump, range })));
    await expect(mergeShards({ vault: fx.vault, dump, states: [states[0], states[2]] })).rejects.toThrow(/gap or overlap/);
    await expect(mergeShards({ vault: fx.vault, dump, states: [states[0], states[1]] })).rejects.toThrow(/end at byte/);
    const lone = { ...states[1], dump: { ...states[1].dump, dedupedAgainst: 0 } };
    await expect(mergeShards({ vault: fx.vault, dump, states: [states[0], lone, states[2]] })).rejects.toThrow(/count a record twice/);
    const other = { ...states[1], plan: 'f'.repeat(64) };
    await expect(mergeShards({ vault: fx.vault, dump, states: [states[0], other, states[2]] })).rejects.toThrow(/different dump/);
    await expect(traceShard({ vault: fx.vault, dump, range: { start: 0, end: 1e12 } })).rejects.toThrow(/not inside the dump/);
  });
});

describe('hashFirstTargets', () => {
  it('gives the hashing worker less, the others equal shares, and covers the file', () => {
    const t = hashFirstTargets(1000, 2, 0.1);
    expect(t).toHaveLength(1);
    // worker 0: t[0] + 0.1 * 1000 (the hash); worker 1: 1000 - t[0]
    expect(t[0] + 100).toBeCloseTo(1000 - t[0], 6);
    const four = hashFirstTargets(1_000_000, 4, 0.2);
    expect(four).toHaveLength(3);
    const sizes = [four[0], four[1] - four[0], four[2] - four[1], 1_000_000 - four[2]];
    expect(sizes[0] + 0.2 * 1_000_000).toBeCloseTo(sizes[1], 3);
    expect(sizes[1]).toBeCloseTo(sizes[2], 3);
    expect(sizes[2]).toBeCloseTo(sizes[3], 3);
    expect(hashFirstTargets(1000, 1, 0.1)).toEqual([]);
  });
});
describe('claim-free shards (traceDump with workers)', () => {
  it.each([Infinity, 300])('take back what earlier shards hold: each state is the claim pass state (evidence budget %s)', async (evidenceBudget) => {
    const { plan } = await prepareTrace({ vault: fx.vault, dump, evidenceBudget });
    const ranges = await planShards(dump, 3);
    expect(ranges.length).toBe(3);
    const union = new EarlierUnion();
    let takenBack = 0;
    for (let k = 0; k < ranges.length; k++) {
      const run = new ShardRun(plan, { range: ranges[k], claim: null, hash: false, takeBack: k > 0 });
      await run.read();
      const before = run.cores[0].rowsMatched;
      const { state } = run.finish(k > 0 ? union.get() : null);
      takenBack += before - state.releases[0].rowsMatched;
      union.add(run.records());
      const claimed = await traceShard({ vault: fx.vault, dump, range: ranges[k], evidenceBudget });
      const sortGroups = (x: ShardState) => ({ ...x, releases: x.releases.map((r) => ({ ...r, groups: [...r.groups].sort() })) });
      expect(sortGroups(state)).toEqual(sortGroups(claimed));
      if (evidenceBudget !== Infinity) expect(state.releases[0].recordsScored).toBeLessThan(state.releases[0].rowsMatched / 4);
    }
    // P1's rows in the middle repeat P4's on both sides of the cuts.
    expect(takenBack).toBeGreaterThan(1000);
  });

  it('give the single reader report, for 2 to 4 workers, on a dump whose halves repeat each other', async () => {
    const text = await fsp.readFile(fx.copy('P2'), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const twice = path.join(fx.dir, 'twice.csv');
    // The whole copy, then its rows again: every record and canary of the second half repeats.
    await fsp.writeFile(twice, [...lines, ...lines.slice(1)].join('\n') + '\n');
    const one = await traceDump({ vault: fx.vault, dump: twice, now, workers: 1 });
    expect(one.releases[0].rowsDuplicate).toBeGreaterThanOrEqual(lines.length - 1);
    expect(one.suspects[0].recipient).toBe('P2');
    for (const workers of [2, 3, 4]) {
      const r = await traceDump({ vault: fx.vault, dump: twice, now, workers });
      expect(body(r)).toEqual(body(one));
    }
    const mixedOne = await traceDump({ vault: fx.vault, dump, now, workers: 1 });
    expect(body(await traceDump({ vault: fx.vault, dump, now, workers: 2 }))).toEqual(body(mixedOne));
  });
});
