/**
 * Shared ground of the fault tests: they run the built CLI (`node bin/rollmark.mjs`) as a child
 * process, so that it can be killed or starved of disk like a real run. `npm test` builds first;
 * when dist/cli.js is missing the tests are skipped with a message.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'rollmark.mjs');
export const BUILT = fs.existsSync(path.join(ROOT, 'dist', 'cli.js'));
if (!BUILT) console.warn('fault tests skipped: dist/cli.js is missing (run `npm run build`; `npm test` does)');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to the end. */
export function rollmark(args: string[], opts: { cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the built CLI; the caller kills it or waits for it. */
export function startRollmark(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The contract's failure: exit 1, nothing on stdout, exactly one `rollmark: ... [CODE]` line. */
export function expectOneLineFailure(r: Run, code: string): string {
  const context = `exit ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`;
  expect(r.code, context).toBe(1);
  expect(r.stdout, context).toBe('');
  const lines = r.stderr.split('\n');
  expect(lines.length, context).toBe(2);
  expect(lines[1], context).toBe('');
  expect(lines[0], context).toMatch(new RegExp(`^rollmark: .* \\[${code}\\]$`));
  return lines[0];
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const RECIPIENTS = 'id,name\nP1,Partido Uno\nP2,Partido Dos\nP3,Partido Tres\nP4,Partido Cuatro\nP5,Partido Cinco\nP6,Partido Seis\nP7,Partido Siete\n';

/** The ledger's entries as parsed JSON (no verification: `rollmark verify` does that). */
export function ledgerEntries(file: string): { seq: number; type: string; data: Record<string, any> }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
