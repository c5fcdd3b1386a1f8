/**
 * Helpers for the benchmark suite (bench/run.mjs, bench/bench-90m.mjs), and the small tasks the
 * suite runs in child processes.
 *
 * Every measured step runs in its own process, so that its wall time, CPU time and peak RSS are
 * its own and not mixed with the harness (which holds the results, the parsed reports and the
 * DuckDB module). Run directly, this file is that child:
 *
 *   node bench/lib.mjs synth --rows N --seed S --out FILE         writeSyntheticRegistry to a file
 *   node bench/lib.mjs csv-parse --file FILE                      csv-parse stream, count records
 *   node bench/lib.mjs csv-copy --file FILE --out FILE            csv-parse -> csv-stringify -> file
 *   node bench/lib.mjs duckdb-count --file FILE [--threads 2]     SELECT count(*) FROM read_csv(FILE)
 *   node bench/lib.mjs duckdb-join --dump FILE --registry FILE [--key ELECTOR] [--threads 2]
 *   node bench/lib.mjs leak --copy FILE --out FILE [--sample F] [--drop A+B] [--normalize accents+whitespace] [--seed S]
 *
 * Each prints one JSON line on stdout ({ rows, bytes, ... }) and nothing else there.
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  closeSync, cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync,
} from 'node:fs';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SELF = fileURLToPath(import.meta.url);
export const NODE = process.execPath;

/**
 * Where the library and the CLI are run from. `useSnapshot()` points them at a private copy of
 * the build: a `npm run build` elsewhere (tsup empties dist/ first) must not pull the build from
 * under a run that takes minutes or hours. Child tasks get the library's path in ROLLMARK_LIB,
 * the variable the other bench scripts already read.
 */
export const paths = {
  dist: process.env.ROLLMARK_LIB ? path.resolve(process.env.ROLLMARK_LIB) : path.join(ROOT, 'dist', 'index.js'),
  cli: path.join(ROOT, 'bin', 'rollmark.mjs'),
};

/**
 * Copies dist/ and bin/ to bench/out/.build-<pid>/ (inside the repository, so that the copy still
 * finds node_modules and package.json's "type") and runs everything from there. Returns a function
 * that removes the copy.
 */
export function useSnapshot() {
  const builtDist = path.join(ROOT, 'dist');
  if (!existsSync(path.join(builtDist, 'index.js')) || !existsSync(path.join(builtDist, 'cli.js'))) {
    die(`${builtDist} has no build: run \`npm run build\` first (npm run bench does)`);
  }
  const outDir = path.join(ROOT, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  // Copies left by runs that were killed.
  for (const name of readdirSync(outDir)) {
    const m = /^\.build-(\d+)$/.exec(name);
    if (m && !pidAlive(Number(m[1]))) rmSync(path.join(outDir, name), { recursive: true, force: true });
  }
  const snap = path.join(outDir, `.build-${process.pid}`);
  rmSync(snap, { recursive: true, force: true });
  cpSync(builtDist, path.join(snap, 'dist'), { recursive: true });
  cpSync(path.join(ROOT, 'bin'), path.join(snap, 'bin'), { recursive: true });
  paths.dist = path.join(snap, 'dist', 'index.js');
  paths.cli = path.join(snap, 'bin', 'rollmark.mjs');
  process.env.ROLLMARK_LIB = paths.dist;
  const remove = () => rmSync(snap, { recursive: true, force: true });
  process.on('exit', remove);
  return remove;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// 1 MB = 10^6 bytes for throughput (what disks and `dd` report); RSS is shown in MiB (what the
// kernel counts in KiB pages).
export const MB = 1e6;
export const MIB = 1024 * 1024;

// ------------------------------------------------------------------------------------------------
// Arguments
// ------------------------------------------------------------------------------------------------

/**
 * Parses `--name value` and `--flag` arguments against a spec { name: 'string' | 'number' |
 * 'boolean' }. Unknown names are an error: a mistyped option must not silently run the default
 * (a 90-minute run with the wrong size is expensive).
 */
export function parseArgs(argv, spec, usage) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in spec)) die(`unknown argument '${a}'\n${usage}`, 2);
    const name = m[1];
    const kind = spec[name];
    if (kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) die(`--${name} needs a value\n${usage}`, 2);
    if (kind === 'number') {
      // Accept 1000000, 1_000_000, 1e6, 90M, 2k: the sizes people type.
      const t = raw.replaceAll('_', '').replaceAll(',', '');
      const sm = /^(\d+(?:\.\d+)?)([kKmM])$/.exec(t);
      const v = sm ? Number(sm[1]) * (sm[2].toLowerCase() === 'k' ? 1e3 : 1e6) : Number(t);
      if (!Number.isFinite(v) || v <= 0) die(`--${name} must be a positive number, got '${raw}'\n${usage}`, 2);
      out[name] = v;
    } else {
      out[name] = raw;
    }
  }
  return out;
}

