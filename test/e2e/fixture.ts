import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { writeSyntheticRegistry } from '../../src/synth/index.js';
import { initVault, type Vault } from '../../src/vault/vault.js';
import { issueRelease, type IssueResult } from '../../src/watermark/issue.js';

export interface Issued {
  dir: string;
  vault: Vault;
  registry: string;
  result: IssueResult;
  copy(id: string): string;
}

export const PARTIES = [
  { id: 'P1', name: 'Partido Uno' },
  { id: 'P2', name: 'Partido Dos' },
  { id: 'P3', name: 'Partido Tres' },
  { id: 'P4', name: 'Partido Cuatro' },
  { id: 'P5', name: 'Partido Cinco' },
  { id: 'P6', name: 'Partido Seis' },
  { id: 'P7', name: 'Partido Siete' },
];

const made: string[] = [];

/** A fresh temporary folder `rollmark-<label>-*`, removed after the test file's last test. */
export async function tempDir(label: string): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `rollmark-${label}-`));
  made.push(dir);
  return dir;
}

afterAll(async () => {
  while (made.length) await fsp.rm(made.pop() as string, { recursive: true, force: true });
});

export async function synthRegistry(file: string, rows: number, seed = 'fixture', states?: string[]): Promise<void> {
  const out = fs.createWriteStream(file);
  await writeSyntheticRegistry({ rows, seed, states }, out);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** A vault, a synthetic registry and one issued release, in a fresh temp folder. */
export async function issueFixture(rows: number, opts: { recipients?: number; seed?: string; states?: string[]; release?: string } = {}): Promise<Issued> {
  const dir = await tempDir('e2e');
  const vault = await initVault(path.join(dir, 'vault'));
  const registry = path.join(dir, 'registry.csv');
  await synthRegistry(registry, rows, opts.seed ?? 'fixture', opts.states);
  const outDir = path.join(dir, 'copies');
  const result = await issueRelease({
    vault,
    registry,
    recipients: PARTIES.slice(0, opts.recipients ?? 5),
    release: opts.release ?? 'LN-TEST-01',
    outDir,
    now: () => new Date('2026-03-01T12:00:00Z'),
  });
  return { dir, vault, registry, result, copy: (id) => path.join(outDir, `${id}.csv`) };
}
