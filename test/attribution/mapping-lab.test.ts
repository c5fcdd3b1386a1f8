/**
 * The column-mapping lab: how often the mapping of an id-less, headerless, column-shuffled (or
 * half-fabricated) leak is right, and how often trace then names the leaker. Opt-in, minutes:
 *
 *   ROLLMARK_MAPPING_LAB=1 nice -n 19 npx vitest run test/attribution/mapping-lab.test.ts
 *
 * ROLLMARK_MAPPING_LAB_ROWS (registry rows, default 150,000 as the leak lab) and
 * ROLLMARK_MAPPING_LAB_TRIALS (leaks per scenario, default 12) tune it; ROLLMARK_MAPPING_LAB_OUT
 * names a JSON file for the results, ROLLMARK_MAPPING_LAB_ONLY a pattern of scenario names to run.
 *
 * "content": `mapColumns` from content and header only (trace before it consulted the match
 * index), and a full trace with that mapping. "index": the mapping settled with the release's match
 * index (`matchIndexProbe`), as trace-plan.ts's releaseSetup does, and a full trace with it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as columns from '../../src/attribution/columns.js';
import { openDump } from '../../src/attribution/dump.js';
import { prepareTrace } from '../../src/attribution/trace-plan.js';
import { runShardJob } from '../../src/attribution/shard-job.js';
import { finishTrace } from '../../src/attribution/trace-finish.js';
import { traceDump } from '../../src/attribution/trace.js';
import { profilesFromJSON } from '../../src/schema/profile.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { applyAttacks, parseAttacks } from '../../src/lab/simulate.js';
import { readTable, writeTable, type Table, type WriteOptions } from '../../src/lab/attacks.js';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import type { TraceReport } from '../../src/attribution/report.js';

const ON = !!process.env.ROLLMARK_MAPPING_LAB;
const ROWS = Number(process.env.ROLLMARK_MAPPING_LAB_ROWS ?? 150_000);
const TRIALS = Number(process.env.ROLLMARK_MAPPING_LAB_TRIALS ?? 12);
const IDLESS = 'drop:ELECTOR+CURP+OCR+FOL_NAC';
const ALL_NORMAL = 'normalize:upper+accents+whitespace+dots+nfc';
const LATIN1_TSV_GZ: WriteOptions = { delimiter: '\t', encoding: 'latin1', gzip: true, header: false };

const SCENARIOS: { name: string; attacks: string; format: WriteOptions; trials?: number }[] = [
  { name: 'id-less, shuffled columns, no header, 100 rows', attacks: `random:100,${IDLESS},shuffle-columns`, format: { header: false } },
  { name: 'id-less, shuffled columns, no header, 1000 rows', attacks: `random:1000,${IDLESS},shuffle-columns`, format: { header: false } },
  { name: 'id-less, shuffled columns, no header, 20 rows', attacks: `random:20,${IDLESS},shuffle-columns`, format: { header: false } },
  { name: 'id-less, shuffled columns, no header, 40 rows', attacks: `random:40,${IDLESS},shuffle-columns`, format: { header: false } },
  { name: 'id-less, shuffled columns, header kept, 100 rows', attacks: `random:100,${IDLESS},shuffle-columns`, format: {} },
  { name: 'id-less and no EDAD, SECCION, MANZANA, shuffled columns, no header, 1000 rows', attacks: `random:1000,${IDLESS}+EDAD+SECCION+MANZANA,shuffle-columns`, format: { header: false } },
  { name: 'id-less and no DISTRITO, MUNICIPIO, LOCALIDAD, TIEMPRES, shuffled columns, no header, 1000 rows', attacks: `random:1000,${IDLESS}+DISTRITO+MUNICIPIO+LOCALIDAD+TIEMPRES,shuffle-columns`, format: { header: false } },
  { name: 'demo leak without its header (5%)', attacks: `sample:0.05,${IDLESS},normalize:upper+accents+whitespace,shuffle-rows,shuffle-columns`, format: LATIN1_TSV_GZ, trials: 6 },
  { name: 'fabricated 50% (id-less, normalised), 100 real', attacks: `random:100,foreign:100,shuffle-rows,${IDLESS},${ALL_NORMAL}`, format: {} },
  { name: 'fabricated 50% (id-less, normalised), 100 real, shuffled, no header', attacks: `random:100,foreign:100,shuffle-rows,${IDLESS},${ALL_NORMAL},shuffle-columns`, format: { header: false } },
];

const MATCH = ['APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC'];

describe.runIf(ON)('column-mapping lab', () => {
  let fx: Issued;
  let copies: Table[];
  const results: unknown[] = [];
  beforeAll(async () => {
    fx = await issueFixture(ROWS, { recipients: 7, seed: 'lab' });
    copies = [];
    for (const c of fx.result.copies) copies.push(await readTable(c.file));
  }, 1_800_000);
  afterAll(async () => {
    if (process.env.ROLLMARK_MAPPING_LAB_OUT) await fsp.writeFile(process.env.ROLLMARK_MAPPING_LAB_OUT, JSON.stringify(results, null, 1));
    if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
  });

  it('measures', async () => {
    const counter = (columns as Record<string, unknown>).matchIndexProbe as undefined | typeof columns.matchIndexProbe;
    const lines: string[] = [];
    const only = process.env.ROLLMARK_MAPPING_LAB_ONLY ? new RegExp(process.env.ROLLMARK_MAPPING_LAB_ONLY) : null;
    for (const sc of SCENARIOS) {
      if (only && !only.test(sc.name)) continue;
      const n = sc.trials ?? TRIALS;
      const tally = { content: { map: 0, matchSet: 0, named: 0, innocent: 0 }, index: { map: 0, matchSet: 0, named: 0, innocent: 0 } };
      const wrong: Record<string, number> = {};
      const logp: { content: number[]; index: number[] } = { content: [], index: [] };
      for (let t = 0; t < n; t++) {
        const leaker = t % copies.length;
        const id = fx.result.copies[leaker].recipient;
        const table = await applyAttacks([copies[leaker]], parseAttacks(sc.attacks), `maplab:${sc.name}:${t}`);
        const file = path.join(fx.dir, `leak-${t}.csv${sc.format.gzip ? '.gz' : ''}`);
        await writeTable(table, file, sc.format);
        const truth = table.header;
        const judge = async (mode: 'content' | 'index'): Promise<void> => {
          const prepared = await prepareTrace({ vault: fx.vault, dump: file });
          const setup = prepared.plan.releases[0];
          const m = setup.manifest;
          if (mode === 'index') {
            if (!counter || setup.index === null) return;
            const profiles = profilesFromJSON(JSON.stringify(m.profiles));
            const schema = resolveSchema(m.schema, m.header);
            setup.mapping = columns.mapColumns(prepared.dump.sample, prepared.dump.format.header, profiles, m.header, {
              matchIndex: counter(prepared.dump.sample, schema, setup.keys.index, setup.index),
            });
          }
          const got = setup.mapping.columns.map((c) => c.registry);
          const ok = got.every((g, j) => g === truth[j]);
          const matchOk = MATCH.every((c) => got[truth.indexOf(c)] === c);
          got.forEach((g, j) => { if (g !== truth[j]) wrong[`${mode}:${truth[j]}->${g}`] = (wrong[`${mode}:${truth[j]}->${g}`] ?? 0) + 1; });
          let report: TraceReport;
          if (mode === 'content') {
            report = await traceDump({ vault: fx.vault, dump: file, now: () => new Date(0) });
          } else {
            const { state, sha256 } = await runShardJob(prepared.plan, { range: { start: 0, end: prepared.plan.size }, claim: null, hash: true });
            report = finishTrace(prepared, [state], { bound: 1e-9, sha256: sha256 ?? '', now: () => new Date(0) });
          }
          const me = report.suspects.find((s) => s.recipient === id)!;
          const k = tally[mode];
          if (ok) k.map++;
          if (matchOk) k.matchSet++;
          if (me.implicated) k.named++;
          if (report.suspects.some((s) => s.implicated && s.recipient !== id)) k.innocent++;
          logp[mode].push(me.log10PValue);
        };
        await judge('content');
        await judge('index');
        await fsp.rm(file, { force: true });
      }
      const med = (xs: number[]): string => { if (!xs.length) return '-'; const s = xs.slice().sort((a, b) => a - b); return s[s.length >> 1].toFixed(1); };
      const line = `${sc.name}: ${n} leaks | content: mapping right ${tally.content.map}, match set right ${tally.content.matchSet}, named ${tally.content.named}, innocent ${tally.content.innocent}, median log10 p ${med(logp.content)}` +
        (counter ? ` | index: mapping right ${tally.index.map}, match set right ${tally.index.matchSet}, named ${tally.index.named}, innocent ${tally.index.innocent}, median log10 p ${med(logp.index)}` : '');
      lines.push(line, `   wrong: ${JSON.stringify(wrong)}`);
      console.log(lines.slice(-2).join('\n'));
      results.push({ scenario: sc.name, trials: n, tally, wrong, logp });
      for (const mode of ['content', 'index'] as const) expect(tally[mode].innocent).toBe(0);
    }
    console.log(lines.join('\n'));
  }, 3_600_000);
});
