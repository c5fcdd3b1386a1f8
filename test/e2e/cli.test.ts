import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { synthRegistry, tempDir } from './fixture.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) } as never, stderr: { write: (s: string) => err.push(s) } as never },
    out,
    err,
  };
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('cli');
  await synthRegistry(path.join(dir, 'padron.csv'), 3000, 'cli');
  await fsp.writeFile(path.join(dir, 'partidos.csv'), 'id,name\nPA,Partido Azul\nPV,"Partido Verde, A.C."\n');
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('rollmark issue and verify from the command line', () => {
  it('issues, then verify passes on the ledger and every receipt', async () => {
    const vault = path.join(dir, 'vault');
    expect(await main(['init', '--vault', vault], capture().io)).toBe(0);
    const c = capture();
    const code = await main(
      ['issue', '--vault', vault, '--registry', path.join(dir, 'padron.csv'), '--recipients', path.join(dir, 'partidos.csv'), '--release', 'LN-1', '--out', path.join(dir, 'copias'), '--json'],
      c.io,
    );
    expect(c.err.join('')).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(c.out.join(''));
    expect(result.copies.map((x: { recipient: string }) => x.recipient)).toEqual(['PA', 'PV']);
    expect((await fsp.readdir(path.join(dir, 'copias'))).sort()).toEqual(['PA.csv', 'PA.receipt.json', 'PV.csv', 'PV.receipt.json']);
    const v = capture();
    expect(await main(['verify', '--vault', vault, '--ledger', path.join(vault, 'ledger.jsonl'), '--receipt', path.join(dir, 'copias', 'PV.receipt.json')], v.io)).toBe(0);
    expect(v.out.join('')).toBe('');

    const again = capture();
    const reused = await main(
      ['issue', '--vault', vault, '--registry', path.join(dir, 'padron.csv'), '--recipients', path.join(dir, 'partidos.csv'), '--release', 'LN-1', '--out', path.join(dir, 'otra')],
      again.io,
    );
    expect(reused).toBe(1);
    expect(again.err.join('')).toMatch(/^rollmark: .*release 'LN-1' was already issued.*\[RELEASE_REUSED\]\n$/);
  });

  it('names a bad recipients file by line', async () => {
    const vault = path.join(dir, 'vault2');
    await main(['init', '--vault', vault], capture().io);
    await fsp.writeFile(path.join(dir, 'bad.csv'), 'id,name\nPA,Uno\nP A,Dos\n');
    const c = capture();
    const code = await main(
      ['issue', '--vault', vault, '--registry', path.join(dir, 'padron.csv'), '--recipients', path.join(dir, 'bad.csv'), '--release', 'R', '--out', path.join(dir, 'x')],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.err.join('')).toMatch(/bad\.csv:3:1: recipient id 'P A' must match .* \[RECIPIENTS_INVALID\]/);
  });

  it('refuses issue without required flags (exit 2, usage on stderr)', async () => {
    const c = capture();
    expect(await main(['issue', '--vault', 'x'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/usage: rollmark issue/);
  });
});

describe('rollmark trace --registry', () => {
  it('accepts the registry a release was issued from and refuses another file', async () => {
    const vault = path.join(dir, 'vault');
    const ok = capture();
    expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PA.csv'), '--registry', path.join(dir, 'padron.csv'), '--quiet'], ok.io)).toBe(0);
    const bad = capture();
    expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PA.csv'), '--registry', path.join(dir, 'partidos.csv')], bad.io)).toBe(1);
    expect(bad.err.join('')).toMatch(/partidos\.csv: not the registry .* \[REGISTRY_MISMATCH\]/);
  });
});

describe('rollmark trace --lang', () => {
  it('refuses a language other than es or en before tracing (exit 2, one line naming both, USAGE)', async () => {
    const vault = path.join(dir, 'vault');
    const html = path.join(dir, 'lang-fr.html');
    for (const bad of ['fr', 'ES', '']) {
      const c = capture();
      expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PA.csv'), '--html', html, '--lang', bad], c.io)).toBe(2);
      expect(c.out.join('')).toBe('');
      const [first, usage, ...rest] = c.err.join('').split('\n');
      expect(first).toBe(`rollmark: --lang must be es or en, got '${bad}' [USAGE]`);
      expect(usage).toMatch(/^usage: rollmark trace .*\[--lang es\|en\]/);
      expect(rest).toEqual(['']);
    }
    // refused before the trace ran: nothing written
    await expect(fsp.access(html)).rejects.toThrow();
  });

  it('writes the HTML report in the language asked for, whatever the locale', async () => {
    const vault = path.join(dir, 'vault');
    const html = path.join(dir, 'lang-es.html');
    const c = capture();
    const saved = process.env.LC_ALL;
    process.env.LC_ALL = 'en_US.UTF-8'; // the locale says English; --lang es wins
    try {
      expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PA.csv'), '--html', html, '--lang', 'es', '--quiet'], c.io)).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved;
    }
    expect(c.err.join('')).toBe('');
    const text = await fsp.readFile(html, 'utf8');
    expect(text).toContain('<html lang="es">');
    expect(text).toContain('Informe de evidencia');
  });
});

describe('rollmark verify --json and document kinds', () => {
  it('prints one JSON result: what was checked, valid, the ledger head and entries, the key fingerprint, each document', async () => {
    const vault = path.join(dir, 'vault');
    const report = path.join(dir, 'report.json');
    expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PV.csv'), '--report', report, '--quiet'], capture().io)).toBe(0);
    const receipt = path.join(dir, 'copias', 'PV.receipt.json');
    const c = capture();
    expect(await main(['verify', '--vault', vault, '--ledger', path.join(vault, 'ledger.jsonl'), '--receipt', receipt, '--report', report, '--json'], c.io)).toBe(0);
    expect(c.err.join('')).toBe('');
    const r = JSON.parse(c.out.join(''));
    const { createHash } = await import('node:crypto');
    const pubHex = (await fsp.readFile(path.join(vault, 'issuer.pub'), 'utf8')).trim();
    expect(r.valid).toBe(true);
    expect(r.key).toEqual({
      file: path.join(vault, 'issuer.pub'),
      publicKey: pubHex,
      fingerprint: 'sha256:' + createHash('sha256').update(Buffer.from(pubHex, 'hex')).digest('hex'),
    });
    const ledgerText = await fsp.readFile(path.join(vault, 'ledger.jsonl'), 'utf8');
    expect(r.ledger.valid).toBe(true);
    expect(r.ledger.entries).toBe(ledgerText.trim().split('\n').length);
    expect(r.ledger.head).toMatch(/^[0-9a-f]{64}$/);
    const rec = JSON.parse(await fsp.readFile(receipt, 'utf8'));
    const rep = JSON.parse(await fsp.readFile(report, 'utf8'));
    expect(r.documents).toEqual([
      { file: receipt, kind: 'receipt', valid: true, release: 'LN-1', recipient: 'PV', sha256: rec.sha256, rows: rec.rows },
      { file: report, kind: 'report', valid: true, release: 'LN-1', verdict: rep.verdict, dumpSha256: rep.dump.sha256 },
    ]);
    expect(r.error).toBeUndefined();

    // The text form: the same checks, one line each on stderr, nothing on stdout.
    const t = capture();
    expect(await main(['verify', '--vault', vault, '--receipt', receipt, '--report', report], t.io)).toBe(0);
    expect(t.out.join('')).toBe('');
    expect(t.err.join('')).toBe(`${receipt}: receipt signature valid\n${report}: report signature valid\n`);
  });

  it('a receipt given as --report: exit 1, one line naming the file and what it is; with --json, valid false and why', async () => {
    const vault = path.join(dir, 'vault');
    const receipt = path.join(dir, 'copias', 'PA.receipt.json');
    const t = capture();
    expect(await main(['verify', '--public-key', path.join(vault, 'issuer.pub'), '--report', receipt], t.io)).toBe(1);
    expect(t.out.join('')).toBe('');
    expect(t.err.join('')).toBe(`rollmark: ${receipt}: is a receipt, not a trace report [REPORT_INVALID]\n`);

    const j = capture();
    expect(await main(['verify', '--public-key', path.join(vault, 'issuer.pub'), '--report', receipt, '--json'], j.io)).toBe(1);
    expect(j.err.join('')).toBe(`rollmark: ${receipt}: is a receipt, not a trace report [REPORT_INVALID]\n`);
    const r = JSON.parse(j.out.join(''));
    expect(r.valid).toBe(false);
    expect(r.documents).toEqual([
      { file: receipt, kind: 'report', valid: false, error: { code: 'REPORT_INVALID', message: 'is a receipt, not a trace report', file: receipt } },
    ]);
    expect(r.error.code).toBe('REPORT_INVALID');

    // A bad public key: exit 1; the JSON names the key file.
    const bad = path.join(dir, 'bad.pub');
    await fsp.writeFile(bad, 'zz\n');
    const k = capture();
    expect(await main(['verify', '--public-key', bad, '--receipt', receipt, '--json'], k.io)).toBe(1);
    const kr = JSON.parse(k.out.join(''));
    expect(kr.valid).toBe(false);
    expect(kr.key.error.code).toBe('PUBLIC_KEY_INVALID');
    expect(kr.documents).toEqual([]);
    // A usage error stays a usage error (exit 2), with no JSON.
    const u = capture();
    expect(await main(['verify', '--receipt', receipt, '--json'], u.io)).toBe(2);
    expect(u.out.join('')).toBe('');
  });
});

describe('rollmark trace summary', () => {
  it('counts repeats of a record already counted apart from foreign rows: a pristine copy has none foreign', async () => {
    const vault = path.join(dir, 'vault');
    const report = path.join(dir, 'summary-report.json');
    const c = capture();
    expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'copias', 'PA.csv'), '--report', report], c.io)).toBe(0);
    const d = JSON.parse(await fsp.readFile(report, 'utf8')).dump;
    expect(d.rowsForeign).toBe(0);
    expect(d.rowsMatched + d.rowsDuplicate).toBe(d.rows - d.rowsRejected);
    expect(c.out.join('')).toContain(
      `dump: ${d.rows} rows, ${d.rowsMatched} matched, ${d.rowsDuplicate} repeats of a record already counted, 0 foreign, ${d.rowsRejected} unreadable; sha256 ${d.sha256}\n`,
    );
  });
});
