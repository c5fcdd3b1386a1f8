import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { openAtomicFile, openAtomicWriter } from '../../src/csv/atomic.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollmark-atomic-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('openAtomicFile', () => {
  it('writes under a dot-partial name and renames on commit', async () => {
    const dir = tmp();
    const f = path.join(dir, 'MC.csv');
    const a = await openAtomicFile(f);
    expect(path.dirname(a.partialPath)).toBe(dir);
    expect(path.basename(a.partialPath)).toMatch(new RegExp(`^\\.MC\\.csv\\.partial-${process.pid}-[0-9a-f]{12}$`));
    a.stream.write('a,b\n');
    expect(existsSync(f)).toBe(false);
    await a.finish();
    expect(existsSync(f)).toBe(false); // durable, not yet visible
    await a.commit();
    expect(readFileSync(f, 'utf8')).toBe('a,b\n');
    expect(readdirSync(dir)).toEqual(['MC.csv']);
  });

  it('abort leaves nothing', async () => {
    const dir = tmp();
    const a = await openAtomicFile(path.join(dir, 'x.csv'));
    a.stream.write('partial data');
    await a.abort();
    await a.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an existing final name unless overwrite', async () => {
    const dir = tmp();
    const f = path.join(dir, 'x.csv');
    writeFileSync(f, 'old');
    await expect(openAtomicFile(f)).rejects.toMatchObject({ code: 'FILE_EXISTS', file: f });
    // the name taken while writing: commit refuses and keeps the other file
    const g = path.join(dir, 'y.csv');
    const a = await openAtomicFile(g);
    a.stream.write('new');
    writeFileSync(g, 'raced');
    await expect(a.commit()).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    expect(readFileSync(g, 'utf8')).toBe('raced');
    await a.abort();
    const b = await openAtomicFile(f, { overwrite: true, mode: 0o600 });
    b.stream.end('new');
    await b.commit();
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(dir).sort()).toEqual(['x.csv', 'y.csv']);
  });

  it('creates private files when asked', async () => {
    const dir = tmp();
    const f = path.join(dir, 'secret');
    const a = await openAtomicFile(f, { mode: 0o600 });
    a.stream.end('k');
    await a.commit();
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('openAtomicWriter returns size and SHA-256 of the committed file', async () => {
    const dir = tmp();
    const f = path.join(dir, 'copy.csv');
    const w = await openAtomicWriter(f, { bufferSize: 4096 });
    for (let i = 0; i < 3000; i++) w.writer.writeRecord([String(i), 'PÉREZ, ANA']);
    const s = await w.commit();
    const data = readFileSync(f);
    expect(s.bytes).toBe(data.length);
    expect(s.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('a killed writer leaves only a dot-partial file', async () => {
    const dir = tmp();
    const f = path.join(dir, 'copy.csv');
    // The child runs the real module, bundled to plain JS with esbuild (tsup's own bundler).
    const bundle = path.join(tmp(), 'atomic.mjs');
    buildSync({ entryPoints: [path.resolve('src/csv/atomic.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'silent' });
    const script = `
      const { openAtomicWriter } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const w = await openAtomicWriter(${JSON.stringify(f)}, { bufferSize: 4096 });
      const line = 'x'.repeat(1000);
      let n = 0;
      for (;;) {
        if (!w.writer.writeLine(line)) await w.writer.drain();
        if (++n === 100) process.stdout.write('ready\\n');
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 50));
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited by itself (${_code})`))));
    });
    const names = readdirSync(dir);
    expect(names.length).toBe(1);
    expect(names[0]).toMatch(/^\.copy\.csv\.partial-\d+-[0-9a-f]{12}$/);
    expect(statSync(path.join(dir, names[0])).size).toBeGreaterThan(0);
    expect(existsSync(f)).toBe(false);
  });
});