export function die(message, code = 1) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}

export function log(message) {
  process.stderr.write(`${message}\n`);
}

// ------------------------------------------------------------------------------------------------
// The machine
// ------------------------------------------------------------------------------------------------

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

/** MemAvailable (what can be used without swapping), falling back to os.freemem(). */
export function availableMemory() {
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return os.freemem();
}

function gitDescribe() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit} (src/ modified)` : commit;
  } catch {
    return 'unknown';
  }
}

export function machineInfo() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpuModel(),
    // Cores this process may use (cgroup limits included where Node knows them).
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    rollmark: `${pkg.version} @ ${gitDescribe()}`,
  };
}

/**
 * Watches the 1-minute load average while the suite runs. Other work on the machine steals the
 * cores from the measured steps; the report says so instead of presenting inflated wall times as
 * rollmark's speed.
 */
export function watchLoad() {
  const start = os.loadavg()[0];
  let max = start;
  const timer = setInterval(() => (max = Math.max(max, os.loadavg()[0])), 5000);
  timer.unref();
  return () => {
    clearInterval(timer);
    const end = os.loadavg()[0];
    max = Math.max(max, end);
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    // The suite itself keeps about one core busy (two for DuckDB): more than that is someone else.
    return { start: +start.toFixed(2), max: +max.toFixed(2), end: +end.toFixed(2), busy: max > cores + 0.5 };
  };
}

// ------------------------------------------------------------------------------------------------
// Measuring a child process: wall time, CPU time, peak RSS
// ------------------------------------------------------------------------------------------------

/**
 * How peak RSS is measured. GNU time reports the kernel's ru_maxrss for the child as wait4()
 * returns it: the true high-water mark of the whole process (all threads, so worker_threads
 * count), whatever the program is (node, wc). Without GNU time, a node child gets a preloaded
 * hook that writes process.resourceUsage().maxRSS (the same kernel figure) when it exits; any
 * other child is polled through /proc/<pid>/status VmHWM, which can miss growth in the last
 * polling interval and is marked as a lower bound.
 */
let gnuTime;
export function rssMethod() {
  if (gnuTime === undefined) {
    gnuTime = null;
    if (process.env.ROLLMARK_BENCH_RSS !== 'hook') {
      for (const p of ['/usr/bin/time', '/bin/time']) {
        try {
          const v = execFileSync(p, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
          if (/GNU/.test(v)) {
            gnuTime = p;
            break;
          }
        } catch (err) {
          if (/GNU/.test(String(err.stderr ?? ''))) {
            gnuTime = p;
            break;
          }
        }
      }
    }
  }
  return gnuTime
    ? { name: 'gnu-time', text: `GNU time (${gnuTime} -f %M): the kernel's ru_maxrss of each child process` }
    : {
        name: 'hook',
        text: 'process.resourceUsage().maxRSS written by a preloaded hook at exit (node children); /proc/<pid>/status VmHWM polled every 20 ms for other children (a lower bound)',
      };
}

const HOOK = `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const u = process.resourceUsage();
  try { writeFileSync(process.env.ROLLMARK_BENCH_RSS_FILE, JSON.stringify({ maxRssKiB: u.maxRSS, user: u.userCPUTime / 1e6, sys: u.systemCPUTime / 1e6 })); } catch {}
});`;
const HOOK_URL = `data:text/javascript,${encodeURIComponent(HOOK)}`;

