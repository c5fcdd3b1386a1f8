import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { writeSyntheticRegistry } from '../../src/synth/index.js';

function capture(isTTY = false) {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

async function synth(args: string[], tty = false) {
  const out = capture();
  const err = capture(tty);
  const code = await main(['synth', ...args], { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

const dir = mkdtempSync(path.join(tmpdir(), 'rollmark-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rollmark synth', () => {
  it('writes the registry, nothing on stdout or stderr, no temporary file left', async () => {
    const file = path.join(dir, 'reg.csv');
    const r = await synth(['--rows', '3000', '--out', file, '--seed', 's1']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').length).toBe(3002);
    expect(readdirSync(dir)).toEqual(['reg.csv']);

    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) });
    await writeSyntheticRegistry({ rows: 3000, seed: 's1' }, sink);
    expect(Buffer.concat(chunks).equals(readFileSync(file))).toBe(true);
  });

  it('takes --states, --preset and --as-of, and replaces an existing file', async () => {
    const file = path.join(dir, 'yuc.csv');
    writeFileSync(file, 'old');
    const r = await synth(['--rows', '500', '--out', file, '--states', '31', '--preset', 'mx-ine', '--as-of', '2024-06-02']);
    expect(r.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    expect(lines.length).toBe(500);
    expect(lines.every((l) => l.split(',')[18] === '31')).toBe(true);
  });

  it('shows progress on a terminal only', async () => {
    const r = await synth(['--rows', '2000', '--out', path.join(dir, 'tty.csv')], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/rows/);
    expect(r.stderr.endsWith('\n')).toBe(true);
  });

  it('the terminal progress shows rows/s, MB/s, the share of --rows and an ETA; --quiet and a pipe show nothing', async () => {
    const r = await synth(['--rows', '2000', '--out', path.join(dir, 'tty2.csv')], true);
    const lines = r.stderr.split(/\r\x1b\[K|\r|\n/).filter((l) => l.startsWith('synth: '));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.length).toBeLessThan(80);
    expect(lines[0]).toMatch(/^synth: [\d,]+ rows, [\d.]+[kM]? rows\/s, [\d.]+ MB\/s, \d+%, ETA \d+:\d\d/);
    expect(r.stderr).toMatch(/rollmark: synth wrote .*tty2\.csv/);
    const quiet = await synth(['--rows', '2000', '--out', path.join(dir, 'tty3.csv'), '--quiet'], true);
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
    const piped = await synth(['--rows', '2000', '--out', path.join(dir, 'tty4.csv')], false);
    expect(piped).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it.each([
    [['--out', 'x.csv'], /missing --rows/],
    [['--rows', '10'], /missing --out/],
    [['--rows', 'ten', '--out', 'x.csv'], /--rows must be a positive integer/],
    [['--rows', '0', '--out', 'x.csv'], /--rows must be a positive integer/],
    [['--rows', '10', '--out', 'x.csv', '--states', '09,40'], /unknown entidad code '40'/],
    [['--rows', '10', '--out', 'x.csv', '--preset', 'us-voter'], /unknown preset 'us-voter'/],
    [['--rows', '10', '--out', 'x.csv', '--as-of', '2026-13-01'], /as-of must be a date/],
    [['--rows', '10', '--out', 'x.csv', '--bogus'], /bogus/],
  ])('refuses %j with a one-line usage error (exit 2)', async (args, message) => {
    const r = await synth(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toMatch(/^rollmark: .*\[USAGE\]$/);
    expect(lines[1]).toMatch(/^usage: rollmark synth --rows N --out FILE/);
  });

  it('fails with one line naming the file when the folder does not exist', async () => {
    const file = path.join(dir, 'missing', 'reg.csv');
    const r = await synth(['--rows', '10', '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
  });
});
