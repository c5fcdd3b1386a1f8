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