function readVmHWM(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let tmpCounter = 0;

/**
 * Runs `cmd args` and measures it. stdout goes to `stdoutFile` when given (reports can be large),
 * otherwise it is collected and returned. Resolves with { code, signal, seconds, cpuSeconds,
 * peakRssMiB, rssLowerBound, stdout, stderr }; never rejects on a non-zero exit (the caller
 * decides what a failure means).
 */
export async function measure(cmd, args, { stdoutFile, env = {}, cwd = ROOT, scratch = os.tmpdir() } = {}) {
  const method = rssMethod();
  const statFile = path.join(scratch, `.rss-${process.pid}-${++tmpCounter}`);
  let spawnCmd = cmd;
  let spawnArgs = args;
  let mode = 'poll';
  const childEnv = { ...process.env, ...env };
  if (method.name === 'gnu-time') {
    spawnCmd = gnuTime;
    spawnArgs = ['-f', 'ROLLMARK_RSS %M %U %S', '-o', statFile, cmd, ...args];
    mode = 'time';
  } else if (cmd === NODE) {
    spawnArgs = ['--import', HOOK_URL, ...args];
    childEnv.ROLLMARK_BENCH_RSS_FILE = statFile;
    mode = 'hook';
  }
  const outFd = stdoutFile ? openSync(stdoutFile, 'w') : null;
  const t0 = process.hrtime.bigint();
  const child = spawn(spawnCmd, spawnArgs, { cwd, env: childEnv, stdio: ['ignore', outFd ?? 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s) => {
    if (stdout.length < 1 << 24) stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s) => {
    // Keep the tail: the last line is the one that says what went wrong.
    stderr = (stderr + s).slice(-65536);
  });
  let polled = 0;
  const poller = mode === 'poll' ? setInterval(() => (polled = Math.max(polled, readVmHWM(child.pid))), 20) : null;
  const [code, signal] = await new Promise((resolve) => {
    child.on('error', (err) => {
      stderr += String(err.message);
      resolve([127, null]);
    });
    child.on('close', (c, s) => resolve([c, s]));
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poller) clearInterval(poller);
  if (outFd !== null) closeSync(outFd);

  let peakRssKiB = null;
  let cpuSeconds = null;
  let rssLowerBound = false;
  try {
    if (mode === 'time') {
      // GNU time writes "Command exited with non-zero status N" before the format line.
      const m = /ROLLMARK_RSS (\d+) ([\d.]+) ([\d.]+)/.exec(await readFile(statFile, 'utf8'));
      if (m) {
        peakRssKiB = Number(m[1]);
        cpuSeconds = Number(m[2]) + Number(m[3]);
      }
    } else if (mode === 'hook') {
      const j = JSON.parse(await readFile(statFile, 'utf8'));
      peakRssKiB = j.maxRssKiB;
      cpuSeconds = j.user + j.sys;
    } else {
      peakRssKiB = polled || null;
      rssLowerBound = true;
    }
  } catch {
    /* the child died before it could report: leave the figures empty */
  }
  if (existsSync(statFile)) unlinkSync(statFile);
  return {
    code,
    signal,
    seconds,
    cpuSeconds,
    peakRssMiB: peakRssKiB === null ? null : peakRssKiB / 1024,
    rssLowerBound,
    stdout,
    stderr,
  };
}

/**
 * The line of a child's stderr that says what went wrong: rollmark's own one-line error, else the
 * first line of an uncaught exception (node ends those with its version, which says nothing),
 * else the last line.
 */
export function lastLine(text) {
  const lines = String(text).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const own = lines.filter((l) => /^(rollmark|bench):/.test(l) && !/stopped before it finished/.test(l));
  if (own.length) return own[own.length - 1];
  const thrown = lines.find((l) => /^(\w*Error|Error)\b.*:/.test(l) || /^\w+Error \[\w+\]/.test(l));
  if (thrown) return thrown;
  return lines.length ? lines[lines.length - 1] : '';
}

// ------------------------------------------------------------------------------------------------
// Files
// ------------------------------------------------------------------------------------------------

export const sizeOf = (file) => statSync(file).size;

/** Newlines in a file, counted in Node (used to check row counts, not measured). */
export async function countNewlines(file) {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let i = -1;
    while ((i = chunk.indexOf(10, i + 1)) !== -1) n++;
  }
  return n;
}

export async function makeScratch(dir) {
  if (dir) return { dir: path.resolve(dir), temporary: false };
  return { dir: await mkdtemp(path.join(os.tmpdir(), 'rollmark-bench-')), temporary: true };
}

export async function removePaths(paths) {
  for (const p of paths) await rm(p, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------------
// Formatting
// ------------------------------------------------------------------------------------------------

export const int = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '' : Math.round(x).toLocaleString('en-US'));
export const fixed = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));

/** A markdown table from a header row and data rows (cells are strings; pipes are escaped). */
export function markdownTable(header, rows, align) {
  const esc = (s) => String(s ?? '').replaceAll('|', '\\|');
  const al = align ?? header.map(() => 'l');
  const lines = [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${al.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function fmtBytes(b) {
  if (b >= 1e9) return `${(b / 1e9).toFixed(1)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e3).toFixed(1)} kB`;
}

// ------------------------------------------------------------------------------------------------
// Child tasks
// ------------------------------------------------------------------------------------------------

export async function loadLib() {
  if (!existsSync(paths.dist)) die(`${paths.dist} is missing: run \`npm run build\` first`);
  return import(pathToFileURL(paths.dist).href);
}

async function taskSynth(a) {
  const { writeSyntheticRegistry } = await loadLib();
  const out = createWriteStream(a.out, { highWaterMark: 1 << 20 });
  const r = await writeSyntheticRegistry({ rows: a.rows, seed: a.seed ?? 'bench' }, out);
  out.end();
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return { rows: a.rows, bytes: sizeOf(a.out), reported: r };
}

/** A Writable that counts objects and drops them. */
function counter() {
  const w = new Writable({
    objectMode: true,
    highWaterMark: 1024,
    write(_rec, _enc, cb) {
      w.count++;
      cb();
    },
  });
  w.count = 0;
  return w;
}

async function taskCsvParse(a) {
  const { parse } = await import('csv-parse');
  const sink = counter();
  // The default csv-parse settings, one string array per record: what a plain Node tool would do.
  await pipeline(createReadStream(a.file, { highWaterMark: 1 << 20 }), parse({ relax_column_count: true }), sink);
  return { rows: sink.count - 1, bytes: sizeOf(a.file) };
}

async function taskCsvCopy(a) {
  const { parse } = await import('csv-parse');
  const { stringify } = await import('csv-stringify');
  let n = 0;
  const tap = new Transform({
    objectMode: true,
    transform(rec, _e, cb) {
      n++;
      cb(null, rec);
    },
  });
  await pipeline(
    createReadStream(a.file, { highWaterMark: 1 << 20 }),
    parse({ relax_column_count: true }),
    tap,
    stringify(),
    createWriteStream(a.out, { highWaterMark: 1 << 20 }),
  );
  return { rows: n - 1, bytes: sizeOf(a.file), bytesWritten: sizeOf(a.out) };
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

async function duck(a) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const cfg = { threads: String(a.threads ?? 2) };
  // Spill next to the data, not into a small /tmp, if a join ever outgrows memory.
  if (a.spill) cfg.temp_directory = a.spill;
  const db = await DuckDBInstance.create(':memory:', cfg);
  return db.connect();
}

// all_varchar: every column read as text, as rollmark reads it; DuckDB then skips type casts
// and only has to find the fields, which is the fair comparison for a reader.
const readCsv = (file) => `read_csv(${sqlString(file)}, header = true, all_varchar = true)`;

async function taskDuckCount(a) {
  const con = await duck(a);
  const r = await con.runAndReadAll(`SELECT count(*) AS n FROM ${readCsv(a.file)}`);
  return { rows: Number(r.getRows()[0][0]), bytes: sizeOf(a.file) };
}

async function taskDuckJoin(a) {
  const con = await duck(a);
  const key = `"${(a.key ?? 'ELECTOR').replaceAll('"', '""')}"`;
  const r = await con.runAndReadAll(
    `SELECT count(*) AS n FROM ${readCsv(a.dump)} d JOIN ${readCsv(a.registry)} r ON d.${key} = r.${key}`,
  );
  return { rows: Number(r.getRows()[0][0]), bytes: sizeOf(a.dump) + sizeOf(a.registry) };
}

// The same cell normalisations as rollmark's leak lab (src/lab/cell-normalizers.ts), so a streamed leak
// reads like a simulated one.
const NON_ASCII = /[^\x00-\x7f]/;
const UNTIDY_SPACE = /\s\s|^\s|\s$|[^\S ]/;
const NORMALIZERS = {
  accents: (s) => (NON_ASCII.test(s) ? s.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : s),
  whitespace: (s) => (UNTIDY_SPACE.test(s) ? s.replace(/\s+/g, ' ').trim() : s),
  upper: (s) => s.toUpperCase(),
};

/**
 * A leak made by streaming, for registries too large for `rollmark simulate` (which holds the
 * table in memory): keep each row with probability --sample (a seeded xorshift, so the same seed
 * gives the same leak), drop columns, normalise cells.
 *
 * Lines without a double quote (every line of a synthetic registry and its copies) are split on
 * the delimiter directly, which is ~15x faster than csv-parse -> csv-stringify and matters at 90M
 * rows; a line with a quote is parsed by csv-parse (sync) and written back with the same quoting
 * rule as csv-stringify's default (quote a cell holding the delimiter, a quote or a line break). A
 * quoted line break (a record over two lines) stops the task: this fast path cannot follow it.
 */
async function taskLeak(a) {
  const { parse } = await import('csv-parse/sync');
  const fraction = a.sample ?? 1;
  const drop = new Set(a.drop ? a.drop.split('+') : []);
  const steps = a.normalize ? a.normalize.split('+').map((s) => NORMALIZERS[s] ?? die(`unknown normalize step ${s}`)) : [];
  let seed = 0x9e3779b9;
  for (const ch of String(a.seed ?? '1')) seed = Math.imul(seed ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const NEEDS_QUOTES = /[",\r\n]/;
  const cellOut = (v) => (NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const cellsOf = (line, lineNo) => {
    if (!line.includes('"')) return line.split(',');
    const quotes = line.split('"').length - 1;
    if (quotes % 2 !== 0) die(`${a.copy}:${lineNo}: a quoted field spans lines; the streaming leak cannot follow it`);
    return parse(line, { relax_column_count: true })[0] ?? [];
  };
  let keepIdx = null;
  let rows = 0;
  let lineNo = 0;
  let rest = '';
  const out = createWriteStream(a.out, { highWaterMark: 1 << 20 });
  const write = (s) => (out.write(s) ? null : new Promise((resolve) => out.once('drain', resolve)));
  const take = (line) => {
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (keepIdx === null) {
      const header = cellsOf(line, lineNo);
      keepIdx = header.map((h, i) => (drop.has(h) ? -1 : i)).filter((i) => i >= 0);
      return keepIdx.map((i) => cellOut(header[i])).join(',') + '\n';
    }
    if (line === '') return '';
    if (fraction < 1 && rnd() >= fraction) return '';
    rows++;
    const rec = cellsOf(line, lineNo);
    let s = '';
    for (let k = 0; k < keepIdx.length; k++) {
      let v = rec[keepIdx[k]] ?? '';
      for (const f of steps) v = f(v);
      s += (k === 0 ? '' : ',') + cellOut(v);
    }
    return s + '\n';
  };
  for await (const chunk of createReadStream(a.copy, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    let buf = '';
    for (const line of lines) buf += take(line);
    const p = write(buf);
    if (p) await p;
  }
  if (rest !== '') {
    const p = write(take(rest));
    if (p) await p;
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  return { rows, bytes: sizeOf(a.out) };
}

const TASKS = {
  synth: [taskSynth, { rows: 'number', seed: 'string', out: 'string' }],
  'csv-parse': [taskCsvParse, { file: 'string' }],
  'csv-copy': [taskCsvCopy, { file: 'string', out: 'string' }],
  'duckdb-count': [taskDuckCount, { file: 'string', threads: 'number', spill: 'string' }],
  'duckdb-join': [taskDuckJoin, { dump: 'string', registry: 'string', key: 'string', threads: 'number', spill: 'string' }],
  leak: [taskLeak, { copy: 'string', out: 'string', sample: 'number', drop: 'string', normalize: 'string', seed: 'string' }],
};

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const [name, ...rest] = process.argv.slice(2);
  const task = TASKS[name];
  if (!task) die(`usage: node bench/lib.mjs ${Object.keys(TASKS).join('|')} --option value ...`, 2);
  const result = await task[0](parseArgs(rest, task[1], `usage: node bench/lib.mjs ${name} ${Object.keys(task[1]).map((k) => `--${k} ...`).join(' ')}`));
  process.stdout.write(JSON.stringify(result) + '\n');
}
