/**
 * Column mapping against a real release: the match index settles what content cannot (the twin
 * surnames of an id-less, headerless dump), and a birth-date column half made up still maps.
 * The slow, many-seed version of these is mapping-lab.test.ts (opt-in).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import { mapColumns, matchIndexProbe } from '../../src/attribution/columns.js';
import { prepareTrace } from '../../src/attribution/trace-plan.js';
import { runShardJob } from '../../src/attribution/shard-job.js';
import { finishTrace } from '../../src/attribution/trace-finish.js';
import { traceDump } from '../../src/attribution/trace.js';
import { profilesFromJSON } from '../../src/schema/profile.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { simulateLeak, parseAttacks } from '../../src/lab/simulate.js';
import type { TraceReport } from '../../src/attribution/report.js';

let fx: Issued;
beforeAll(async () => {
  fx = await issueFixture(6000, { recipients: 5, seed: 'columns-index' });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

const implicated = (r: TraceReport): string[] => r.suspects.filter((s) => s.implicated).map((s) => s.recipient).sort();

describe('column mapping with the release', () => {
  it('an id-less headerless leak, APE_MAT before APE_PAT: the match index settles the surnames and the leaker is named', async () => {
    const order = ['FNAC', 'APE_MAT', 'SEXO', 'NOMBRE', 'CALLE', 'APE_PAT', 'COLONIA', 'NUM_EXT', 'ENTIDAD', 'SECCION'];
    const dump = path.join(fx.dir, 'twins.csv');
    await simulateLeak({ copies: [fx.copy('P3')], attacks: parseAttacks(`random:300,keep:${order.join('+')}`), seed: 'twins', out: dump, format: { header: false } });
    const prepared = await prepareTrace({ vault: fx.vault, dump });
    const setup = prepared.plan.releases[0];
    const m = setup.manifest;
    expect(setup.index).not.toBeNull();
    const profiles = profilesFromJSON(JSON.stringify(m.profiles));
    const content = mapColumns(prepared.dump.sample, prepared.dump.format.header, profiles, m.header);
    // Content alone keeps the registry's order for the twins: wrong here.
    expect(content.columns[1]).toMatchObject({ registry: 'APE_PAT', resolvedBy: 'position' });

    const probe = matchIndexProbe(prepared.dump.sample, resolveSchema(m.schema, m.header), setup.keys.index, setup.index!);
    expect(probe.sets[0]).toEqual(['APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC']);
    const at = (n: string): { dump: number } => ({ dump: order.indexOf(n) });
    expect(probe.hits(0, [at('APE_PAT'), at('APE_MAT'), at('NOMBRE'), at('FNAC')])).toBeGreaterThan(280);
    expect(probe.hits(0, [at('APE_MAT'), at('APE_PAT'), at('NOMBRE'), at('FNAC')])).toBeLessThan(30);
    // A wrong reading finds a record only by a fingerprint clash (a few in 10,000 lookups).
    expect(probe.hits(0, [at('APE_PAT'), at('APE_MAT'), at('CALLE'), at('FNAC')])).toBeLessThanOrEqual(5);

    const settled = mapColumns(prepared.dump.sample, prepared.dump.format.header, profiles, m.header, { matchIndex: probe });
    expect(settled.columns.map((c) => c.registry)).toEqual(order);
    expect(settled.columns[1].resolvedBy).toBe('match-index');

    // Trace with each mapping (the rest of trace as it is).
    const run = async (mapping: typeof content): Promise<TraceReport> => {
      setup.mapping = mapping;
      const { state, sha256 } = await runShardJob(prepared.plan, { range: { start: 0, end: prepared.plan.size }, claim: null, hash: true });
      return finishTrace(prepared, [state], { bound: 1e-9, sha256: sha256!, now: () => new Date(0) });
    };
    const before = await run(content);
    // Only namesakes of both surnames (GARCIA GARCIA) match the wrong way round.
    expect(before.releases[0].rowsMatched).toBeLessThan(30);
    expect(implicated(before)).toEqual([]);
    const after = await run(settled);
    expect(after.releases[0].rowsMatched).toBeGreaterThan(280);
    expect(implicated(after)).toEqual(['P3']);
  });

  it('half the leak made up from other rows (id-less, normalised): FNAC still maps and the leaker is named', async () => {
    const dump = path.join(fx.dir, 'fabricated.csv');
    const attacks = 'random:150,foreign:150,shuffle-rows,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:upper+accents+whitespace+dots+nfc';
    await simulateLeak({ copies: [fx.copy('P2')], attacks: parseAttacks(attacks), seed: 'fabricated', out: dump });
    const r = await traceDump({ vault: fx.vault, dump, now: () => new Date(0) });
    const fnac = (r.releases[0].columns as { registry: string | null; header?: string }[]).find((c) => c.header === 'FNAC');
    expect(fnac?.registry).toBe('FNAC');
    expect(r.releases[0].rowsMatched).toBeGreaterThan(120);
    expect(implicated(r)).toEqual(['P2']);
  });
});
