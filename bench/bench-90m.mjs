#!/usr/bin/env node
/**
 * The national-size benchmark: the same steps as bench/run.mjs at 90 million rows (the size of
 * Mexico's lista nominal), plus trace-with-key peak RSS at 1M, 10M and the full size, to show
 * that trace's memory does not grow with the dump.
 *
 *   npm run bench:90m                                  (builds, then 90,000,000 rows)
 *   npm run bench:90m -- --out /big/disk [--recipients N] [--naive-copy] [--rows N] [--keep] [--dry-run]
 *
 * It checks the disk (fs.statfs on --out's file system) and the memory first, and refuses with the
 * figures when there is not enough. The disk estimate comes from the bytes a row of a small
 * synthetic sample measured now: the peak is while issue writes every copy beside the registry,
 * registry + N copies (N = --recipients, default 7: ~8 x registry, ~150 GB at 90M rows; with
 * --recipients 2, ~3 x registry), or later registry + the leaker's copy + the id-less leaks
 * (~0.75 x registry) when that is more. The naive csv-parse -> csv-stringify copy baseline (another
 * registry-sized file, and ~20 minutes at 90M rows) runs only with --naive-copy; `npm run bench`
 * measures it at 1M rows.
 * Leaks are made by streaming (bench/lib.mjs leak): `rollmark simulate` holds the table in memory.
 * Expect hours on 2 cores (see bench/README.md).
 *
 * Writes bench/out/latest-90m.md and bench/out/latest-90m.json.
 */
import { mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  MB, NODE, SELF as LIB, availableMemory, countNewlines, die, fixed, fmtBytes, int, lastLine, loadLib, log,
  machineInfo, makeScratch, markdownTable, measure, parseArgs, paths, rssMethod, sizeOf, useSnapshot, watchLoad,
} from './lib.mjs';
import { RECIPIENTS, headerLines, runSuite, stepsTable, warningLines, writeResults } from './run.mjs';

const USAGE =
  'usage: node bench/bench-90m.mjs [--rows N] [--out DIR] [--recipients N] [--naive-copy] [--seed S] [--keep] [--dry-run] [--series 1000000,10000000] [--leaks stream|simulate]';
const GIB = 1024 ** 3;

