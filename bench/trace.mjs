#!/usr/bin/env node
/**
 * Trace throughput on a watermarked mx-ine copy, with the key column and without it.
 *
 *   npm run build && node bench/trace.mjs [--rows 1000000] [--dir PATH] [--workers 1,2]
 *                                          [--repeat 1] [--baseline OLD_DIST_DIR]
 *
 * Set-up (kept in --dir, default $TMPDIR/rollmark-bench-trace-ROWS, and reused when it is there): a synthetic registry of --rows rows
 * (writeSyntheticRegistry), `rollmark init`, `rollmark issue` to 7 recipients, and the key-less
 * leak `rollmark simulate --copies copies/P3.csv --attacks 'drop:ELECTOR+CURP+OCR+FOL_NAC'`.
 *
 * Then, for the copy P3.csv (key column) and idless.csv (match index), it runs in a child process
 * each: `wc -l` (the read floor), traceDump with each --workers count, and traceDump of
 * --baseline (the dist folder of another build, e.g. the commit before, for before/after),
 * and prints wall time, rows/s, MB/s, CPU seconds and peak RSS (/usr/bin/time -v when installed,
 * else the child's own report from /proc). The reports of every run must agree on the suspects and
 * their p-values: the script says so, or fails.
 *
 * The library is ../dist/index.js; ROLLMARK_LIB=path overrides it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const ROWS = Number(opt('rows', 1_000_000));
const REPEAT = Number(opt('repeat', 1));
const WORKERS = String(opt('workers', '1,2')).split(',').map(Number);
const BASELINE = opt('baseline', null);
const here = path.dirname(fileURLToPath(import.meta.url));
const libPath = path.resolve(process.env.ROLLMARK_LIB ?? path.join(here, '../dist/index.js'));
const bin = path.join(here, '../bin/rollmark.mjs');
const dir = path.resolve(opt('dir', path.join(tmpdir(), `rollmark-bench-trace-${ROWS}`)));
const haveTime = existsSync('/usr/bin/time');

mkdirSync(dir, { recursive: true });
const vault = path.join(dir, 'vault');
const registry = path.join(dir, 'registry.csv');
const copy = path.join(dir, 'copies', 'P3.csv');
const idless = path.join(dir, 'idless.csv');

// ---- set-up ----

const rollmark = (...a) => execFileSync(process.execPath, [bin, ...a], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(registry)) {
  console.error(`synthesizing ${ROWS.toLocaleString('en-US')} rows ...`);
  const { writeSyntheticRegistry } = await import(pathToFileURL(libPath).href);
  const out = createWriteStream(registry + '.partial');
  await writeSyntheticRegistry({ rows: ROWS, seed: 'bench-trace' }, out);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  execFileSync('mv', [registry + '.partial', registry]);
}
if (!existsSync(copy)) {
  console.error('init, issue to 7 recipients ...');
  rmSync(vault, { recursive: true, force: true });
  rmSync(path.join(dir, 'copies'), { recursive: true, force: true });
  writeFileSync(path.join(dir, 'recipients.csv'), 'id,name\n' + [1, 2, 3, 4, 5, 6, 7].map((i) => `P${i},Party ${i}`).join('\n') + '\n');
  rollmark('init', '--vault', vault);
  rollmark('issue', '--vault', vault, '--registry', registry, '--recipients', 'recipients.csv', '--release', 'LN-BENCH', '--out', 'copies');
}
if (!existsSync(idless)) {
  console.error('simulating the key-less leak ...');
  rollmark('simulate', '--copies', copy, '--attacks', 'drop:ELECTOR+CURP+OCR+FOL_NAC', '--seed', 's', '--out', idless);
}

// ---- measurement ----

/** Runs a command under /usr/bin/time -v; wall seconds, CPU seconds, peak RSS (KiB), stdout. */
function timed(cmd, cmdArgs) {
  const full = haveTime ? ['/usr/bin/time', ['-v', cmd, ...cmdArgs]] : [cmd, cmdArgs];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stderr}`);
  let cpu = NaN;
  let rss = NaN;
  if (haveTime) {
    const num = (re) => Number((re.exec(r.stderr) ?? [])[1]);
    cpu = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
    rss = num(/Maximum resident set size \(kbytes\): (\d+)/);
  } else {
    const self = /RSS_KB=(\d+) CPU_S=([\d.]+)/.exec(r.stderr);
    if (self) {
      rss = Number(self[1]);
      cpu = Number(self[2]);
    }
  }
  return { wall, cpu, rss, stdout: r.stdout };
}

/** A child that traces and prints the report's suspects (and, without time(1), its peak RSS). */
function traceChild(lib, dump, workers) {
  const code = `
    const { traceDump } = await import(${JSON.stringify(pathToFileURL(lib).href)});
    const r = await traceDump({ vault: ${JSON.stringify(vault)}, dump: ${JSON.stringify(dump)}${workers ? `, workers: ${workers}` : ''} });
    process.stdout.write(JSON.stringify({ verdict: r.verdict, rows: r.dump.rows, rowsMatched: r.dump.rowsMatched,
      suspects: r.suspects.map((s) => [s.recipient, s.pValue, s.log10PValue, s.score, s.canaries, s.marksObserved]) }));
    if (!${haveTime}) {
      const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
      const u = process.cpuUsage();
      process.stderr.write('RSS_KB=' + /VmHWM:\\s+(\\d+)/.exec(status)[1] + ' CPU_S=' + ((u.user + u.system) / 1e6) + '\\n');
    }`;
  return timed(process.execPath, ['--input-type=module', '-e', code]);
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');
console.log(`trace benchmark: ${ROWS.toLocaleString('en-US')}-row registry, 7 recipients; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('wall and rows/s include start-up, column mapping (about 2,000 sample rows), the bound and signing.\n');
console.log('file         size MB  rows        run                 wall s   rows/s      MB/s    CPU s   peak RSS MB');

