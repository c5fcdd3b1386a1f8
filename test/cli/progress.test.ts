/**
 * The progress line: a pure formatter (rows, rows/s, MB/s, share done, ETA) that stays under 80
 * columns, and a meter that writes it to stderr only on a terminal and never with --quiet.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProgress, progressMeter, PROGRESS_COLUMNS } from '../../src/cli/progress.js';

describe('formatProgress', () => {
  it('shows rows, rows/s, MB/s, the share done and the ETA by bytes', () => {
    const line = formatProgress('trace', { rows: 1_000_000, bytes: 200e6, totalBytes: 800e6, elapsedMs: 10_000 });
    expect(line).toBe('trace: 1,000,000 rows, 100k rows/s, 20.0 MB/s, 25%, ETA 0:30, 0:10 elapsed');
  });

  it('takes the ETA from rows when only the total rows are known (synth)', () => {
    const line = formatProgress('synth', { rows: 250_000, bytes: 50e6, totalRows: 1_000_000, elapsedMs: 5_000 });
    expect(line).toBe('synth: 250,000 rows, 50.0k rows/s, 10.0 MB/s, 25%, ETA 0:15, 0:05 elapsed');
  });

  it('measures rates and the ETA from a base (a later pass)', () => {
    const line = formatProgress('p', { rows: 300, bytes: 3000, totalBytes: 5000, elapsedMs: 30_000, base: { rows: 100, bytes: 1000, elapsedMs: 10_000 } });
    expect(line).toBe('p: 300 rows, 10 rows/s, 0.0 MB/s, 60%, ETA 0:20, 0:30 elapsed');
  });

  it('prefers the byte total to the row total', () => {
    const line = formatProgress('x', { rows: 10, bytes: 900, totalBytes: 1000, totalRows: 100, elapsedMs: 9_000 });
    expect(line).toContain('90%, ETA 0:01');
  });

  it('leaves out what it cannot know: no bytes, no MB/s; no total, no share or ETA', () => {
    const line = formatProgress('issue pass 1/2 (check)', { rows: 131_072, elapsedMs: 2_000 });
    expect(line).toBe('issue pass 1/2 (check): 131,072 rows, 65.5k rows/s, 0:02 elapsed');
    expect(formatProgress('t', { rows: 0, elapsedMs: 0 })).toBe('t: 0 rows, 0:00 elapsed');
  });

  it('writes hours in the ETA and keeps the share within 0-100%', () => {
    expect(formatProgress('t', { rows: 1, bytes: 1, totalBytes: 3601, elapsedMs: 1000 })).toContain('ETA 1:00:00');
    expect(formatProgress('t', { rows: 1, bytes: 2000, totalBytes: 1000, elapsedMs: 1000 })).toContain('100%, ETA 0:00');
  });

  it('stays under 80 columns whatever the figures, dropping elapsed, then the share, then cutting the label', () => {
    const wide = formatProgress('issue pass 2/2 (write)', { rows: 90_000_000, bytes: 18e9, totalBytes: 19e9, elapsedMs: 3_600_000 });
    expect(wide.length).toBeLessThanOrEqual(PROGRESS_COLUMNS);
    expect(wide).toMatch(/^issue pass 2\/2 \(write\): 90,000,000 rows, 25\.0k rows\/s, 5\.0 MB\/s, 94%, ETA 3:20$/);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.nat({ max: 1e10 }),
        fc.option(fc.nat({ max: 1e14 }), { nil: undefined }),
        fc.option(fc.nat({ max: 1e14 }), { nil: undefined }),
        fc.option(fc.nat({ max: 1e10 }), { nil: undefined }),
        fc.nat({ max: 1e10 }),
        (label, rows, bytes, totalBytes, totalRows, elapsedMs) => {
          const line = formatProgress(label, { rows, bytes, totalBytes, totalRows, elapsedMs });
          expect(line.length).toBeLessThanOrEqual(PROGRESS_COLUMNS);
          expect(line).toContain(' rows');
        },
      ),
    );
  });
});

function stderr(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, io: { stdout: { write: () => true } as never, stderr: { isTTY, write: (s: string) => (writes.push(s), true) } as never } };
}

describe('progressMeter', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const e = stderr(false);
    const m = progressMeter(e.io, false);
    m.update('trace', 65_536, 1e6, { bytes: 1e7 });
    m.clear();
    expect(e.writes).toEqual([]);
  });

  it('writes nothing with --quiet on a terminal', () => {
    const e = stderr(true);
    const m = progressMeter(e.io, true);
    m.update('trace', 65_536, 1e6, { bytes: 1e7 });
    m.clear();
    expect(e.writes).toEqual([]);
  });

  it('rewrites one line in place on a terminal, at most five times a second, and clears it', () => {
    const e = stderr(true);
    let t = 1_000;
    const m = progressMeter(e.io, false, () => t);
    m.update('trace', 0, 0, { bytes: 1e8 }); // a step's first line
    t += 100;
    m.update('trace', 6_553, 1e6, { bytes: 1e8 }); // its next line is not held back
    t += 100;
    m.update('trace', 65_536, 1e7, { bytes: 1e8 }); // within 200 ms of the last: skipped
    t += 1_800;
    m.update('trace', 131_072, 2e7, { bytes: 1e8 });
    m.clear();
    expect(e.writes).toEqual([
      '\r\x1b[Ktrace: 0 rows, 0%, 0:00 elapsed',
      '\r\x1b[Ktrace: 6,553 rows, 65.5k rows/s, 10.0 MB/s, 1%, ETA 0:10, 0:00 elapsed',
      '\r\x1b[Ktrace: 131,072 rows, 65.5k rows/s, 10.0 MB/s, 20%, ETA 0:08, 0:02 elapsed',
      '\r\x1b[K',
    ]);
  });

  it("the first step's rates run from the meter's start, or from its 0-row start line when it gives one", () => {
    const e = stderr(true);
    let t = 0;
    const m = progressMeter(e.io, false, () => t);
    t = 3_000; // opening the vault, mapping columns: not reading rows
    m.update('trace', 0, 0, { bytes: 4e7 });
    t = 5_000;
    m.update('trace', 65_536, 2e7, { bytes: 4e7 });
    expect(e.writes[1]).toBe('\r\x1b[Ktrace: 65,536 rows, 32.8k rows/s, 10.0 MB/s, 50%, ETA 0:02, 0:05 elapsed');
    const f = stderr(true);
    t = 0;
    const n = progressMeter(f.io, false, () => t);
    t = 4_000;
    n.update('synth', 65_536, 2e7, { rows: 131_072 });
    expect(f.writes[0]).toBe('\r\x1b[Ksynth: 65,536 rows, 16.4k rows/s, 5.0 MB/s, 50%, ETA 0:04, 0:04 elapsed');
  });

  it('a new label (the second pass) measures its rates from its own first figures', () => {
    const e = stderr(true);
    let t = 0;
    const m = progressMeter(e.io, false, () => t);
    t = 4_000;
    m.update('issue pass 1/2 (check)', 65_536);
    t = 10_000;
    m.update('issue pass 2/2 (write)', 65_536, 1e7, { bytes: 1e8 });
    t = 12_000;
    m.update('issue pass 2/2 (write)', 131_072, 2e7, { bytes: 1e8 });
    expect(e.writes[0]).toBe('\r\x1b[Kissue pass 1/2 (check): 65,536 rows, 16.4k rows/s, 0:04 elapsed');
    // Its first figures have no rate yet; then 65,536 rows and 10 MB in the 2 s since.
    expect(e.writes[1]).toBe('\r\x1b[Kissue pass 2/2 (write): 65,536 rows, 10%, 0:10 elapsed');
    expect(e.writes[2]).toBe('\r\x1b[Kissue pass 2/2 (write): 131,072 rows, 32.8k rows/s, 5.0 MB/s, 20%, ETA 0:16');
  });
});

describe('issue and trace on a terminal', () => {
  it('show each pass of issue and the trace with rows/s, MB/s, the share of the file and an ETA; piped, nothing', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { synthRegistry, tempDir } = await import('../e2e/fixture.js');
    const fsp = await import('node:fs/promises');
    const path = await import('node:path');
    const dir = await tempDir('progress');
    try {
      // 70,000 rows: progress comes every 65,536 rows of a pass.
      const registry = path.join(dir, 'padron.csv');
      await synthRegistry(registry, 70_000, 'progress');
      await fsp.writeFile(path.join(dir, 'r.csv'), 'id,name\nPA,Uno\nPB,Dos\n');
      const vault = path.join(dir, 'vault');
      expect(await main(['init', '--vault', vault], stderr(false).io)).toBe(0);
      const tty = stderr(true);
      const args = ['--vault', vault, '--registry', registry, '--recipients', path.join(dir, 'r.csv'), '--out', path.join(dir, 'out'), '--quiet'];
      // --quiet on a terminal: nothing.
      expect(await main(['issue', ...args, '--release', 'Q-1'], tty.io)).toBe(0);
      expect(tty.writes).toEqual([]);
      const shown = stderr(true);
      expect(await main(['issue', ...args.slice(0, -1), '--out', path.join(dir, 'out2'), '--release', 'Q-2', '--json'], shown.io)).toBe(0);
      const lines = (w: string[]) => w.join('').split(/\r\x1b\[K|\n/).filter((l) => l !== '');
      const issued = lines(shown.writes);
      // Each pass: a first line as it starts, then one at 65,536 rows, both with the share of the registry read.
      expect(issued[0]).toMatch(/^issue pass 1\/2 \(check\): 0 rows, 0%, 0:\d\d elapsed$/);
      expect(issued[1]).toMatch(/^issue pass 1\/2 \(check\): 65,536 rows, [\d.]+[kM]? rows\/s, [\d.]+ MB\/s, (8\d|9\d|100)%, ETA \d+:\d\d/);
      expect(issued[2]).toMatch(/^issue pass 2\/2 \(write\): 0 rows, 0%, 0:\d\d elapsed$/);
      expect(issued[3]).toMatch(/^issue pass 2\/2 \(write\): 65,536 rows, [\d.]+[kM]? rows\/s, [\d.]+ MB\/s, (8\d|9\d|100)%, ETA \d+:\d\d/);
      expect(issued.length).toBe(4);
      const traced = stderr(true);
      const out: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) } as never, stderr: traced.io.stderr };
      expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'out2', 'PA.csv'), '--json'], io)).toBe(0);
      expect(JSON.parse(out.join('')).suspects[0].recipient).toBe('PA');
      const t = lines(traced.writes);
      expect(t[0]).toMatch(/^trace: 0 rows, 0%, 0:\d\d elapsed$/);
      expect(t[1]).toMatch(/^trace: 65,536 rows, [\d.]+[kM]? rows\/s, [\d.]+ MB\/s, (8\d|9\d|100)%, ETA \d+:\d\d/);
      for (const l of [...issued, ...t]) expect(l.length).toBeLessThan(80);
      // Piped: the same trace writes nothing on stderr.
      const piped = stderr(false);
      expect(await main(['trace', '--vault', vault, '--dump', path.join(dir, 'out2', 'PA.csv'), '--json'], { stdout: io.stdout, stderr: piped.io.stderr })).toBe(0);
      expect(piped.writes).toEqual([]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
