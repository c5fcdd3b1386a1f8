import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { mergeShards, traceShard } from '../../src/attribution/trace-shard.js';
import { FULL_SHARE, scoreShareFor } from '../../src/attribution/trace-plan.js';
import { planShards } from '../../src/csv/shards.js';
import { main } from '../../src/cli/main.js';
import { renderHtmlReport } from '../../src/attribution/html.js';
import type { TraceReport } from '../../src/attribution/report.js';

/**
 * The evidence budget: past it, trace reads the marks of a keyed share of the records only. The
 * rows are still all matched and counted and every canary read; the leaker is still named; the
 * innocent are not (the property test in test/e2e/innocence.property.test.ts draws budgets too).
 */
let fx: Issued;
const now = () => new Date('2026-04-01T00:00:00Z');

beforeAll(async () => {
  fx = await issueFixture(12_000, { recipients: 5, seed: 'evidence-budget' });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

function body(r: TraceReport): unknown {
  const { generatedAt: _t, signature: _s, ...rest } = r;
  return rest;
}

describe('scoreShareFor', () => {
  const sample = [['abc', 'de'], ['fgh', 'ij']]; // 7 bytes a row: 5 of fields, a delimiter, a line end
  it('scores every record up to the budget, for a gzip dump, and with no budget', () => {
    expect(scoreShareFor(1000, 7000, false, sample, ',')).toBe(FULL_SHARE);
    expect(scoreShareFor(1000, 7 * 5000, true, sample, ',')).toBe(FULL_SHARE);
    expect(scoreShareFor(Infinity, 7e9, false, sample, ',')).toBe(FULL_SHARE);
    expect(scoreShareFor(1000, 7e9, false, [], ',')).toBe(FULL_SHARE);
  });
  it('past it, about budget / rows, rounded up, never none', () => {
    expect(scoreShareFor(1000, 7 * 4000, false, sample, ',')).toBe(FULL_SHARE / 4);
    expect(scoreShareFor(1000, 7 * 3000, false, sample, ',')).toBe(Math.ceil(FULL_SHARE / 3));
    expect(scoreShareFor(1, 7e12, false, sample, ',')).toBe(1);
  });
});

describe('a trace past its evidence budget', () => {
  it('names the leaker from a keyed share of the records, and counts every row and canary', async () => {
    const dump = fx.copy('P3');
    const full = await traceDump({ vault: fx.vault, dump, now, evidenceBudget: Infinity });
    const part = await traceDump({ vault: fx.vault, dump, now, evidenceBudget: 3000 });
    const [f, p] = [full.releases[0], part.releases[0]];
    expect(f.scoring).toEqual({ share: 1, recordsScored: f.rowsMatched, budget: null });
    // ~12,000 rows for a budget of 3,000: about a quarter (the rows are estimated from the first ones).
    expect(p.scoring!.share).toBeGreaterThan(0.2);
    expect(p.scoring!.share).toBeLessThan(0.3);
    expect(p.scoring!.budget).toBe(3000);
    const expected = p.scoring!.share * p.rowsMatched;
    expect(Math.abs(p.scoring!.recordsScored - expected)).toBeLessThan(5 * Math.sqrt(expected) + p.canariesObserved);
    // Rows, canaries and the verdict are the full trace's; only the marks read are fewer.
    expect(part.dump).toEqual(full.dump);
    expect(p.canariesFound).toEqual(f.canariesFound);
    expect(part.verdict).toBe('attributed');
    expect(part.suspects[0].recipient).toBe('P3');
    expect(part.suspects.filter((s) => s.implicated).map((s) => s.recipient)).toEqual(['P3']);
    expect(part.suspects[0].marksObserved).toBeLessThan(0.4 * full.suspects[0].marksObserved);
    expect(part.suspects[0].marksObserved).toBeGreaterThan(0.1 * full.suspects[0].marksObserved);
    // The HTML report says so; a full trace's says nothing.
    const html = renderHtmlReport(part, { lang: 'en' });
    expect(html).toContain('id="scoring-0"');
    expect(html).toContain(`the marks of ${p.scoring!.recordsScored.toLocaleString('en-US')} records were read`);
    expect(renderHtmlReport(full, { lang: 'es' })).not.toContain('id="scoring-0"');
    // The same records are scored each time: the report is reproducible.
    expect(body(await traceDump({ vault: fx.vault, dump, now, evidenceBudget: 3000 }))).toEqual(body(part));
  });

  it('implicates no one for the unmarked registry', async () => {
    const report = await traceDump({ vault: fx.vault, dump: fx.registry, now, evidenceBudget: 500 });
    expect(report.suspects.some((s) => s.implicated)).toBe(false);
    expect(report.releases[0].scoring!.share).toBeLessThan(0.1);
  });

  it('merges shards traced with the same budget into the whole trace, and refuses another budget', async () => {
    const dump = fx.copy('P2');
    const whole = await traceDump({ vault: fx.vault, dump, now, evidenceBudget: 4000, workers: 1 });
    const ranges = await planShards(dump, 3);
    const states = [];
    for (const range of ranges) states.push(JSON.parse(JSON.stringify(await traceShard({ vault: fx.vault, dump, range, evidenceBudget: 4000 }))));
    expect(body(await mergeShards({ vault: fx.vault, dump, states, now, evidenceBudget: 4000 }))).toEqual(body(whole));
    await expect(mergeShards({ vault: fx.vault, dump, states, now })).rejects.toThrow(/different dump/);
    await expect(traceDump({ vault: fx.vault, dump, evidenceBudget: 0 })).rejects.toThrow(/evidence budget/);
  });

  it('is set with --evidence-budget on the command line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) } as never, stderr: { write: (s: string) => err.push(s) } as never };
    const args = ['trace', '--vault', fx.vault.dir, '--dump', fx.copy('P4'), '--json'];
    expect(await main([...args, '--evidence-budget', '2_000'], io)).toBe(0);
    const report = JSON.parse(out.join('')) as TraceReport;
    expect(report.suspects[0].recipient).toBe('P4');
    expect(report.releases[0].scoring!.budget).toBe(2000);
    out.length = 0;
    expect(await main([...args, '--evidence-budget', 'all'], io)).toBe(0);
    expect((JSON.parse(out.join('')) as TraceReport).releases[0].scoring).toMatchObject({ share: 1, budget: null });
    expect(await main([...args, '--evidence-budget', 'lots'], io)).toBe(2);
    expect(err.join('')).toMatch(/--evidence-budget must be a positive integer/);
  });
});

