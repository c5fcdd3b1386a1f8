#!/usr/bin/env node
/**
 * Synthetic registry throughput.
 *
 *   node bench/synth.mjs [--rows 1000000] [--repeat 3] [--keep]
 *
 * Measures, best of --repeat runs:
 *   synth -> file        writeSyntheticRegistry into a file, as `rollmark synth` runs it
 *   synth -> null sink   the same without the disk: generation and CSV encoding alone
 *   fs write             the produced bytes written again by a plain fs write: the disk floor
 *   wc -l                the produced file read back outside Node
 * and prints rows/s and MB/s beside rows per CPU-second (user + system time of this process),
 * the figure to read on a machine busy with other work.
 *
 * The library is ../dist/index.js (npm run build); ROLLMARK_LIB=path overrides it.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const ROWS = Number(opt('rows', 1_000_000));
const REPEAT = Number(opt('repeat', 3));
const keep = args.includes('--keep');
const libPath = process.env.ROLLMARK_LIB ?? new URL('../dist/index.js', import.meta.url).href;
const { writeSyntheticRegistry } = await import(libPath.startsWith('file:') ? libPath : pathToFileURL(path.resolve(libPath)).href);

const outDir = path.join(tmpdir(), 'rollmark-bench');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `synth-${ROWS}.csv`);
const copy = path.join(outDir, `synth-${ROWS}.copy.csv`);

/** Best wall time of `REPEAT` runs of `fn`, with that run's CPU time. */
async function best(fn) {
  let top = null;
  for (let i = 0; i < REPEAT; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    if (top === null || wall < top.wall) top = { wall, cpu };
  }
  return top;
}

const toFile = await best(async () => {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  await writeSyntheticRegistry({ rows: ROWS, seed: 'bench' }, out);
  out.end();
  await finished(out);
});
const bytes = statSync(file).size;
const toNull = await best(() => writeSyntheticRegistry({ rows: ROWS, seed: 'bench' }, new Writable({ write: (_c, _e, cb) => cb() })));
const data = readFileSync(file);
const fsWrite = await best(async () => writeFileSync(copy, data));
const wc = await best(async () => execFileSync('wc', ['-l', file]));

const mb = bytes / 1e6;
const line = (name, r, withRows) =>
  `${name.padEnd(20)} ${r.wall.toFixed(2).padStart(6)} s  ${(mb / r.wall).toFixed(0).padStart(5)} MB/s` +
  (withRows ? `  ${Math.round(ROWS / r.wall).toLocaleString('en-US').padStart(9)} rows/s  ${Math.round(ROWS / r.cpu).toLocaleString('en-US').padStart(9)} rows/cpu-s` : '');
console.log(`rollmark synth: ${ROWS.toLocaleString('en-US')} rows, ${mb.toFixed(1)} MB, best of ${REPEAT}, node ${process.version}`);
console.log(line('synth -> file', toFile, true));
console.log(line('synth -> null sink', toNull, true));
console.log(line('fs write (floor)', fsWrite, false));
console.log(line('wc -l (read back)', wc, false));
if (!keep) {
  unlinkSync(file);
}
unlinkSync(copy);