for (const [label, file] of [['P3.csv', copy], ['idless.csv', idless]]) {
  const size = statSync(file).size;
  const mb = size / 1e6;
  const runs = [];
  const best = (f) => {
    let b = null;
    for (let i = 0; i < REPEAT; i++) {
      const r = f();
      if (b === null || r.wall < b.wall) b = r;
    }
    return b;
  };
  const wc = best(() => timed('wc', ['-l', file]));
  const lines = Number(wc.stdout.trim().split(/\s+/)[0]);
  runs.push(['wc -l', wc, null]);
  if (BASELINE) {
    const r = best(() => traceChild(path.resolve(BASELINE, 'index.js'), file, 0));
    runs.push(['before (baseline)', r, JSON.parse(r.stdout)]);
  }
  for (const w of WORKERS) {
    const r = best(() => traceChild(libPath, file, w));
    runs.push([`after, ${w} worker${w > 1 ? 's' : ''}`, r, JSON.parse(r.stdout)]);
  }
  for (const [name, r] of runs) {
    console.log(
      `${label.padEnd(12)} ${fmt(mb, 1).padStart(7)}  ${fmt(lines).padStart(10)}  ${name.padEnd(18)} ${fmt(r.wall, 2).padStart(7)} ${fmt(lines / r.wall).padStart(10)} ${fmt(mb / r.wall, 1).padStart(8)} ${fmt(r.cpu, 2).padStart(8)} ${fmt(r.rss / 1024, 0).padStart(10)}`,
    );
  }
  const reports = runs.filter((x) => x[2] !== null);
  const ref = JSON.stringify(reports[0][2]);
  const same = reports.every((x) => JSON.stringify(x[2]) === ref);
  console.log(`${label}: verdict ${reports[0][2].verdict}, top ${reports[0][2].suspects[0][0]} (log10 p ${reports[0][2].suspects[0][2].toFixed(1)}); reports ${same ? 'identical across runs' : 'DIFFER'}\n`);
  if (!same) {
    for (const [name, , rep] of reports) console.error(name, JSON.stringify(rep).slice(0, 400));
    process.exitCode = 1;
  }
}
console.error(`(the set-up stays in ${dir} for the next run; delete it when done)`);
