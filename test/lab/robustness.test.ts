/**
 * A slice of the leak lab's robustness grid (bench/lab.mjs) small enough for every test run:
 * one release to 7 recipients, about thirty leaks made with the lab's attacks and traced
 * in-process. Two kinds of case:
 *
 * - plain: the leak carries plenty of evidence; exactly the leakers are implicated;
 * - hard: attacks that may well defeat attribution (tiny samples, every mark erased, a minority
 *   of five copies, no leaker at all); whatever the outcome, no recipient who did not leak is
 *   ever implicated.
 *
 * The whole grid, with success rates over thousands of leaks, is `npm run lab`.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceDump } from '../../src/attribution/trace.js';
import type { TraceReport } from '../../src/attribution/report.js';
import { readTable, writeTable, type WriteOptions } from '../../src/lab/table-files.js';
import type { Table } from '../../src/lab/table.js';
import { applyAttacks, parseAttacks } from '../../src/lab/simulate.js';
import { issueFixture, PARTIES, type Issued } from '../e2e/fixture.js';

const IDLESS = 'drop:ELECTOR+CURP+OCR+FOL_NAC';
const ALL_NORMAL = 'normalize:upper+accents+whitespace+dots+nfc';
const LATIN1_TSV_GZ: WriteOptions = { delimiter: '\t', encoding: 'latin1', gzip: true, header: false };

interface Case {
  name: string;
  /** Recipients whose copies make the leak; [] for a leak of the unmarked registry. */
  leakers: string[];
  attacks: string;
  format?: WriteOptions;
  /** plain: exactly the leakers are implicated; hard: nobody else is (the leakers may escape). */
  kind: 'plain' | 'hard';
}

const ids = PARTIES.map((p) => p.id);
const CASES: Case[] = [
  // plain: single leakers, one per recipient, then the attacks of the threat model one at a time
  ...ids.map((id): Case => ({ name: `200 random rows of ${id}`, leakers: [id], attacks: 'random:200', kind: 'plain' })),
  { name: 'an id-less, normalised 1% sample', leakers: ['P2'], attacks: `sample:0.01,${IDLESS},${ALL_NORMAL}`, kind: 'plain' },
  { name: '10% of the cells edited', leakers: ['P3'], attacks: 'random:1000,edit:0.1', kind: 'plain' },
  { name: 'a quarter of the rows fabricated', leakers: ['P4'], attacks: 'random:600,foreign:200,shuffle-rows', kind: 'plain' },
  { name: 'Latin-1 TSV, gzip, no header', leakers: ['P5'], attacks: 'random:500,shuffle-columns', format: LATIN1_TSV_GZ, kind: 'plain' },
  { name: 'every row repeated', leakers: ['P6'], attacks: 'random:300,duplicate:1,shuffle-rows', kind: 'plain' },
  { name: 'every family collapsed to its long form', leakers: ['P7'], attacks: 'random:1000,collapse:long', kind: 'plain' },
  { name: 'the first 2,000 rows (whole sections), shuffled', leakers: ['P1'], attacks: 'first:2000,shuffle-rows', kind: 'plain' },
  { name: '2 copies, majority', leakers: ['P1', 'P4'], attacks: 'collude:majority,random:2000', kind: 'plain' },
  { name: '2 copies, minority', leakers: ['P2', 'P6'], attacks: 'collude:minority,random:2000', kind: 'plain' },
  { name: '3 copies, majority', leakers: ['P3', 'P5', 'P7'], attacks: 'collude:majority,random:3000', kind: 'plain' },
  { name: '3 copies, intersection', leakers: ['P1', 'P2', 'P3'], attacks: 'collude:intersection,random:3000', kind: 'plain' },

  // hard: the leakers may escape, nobody else may be named
  { name: '5 random rows', leakers: ['P2'], attacks: 'random:5', kind: 'hard' },
  { name: '10 id-less, normalised rows', leakers: ['P3'], attacks: `random:10,${IDLESS},${ALL_NORMAL}`, kind: 'hard' },
  { name: 'every field mark erased, 10% sample', leakers: ['P4'], attacks: `sample:0.1,${IDLESS},collapse:long,${ALL_NORMAL}`, kind: 'hard' },
  { name: 'collapsed and normalised, keys kept', leakers: ['P5'], attacks: `random:1000,collapse:short,${ALL_NORMAL}`, kind: 'hard' },
  { name: 'shuffled id-less columns without a header', leakers: ['P6'], attacks: `random:200,${IDLESS},shuffle-columns`, format: { header: false }, kind: 'hard' },
  { name: 'fabricated rows in an id-less leak', leakers: ['P7'], attacks: `random:100,foreign:100,shuffle-rows,${IDLESS},${ALL_NORMAL}`, kind: 'hard' },
  { name: '20 id-less rows, each about four times', leakers: ['P1'], attacks: `random:20,duplicate:1,duplicate:1,${IDLESS},shuffle-rows`, kind: 'hard' },
  { name: '5 copies, minority, 300 rows', leakers: ['P1', 'P2', 'P3', 'P4', 'P5'], attacks: 'collude:minority,random:300', kind: 'hard' },
  { name: '4 copies, random, 300 rows', leakers: ['P2', 'P4', 'P6', 'P7'], attacks: 'collude:random,random:300', kind: 'hard' },
  { name: 'the unmarked registry, 1,000 rows', leakers: [], attacks: 'random:1000', kind: 'hard' },
  { name: 'the unmarked registry, 30% id-less and normalised', leakers: [], attacks: `sample:0.3,${IDLESS},${ALL_NORMAL}`, kind: 'hard' },
];

let fx: Issued;
const copies = new Map<string, Table>();
let registry: Table;
let n = 0;

beforeAll(async () => {
  fx = await issueFixture(30_000, { recipients: 7, seed: 'robustness-slice' });
  for (const id of ids) copies.set(id, await readTable(fx.copy(id)));
  registry = await readTable(fx.registry);
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

async function traceLeak(c: Case): Promise<{ report: TraceReport; rows: number }> {
  const tables = c.leakers.length === 0 ? [registry] : c.leakers.map((id) => copies.get(id) as Table);
  const leak = await applyAttacks(tables, parseAttacks(c.attacks), `robustness:${c.name}`);
  const file = path.join(fx.dir, `leak-${++n}`);
  await writeTable(leak, file, c.format ?? {});
  const report = await traceDump({ vault: fx.vault, dump: file });
  return { report, rows: leak.rows.length };
}

const implicated = (r: TraceReport) => r.suspects.filter((s) => s.implicated).map((s) => s.recipient).sort();

describe('the robustness slice of the leak lab', () => {
  it.each(CASES.filter((c) => c.kind === 'plain').map((c) => [c.name, c] as const))('names exactly the leakers: %s', async (_, c) => {
    const { report } = await traceLeak(c);
    expect(implicated(report)).toEqual([...c.leakers].sort());
    expect(report.verdict).toBe(c.leakers.length > 1 ? 'collusion' : 'attributed');
  });

  it.each(CASES.filter((c) => c.kind === 'hard').map((c) => [c.name, c] as const))('never names a recipient who did not leak: %s', async (_, c) => {
    const { report } = await traceLeak(c);
    const innocent = report.suspects.filter((s) => !c.leakers.includes(s.recipient));
    expect(innocent.filter((s) => s.implicated).map((s) => s.recipient)).toEqual([]);
    for (const s of innocent) expect(s.pValue).toBeGreaterThan(report.falseAccusationBound);
    if (c.leakers.length === 0) expect(['no-recipient', 'inconclusive']).toContain(report.verdict);
  });
});