const a = parseArgs(
  process.argv.slice(2),
  { rows: 'number', out: 'string', recipients: 'number', 'naive-copy': 'boolean', seed: 'string', keep: 'boolean', 'dry-run': 'boolean', series: 'string', leaks: 'string', help: 'boolean' },
  USAGE,
);
if (a.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
// Hours of work run from a private copy of the build, so a rebuild meanwhile cannot break it.
useSnapshot();
const rows = Math.round(a.rows ?? 90_000_000);
const seed = a.seed ?? 'bench';
const recipients = a.recipients ?? RECIPIENTS.length;
if (!(Number.isInteger(recipients) && recipients >= 2 && recipients <= RECIPIENTS.length)) die(`--recipients must be 2 to ${RECIPIENTS.length}`);
const naiveCopy = a['naive-copy'] === true;
const series = (a.series ?? '1000000,10000000')
  .split(',')
  .map((x) => Math.round(Number(x.replaceAll('_', ''))))
  .filter((x) => Number.isFinite(x) && x > 0 && x < rows);

// ---- how much a row takes on disk: measured on a sample, not guessed ---------------------------
const { writeSyntheticRegistry } = await loadLib();
let sampleBytes = 0;
const SAMPLE = 50_000;
await writeSyntheticRegistry({ rows: SAMPLE, seed }, new Writable({ write: (c, _e, cb) => ((sampleBytes += c.length), cb()) }));
const bytesPerRow = sampleBytes / SAMPLE;
const registryBytes = rows * bytesPerRow;
// A copy is the registry plus canaries (about 1 in 10,000 rows, at least one a section, at most 2%).
const copyBytes = registryBytes * 1.01;
// The peak: issue writing every copy beside the registry; or, after it, the registry, the leaker's
// copy and the id-less leaks (the full id-less copy is ~70% of a copy) plus DuckDB's spill; or,
// with --naive-copy, the registry and its naive copy.
const peakBytes = Math.max(
  registryBytes + recipients * copyBytes,
  registryBytes + copyBytes + 0.8 * copyBytes + 0.25 * registryBytes,
  naiveCopy ? 2 * registryBytes : 0,
);
const needDisk = peakBytes * 1.05 + 1 * GIB;
// Memory: DuckDB's join holds a hash table over every key of the registry (about 50-60 bytes a
// key), trace and issue stay at a few hundred MB whatever the size; 2 GiB for the rest.
const needMemory = 2 * GIB + 64 * rows;

const scratch = await makeScratch(a.out);
const dir = scratch.temporary ? scratch.dir : path.join(scratch.dir, `rollmark-bench-${rows}`);
mkdirSync(dir, { recursive: true });
const fsInfo = statfsSync(dir);
const freeDisk = Number(fsInfo.bavail) * Number(fsInfo.bsize);
const freeMemory = availableMemory();

log(`rollmark bench at ${int(rows)} rows, ${recipients} recipients${naiveCopy ? ', with the naive-copy baseline' : ''}`);
log(`  sample: ${fixed(bytesPerRow, 1)} bytes a row -> registry ${fmtBytes(registryBytes)}, each copy ${fmtBytes(copyBytes)}`);
log(`  disk:   need ${fmtBytes(needDisk)} in ${dir} (peak ${fmtBytes(peakBytes)} + 5% + 1 GiB), free ${fmtBytes(freeDisk)}`);
log(`  memory: need ${fmtBytes(needMemory)} available, have ${fmtBytes(freeMemory)}`);
log(`  trace-with-key RSS series at: ${[...series, rows].map((x) => int(x)).join(', ')} rows`);

const problems = [];
if (freeDisk < needDisk) {
  problems.push(
    `not enough disk in ${scratch.temporary ? path.dirname(dir) : scratch.dir}: need about ${fmtBytes(needDisk)}, ${fmtBytes(freeDisk)} free.` +
      (recipients > 2 ? ` Point --out at a larger disk, or issue to fewer recipients: --recipients 2 needs about ${fmtBytes((registryBytes + 2 * copyBytes) * 1.05 + GIB)}.` : ''),
  );
}
if (freeMemory < needMemory) problems.push(`not enough memory: need about ${fmtBytes(needMemory)} available, ${fmtBytes(freeMemory)} is.`);
if (problems.length || a['dry-run']) {
  await rm(scratch.temporary ? scratch.dir : dir, { recursive: true, force: true });
  if (problems.length) die(`refusing to start:\n  ${problems.join('\n  ')}`);
  log('dry run: the checks pass; nothing was run');
  process.exit(0);
}

// ---- the suite at full size -------------------------------------------------------------------
const machine = machineInfo();
const command = `node bench/bench-90m.mjs ${process.argv.slice(2).join(' ')}`.trim();
const stopLoad = watchLoad();
const t0 = Date.now();
let main;
let fatal = null;
const seriesResults = [];
try {
  main = await runSuite({ rows, seed, dir: path.join(dir, 'main'), recipients, naiveCopy, leaks: a.leaks ?? 'stream', tag: '' });
  // Free the disk before the series: nothing of the full-size run is needed any more.
  if (!a.keep) await rm(path.join(dir, 'main'), { recursive: true, force: true });

  // ---- trace-with-key RSS at smaller sizes ------------------------------------------------------
  // The same recipients, the same kind of dump (an issued copy with the key): only the size
  // changes, so a flat peak RSS shows trace's memory does not follow the dump.
  for (const size of series) {
    const sdir = path.join(dir, `series-${size}`);
    mkdirSync(sdir, { recursive: true });
    const reg = path.join(sdir, 'registry.csv');
    const vault = path.join(sdir, 'vault');
    const copies = path.join(sdir, 'copies');
    const rec = path.join(sdir, 'recipients.csv');
    const who = RECIPIENTS.slice(0, recipients);
    writeFileSync(rec, `id,name\n${who.map(([id, name]) => `${id},${name}`).join('\n')}\n`);
    const leaker = recipients === RECIPIENTS.length ? 'MC' : who[who.length - 1][0];
    const entry = { rows: size };
    const run = async (label, cmd, args, opts) => {
      log(`[series ${int(size)}] ${label} ...`);
      const r = await measure(cmd, args, { scratch: sdir, ...opts });
      if (r.code !== 0) throw new Error(`${label} at ${int(size)} rows failed: ${lastLine(r.stderr)}`);
      return r;
    };
    try {
      await run('synth', NODE, [LIB, 'synth', '--rows', String(size), '--seed', seed, '--out', reg]);
      await run('init', NODE, [paths.cli, 'init', '--vault', vault]);
      const iss = await run('issue', NODE, [paths.cli, 'issue', '--vault', vault, '--registry', reg, '--recipients', rec, '--release', 'BENCH-1', '--out', copies, '--quiet']);
      entry.issueSeconds = iss.seconds;
      entry.issuePeakRssMiB = iss.peakRssMiB;
      const dump = path.join(copies, `${leaker}.csv`);
      const reportFile = path.join(sdir, 'report.json');
      const tr = await run('trace', NODE, [paths.cli, 'trace', '--vault', vault, '--dump', dump, '--json'], { stdoutFile: reportFile });
      const rep = JSON.parse(readFileSync(reportFile, 'utf8'));
      Object.assign(entry, {
        dumpRows: (await countNewlines(dump)) - 1,
        dumpBytes: sizeOf(dump),
        traceSeconds: tr.seconds,
        traceCpuSeconds: tr.cpuSeconds,
        tracePeakRssMiB: tr.peakRssMiB,
        verdict: rep.verdict,
        top: rep.suspects?.[0]?.recipient ?? null,
        right: rep.verdict === 'attributed' && rep.suspects?.[0]?.recipient === leaker,
      });
      if (!entry.right) main.warnings.push(`series ${int(size)}: trace said '${rep.verdict}' with ${entry.top} on top; expected 'attributed' to ${leaker}`);
    } catch (err) {
      entry.error = err.message;
      main.warnings.push(err.message);
      log(`WARNING: ${err.message}`);
    } finally {
      if (!a.keep) await rm(sdir, { recursive: true, force: true });
    }
    seriesResults.push(entry);
  }
} catch (err) {
  // Only the registry's synthesis throws (nothing can run without it); clean up, then say why.
  fatal = err;
} finally {
  if (!a.keep) await rm(scratch.temporary ? scratch.dir : dir, { recursive: true, force: true });
  else log(`kept the files in ${dir}`);
}
if (fatal) die(fatal.message);
const load = stopLoad();

// The full-size point of the series is the main run's own trace of the key-present copy.
const mainTrace = main.steps.find((s) => s.id === 'trace-key-full');
const mainIssue = main.steps.find((s) => s.id === 'issue');
if (mainTrace) {
  seriesResults.push({
    rows,
    dumpRows: mainTrace.rows,
    dumpBytes: mainTrace.bytes,
    traceSeconds: mainTrace.seconds,
    traceCpuSeconds: mainTrace.cpuSeconds,
    tracePeakRssMiB: mainTrace.peakRssMiB,
    issueSeconds: mainIssue?.seconds,
    issuePeakRssMiB: mainIssue?.peakRssMiB,
    verdict: mainTrace.check?.verdict,
    top: mainTrace.check?.top,
    right: mainTrace.check?.right,
    error: mainTrace.ok ? undefined : mainTrace.error,
  });
}
const seriesTable = markdownTable(
  ['registry rows', 'dump MB', 'trace s', 'trace rows/s', 'trace peak RSS MiB', 'issue peak RSS MiB', 'verdict'],
  seriesResults.map((e) => [
    int(e.rows),
    e.dumpBytes ? fixed(e.dumpBytes / MB, 0) : '',
    fixed(e.traceSeconds, 1),
    e.dumpRows && e.traceSeconds ? int(e.dumpRows / e.traceSeconds) : '',
    int(e.tracePeakRssMiB),
    int(e.issuePeakRssMiB),
    e.error ? `FAILED: ${e.error}` : `${e.verdict} -> ${e.top}${e.right ? '' : ' WRONG'}`,
  ]),
  ['r', 'r', 'r', 'r', 'r', 'r', 'l'],
);
const hours = (Date.now() - t0) / 3600e3;
const md = [
  `# rollmark bench, ${int(rows)} rows, ${recipients} recipients`,
  '',
  ...headerLines(machine, { command, registry: main.registry, seed, leakMode: main.leakMode, load }),
  `- total time: ${fixed(hours, 2)} h; scratch: ${dir}`,
  '',
  stepsTable(main.steps),
  '',
  '**Trace with the key: peak RSS by size** (the dump is an issued copy, the whole registry plus canaries)',
  '',
  seriesTable,
  ...warningLines(main.warnings),
  '',
].join('\n');
process.stdout.write(md);
writeResults('latest-90m', md, {
  version: 1,
  command,
  machine,
  rssMethod: rssMethod(),
  params: { rows, seed, recipients, naiveCopy, leakMode: main.leakMode, series },
  load,
  estimate: { bytesPerRow, registryBytes, copyBytes, needDisk, freeDisk, needMemory, freeMemory },
  registry: { rows, bytes: main.registry.bytes, bytesPerRow: main.registry.bytesPerRow },
  steps: main.steps,
  traceRssBySize: seriesResults,
  warnings: main.warnings,
  hours,
});
if (main.steps.some((s) => !s.ok) || seriesResults.some((e) => e.error)) process.exitCode = 1;
