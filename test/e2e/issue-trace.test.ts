import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { issueFixture, type Issued } from './fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { simulateLeak } from '../../src/lab/simulate.js';
import { parseAttacks } from '../../src/lab/simulate.js';
import { verifyDocument } from '../../src/vault/documents.js';

let fx: Issued;

beforeAll(async () => {
  fx = await issueFixture(30_000, { recipients: 5 });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

async function leak(name: string, copies: string[], attacks: string, format = {}): Promise<string> {
  const out = path.join(fx.dir, name);
  await simulateLeak({ copies: copies.map((c) => fx.copy(c)), attacks: parseAttacks(attacks), seed: name, out, format });
  return out;
}

describe('issue then trace', () => {
  it('attributes a full copy to its recipient', async () => {
    const report = await traceDump({ vault: fx.vault, dump: fx.copy('P2') });
    expect(report.verdict).toBe('attributed');
    expect(report.suspects[0].recipient).toBe('P2');
    expect(report.suspects.filter((s) => s.implicated).map((s) => s.recipient)).toEqual(['P2']);
    expect(verifyDocument(report, fx.vault.publicKey)).toBe(true);
    // A pristine copy has no foreign row: every row is a record (or canary) counted once, or a
    // repeat of one already counted (the de-duplication bitmap is approximate at this size).
    const d = report.dump;
    expect(d.rowsForeign).toBe(0);
    expect(d.rowsMatched + d.rowsDuplicate).toBe(d.rows - d.rowsRejected);
    expect(d.rowsDuplicate).toBe(report.releases[0].rowsDuplicate);
    console.log('full copy', report.suspects.map((s) => `${s.recipient}:${s.log10PValue.toFixed(1)}`).join(' '));
  });

  it('attributes a normalised 5% sample without the key columns', async () => {
    const dump = await leak('idless.tsv', ['P3'], 'sample:0.05,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:accents+whitespace+upper,shuffle-rows,shuffle-columns', {
      delimiter: '\t',
      encoding: 'latin1',
      gzip: true,
    });
    const report = await traceDump({ vault: fx.vault, dump });
    console.log('idless 5%', report.dump, report.suspects.map((s) => `${s.recipient}:${s.log10PValue.toFixed(1)}`).join(' '));
    expect(report.verdict).toBe('attributed');
    expect(report.suspects[0].recipient).toBe('P3');
  });

  it('implicates no one for the registry itself', async () => {
    const report = await traceDump({ vault: fx.vault, dump: fx.registry });
    console.log('registry', report.verdict, report.suspects.map((s) => `${s.recipient}:${s.log10PValue.toFixed(1)}`).join(' '));
    expect(report.suspects.some((s) => s.implicated)).toBe(false);
    expect(report.verdict).toBe('no-recipient');
    expect(report.dump.rowsForeign).toBe(0);
  });

  it('copies hold every registry row, in the registry column order', async () => {
    const reg = parse(await fsp.readFile(fx.registry), { relax_column_count: false }) as string[][];
    const copy = parse(await fsp.readFile(fx.copy('P1')), { relax_column_count: false }) as string[][];
    expect(copy[0]).toEqual(reg[0]);
    const keys = new Set(copy.slice(1).map((r) => r[1]));
    for (const r of reg.slice(1)) expect(keys.has(r[1])).toBe(true);
    expect(copy.length - reg.length).toBe(fx.result.copies[0].canaries);
  });
});
