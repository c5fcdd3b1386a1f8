import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { issueFixture, type Issued } from './fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { simulateLeak, parseAttacks } from '../../src/lab/simulate.js';
import { main } from '../../src/cli/main.js';

/** The plain cases: the leaker (or the coalition) is found. */
let fx: Issued;

beforeAll(async () => {
  fx = await issueFixture(40_000, { recipients: 7, seed: 'trace-tests' });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

async function leak(name: string, copies: string[], attacks: string, format = {}, seed = name): Promise<string> {
  const out = path.join(fx.dir, name);
  await simulateLeak({ copies: copies.map((c) => fx.copy(c)), attacks: parseAttacks(attacks), seed, out, format });
  return out;
}

function implicated(r: { suspects: { recipient: string; implicated: boolean }[] }): string[] {
  return r.suspects.filter((s) => s.implicated).map((s) => s.recipient).sort();
}

describe('trace finds the leaker in the plain cases', () => {
  it('a normalised 5% sample', async () => {
    const r = await traceDump({ vault: fx.vault, dump: await leak('norm.csv', ['P4'], 'sample:0.05,normalize:upper+accents+whitespace') });
    expect(implicated(r)).toEqual(['P4']);
    expect(r.verdict).toBe('attributed');
    expect(r.release).toBe('LN-TEST-01');
  });

  it('an id-less 5% sample as headerless Latin-1 TSV in gzip', async () => {
    const dump = await leak('idless.tsv.gz', ['P6'], 'sample:0.05,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:accents,shuffle-rows,shuffle-columns', {
      delimiter: '\t',
      encoding: 'latin1',
      gzip: true,
      header: false,
    });
    const r = await traceDump({ vault: fx.vault, dump });
    expect(implicated(r)).toEqual(['P6']);
    expect(r.dump.format.gzip).toBe(true);
  });

  it('a 3-colluder majority of full copies', async () => {
    const r = await traceDump({ vault: fx.vault, dump: await leak('maj.csv', ['P1', 'P2', 'P5'], 'collude:majority') });
    expect(r.verdict).toBe('collusion');
    expect(implicated(r)).toEqual(['P1', 'P2', 'P5']);
  });

  it('duplicated rows count each position once', async () => {
    const once = await traceDump({ vault: fx.vault, dump: await leak('once.csv', ['P3'], 'sample:0.02', {}, 'dup') });
    const twice = await traceDump({ vault: fx.vault, dump: await leak('twice.csv', ['P3'], 'sample:0.02,duplicate:1', {}, 'dup') });
    expect(twice.releases[0].rowsDuplicate).toBeGreaterThan(0);
    expect(twice.suspects[0].log10PValue).toBeCloseTo(once.suspects[0].log10PValue, 6);
  });

  it('collapsing every family leaves the canaries and fragile marks, and accuses no one else', async () => {
    const r = await traceDump({ vault: fx.vault, dump: await leak('collapsed.csv', ['P7'], 'collapse:long') });
    const dropped = r.releases[0].classes.filter((c) => c.dropped).map((c) => c.name);
    expect(dropped.some((n) => n.includes('mx-street-types'))).toBe(true);
    expect(implicated(r)).toEqual(['P7']);
  });
});

describe('the trace command', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return {
      io: { stdout: { write: (s: string) => out.push(s) } as never, stderr: { write: (s: string) => err.push(s) } as never },
      out,
      err,
    };
  }

  it('prints only the report with --json, and the report verifies with the public key', async () => {
    const { io: o, out, err } = io();
    const reportFile = path.join(fx.dir, 'report.json');
    const htmlFile = path.join(fx.dir, 'report.html');
    const code = await main(['trace', '--vault', fx.vault.dir, '--dump', fx.copy('P2'), '--json', '--report', reportFile, '--html', htmlFile], o);
    expect(code).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.verdict).toBe('attributed');
    expect(report.suspects[0].recipient).toBe('P2');
    expect(err.join('')).toBe('');
    const html = await fsp.readFile(htmlFile, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const v = io();
    expect(await main(['verify', '--public-key', path.join(fx.vault.dir, 'issuer.pub'), '--report', reportFile], v.io)).toBe(0);
    const tampered = { ...report, verdict: 'inconclusive' };
    await fsp.writeFile(reportFile, JSON.stringify(tampered));
    const t = io();
    expect(await main(['verify', '--public-key', path.join(fx.vault.dir, 'issuer.pub'), '--report', reportFile], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/REPORT_INVALID/);
  });

  it('answers garbage, empty and binary dumps with one line and exit 1', async () => {
    const files: [string, Buffer | string][] = [
      ['empty.csv', ''],
      ['binary.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
      ['prose.txt', 'This is not a table at all, only a few words of prose written as sentences.\nAnother long sentence follows it here, with no columns.\n'],
    ];
    for (const [name, content] of files) {
      const file = path.join(fx.dir, name);
      await fsp.writeFile(file, content);
      const { io: o, out, err } = io();
      expect(await main(['trace', '--vault', fx.vault.dir, '--dump', file], o)).toBe(1);
      expect(out.join('')).toBe('');
      const lines = err.join('').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(lines[0]).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a vault whose secrets are readable by others', async () => {
    const master = path.join(fx.vault.dir, 'master.key');
    await fsp.chmod(master, 0o644);
    try {
      const { io: o, err } = io();
      expect(await main(['trace', '--vault', fx.vault.dir, '--dump', fx.copy('P1')], o)).toBe(1);
      expect(err.join('')).toMatch(/master\.key.*0644.*\[VAULT_PERMISSIONS\]/);
    } finally {
      await fsp.chmod(master, 0o600);
    }
  });

  it('gives a usage error with exit 2', async () => {
    const { io: o, err } = io();
    expect(await main(['trace', '--vault', fx.vault.dir], o)).toBe(2);
    expect(err.join('')).toMatch(/missing --dump/);
  });
});
