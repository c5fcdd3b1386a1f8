#!/usr/bin/env node
/**
 * The rollmark benchmark: every step of the main job on one synthetic registry, with baselines
 * measured in the same run on the same file, so the figures can be read against each other.
 *
 *   npm run bench                              (builds, then N = 1,000,000 rows)
 *   npm run bench -- --rows 200000 --out /big/scratch --keep
 *   node bench/run.mjs [--rows N] [--out DIR] [--seed S] [--keep] [--leaks simulate|stream]
 *
 * Steps (each in its own child process: its own wall time, CPU time and peak RSS):
 *   synth            writeSyntheticRegistry() to a file
 *   wc -l            the read floor: how fast the file can be read at all
 *   csv-parse        a plain csv-parse stream over the registry, counting records
 *   csv-parse -> csv-stringify
 *                    the naive issue path: read and write one copy, no marks
 *   rollmark init, rollmark issue to 7 recipients
 *   DuckDB           count(*) of the key-present dump, and the dump joined with the registry on
 *                    ELECTOR (2 threads), what an analyst with a database would do
 *   leaks            a full copy with the key (an issued copy as it is), a 5% id-less normalised
 *                    sample and a full id-less copy, from three different recipients
 *   rollmark trace --json on each leak, checked: verdict `attributed`, the leaker on top
 *
 * Prints one markdown table on stdout (progress on stderr) and writes bench/out/latest.json and
 * bench/out/latest.md. See bench/README.md for what each figure means.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MB, NODE, ROOT, SELF as LIB, countNewlines, die, fixed, fmtBytes, int, lastLine, log, machineInfo,
  makeScratch, markdownTable, measure, parseArgs, paths, removePaths, rssMethod, sizeOf, useSnapshot, watchLoad,
} from './lib.mjs';

/** The recipients: seven parties, as in a federal release of the lista nominal. */
export const RECIPIENTS = [
  ['PAN', 'Partido Accion Nacional'],
  ['PRI', 'Partido Revolucionario Institucional'],
  ['PT', 'Partido del Trabajo'],
  ['PVEM', 'Partido Verde Ecologista de Mexico'],
  ['MC', 'Movimiento Ciudadano'],
  ['MORENA', 'Morena'],
  ['PRD', 'Partido de la Revolucion Democratica'],
];

/**
 * The leaks. Each comes from a different recipient, none of them the first, so a trace that
 * always names the first recipient (or the same one) shows up as a wrong answer.
 */
export const LEAKS = [
  { id: 'key-full', leaker: 'MC', label: 'full copy with the key', attacks: 'none' },
  {
    id: 'idless-sample',
    leaker: 'PT',
    label: '5% id-less normalized sample',
    attacks: 'sample:0.05,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:accents+whitespace',
    stream: { sample: 0.05, drop: 'ELECTOR+CURP+OCR+FOL_NAC', normalize: 'accents+whitespace' },
  },
  {
    id: 'idless-full',
    leaker: 'MORENA',
    label: 'full id-less copy',
    attacks: 'drop:ELECTOR+CURP+OCR+FOL_NAC',
    stream: { drop: 'ELECTOR+CURP+OCR+FOL_NAC' },
  },
];

/** Above this many rows the leaks are streamed: `rollmark simulate` holds the table in memory. */
export const SIMULATE_MAX_ROWS = 2_000_000;

/**
 * Runs the suite. Returns { registry, steps, warnings }; throws only when the registry itself
 * cannot be made (nothing else can run then). A failed step is recorded with its error and the
 * steps that need its output are skipped, so one crash does not hide the other figures.
 *
 * opts: rows, seed, dir (scratch), leaks ('simulate' | 'stream' | 'auto'), recipients (how many of
 * RECIPIENTS get a copy, 2 to 7, default 7: fewer saves disk at 90M rows; every leak then comes
 * from the last of them, so the first is always an innocent to clear), naiveCopy (run the
 * csv-parse -> csv-stringify copy baseline, default true), tag (prefix for step ids), threads
 * (DuckDB).
 */
export async function runSuite(opts) {
  const { rows, seed = 'bench', dir, naiveCopy = true, tag = '' } = opts;
  const recipientCount = opts.recipients ?? RECIPIENTS.length;
  if (!(Number.isInteger(recipientCount) && recipientCount >= 2 && recipientCount <= RECIPIENTS.length)) {
    throw new Error(`recipients must be 2 to ${RECIPIENTS.length}, got ${recipientCount}`);
  }
  const leakMode = opts.leaks === 'simulate' || opts.leaks === 'stream' ? opts.leaks : rows > SIMULATE_MAX_ROWS ? 'stream' : 'simulate';
  const threads = opts.threads ?? 2;
  mkdirSync(dir, { recursive: true });
  const steps = [];
  const warnings = [];
  const warn = (msg) => {
    warnings.push(msg);
    log(`WARNING: ${msg}`);
  };
  const f = (name) => path.join(dir, name);
  const registry = f('registry.csv');
  const vault = f('vault');
  const copies = f('copies');
  const recipients = RECIPIENTS.slice(0, recipientCount);
  const lastRecipient = recipients[recipients.length - 1][0];
  const leaks = recipientCount === RECIPIENTS.length ? LEAKS : LEAKS.map((l) => ({ ...l, leaker: lastRecipient }));
  let n = 0;

  /** Runs one measured command and records it as a step. */
  async function step(def, cmd, args, { stdoutFile, account }) {
    n++;
    log(`[${tag}${n}] ${def.label} ...`);
    const r = await measure(cmd, args, { stdoutFile, scratch: dir });
    const s = {
      id: `${tag}${def.id}`,
      kind: def.kind,
      label: def.label,
      counted: def.counted,
      seconds: r.seconds,
      cpuSeconds: r.cpuSeconds,
      peakRssMiB: r.peakRssMiB,
      rssLowerBound: r.rssLowerBound,
      ok: r.code === 0,
    };
    if (!s.ok) {
      s.error = `exit ${r.code ?? r.signal}: ${lastLine(r.stderr) || '(no message)'}`;
      s.stderrTail = r.stderr.slice(-4000);
      warn(`${def.label} failed: ${s.error}`);
    } else {
      try {
        Object.assign(s, await account(r));
      } catch (err) {
        s.ok = false;
        s.error = err.message;
        warn(`${def.label}: ${err.message}`);
      }
    }
    if (s.ok && s.rows !== undefined) {
      s.rowsPerSec = s.rows / s.seconds;
      s.mbPerSec = s.bytes / MB / s.seconds;
      // Per CPU-second (user + system, all threads): the figure that holds on a busy machine.
      if (s.cpuSeconds) s.rowsPerCpuSec = s.rows / s.cpuSeconds;
    }
    const rate = s.rowsPerSec === undefined ? '' : `${int(s.rowsPerSec)} rows/s, ${fixed(s.mbPerSec)} MB/s, `;
    log(`    ${s.ok ? `${s.seconds.toFixed(2)} s (CPU ${fixed(s.cpuSeconds, 2)} s), ${rate}peak RSS ${int(s.peakRssMiB)} MiB` : `FAILED ${s.error}`}`);
    steps.push(s);
    return s;
  }
  const json = (r) => JSON.parse(r.stdout.trim().split('\n').pop());

  // ---- the registry -------------------------------------------------------------------------
  const synth = await step(
    { id: 'synth', kind: 'rollmark', label: 'synth (writeSyntheticRegistry)', counted: 'rows / MB written' },
    NODE, [LIB, 'synth', '--rows', String(rows), '--seed', seed, '--out', registry],
    { account: (r) => ({ rows: json(r).rows, bytes: json(r).bytes }) },
  );
  if (!synth.ok) throw new Error(`cannot make the registry: ${synth.error}`);
  const regBytes = sizeOf(registry);

  // ---- baselines on the registry -------------------------------------------------------------
  // wc -l first also brings the file into the page cache for everything after it, so no step is
  // charged for the first read from disk.
  await step(
    { id: 'wc', kind: 'baseline', label: 'wc -l (read floor)', counted: 'rows / MB read' },
    'wc', ['-l', registry],
    { account: (r) => ({ rows: Number(r.stdout.trim().split(/\s+/)[0]) - 1, bytes: regBytes }) },
  );
  await step(
    { id: 'csv-parse', kind: 'baseline', label: 'csv-parse, count records', counted: 'rows / MB read' },
    NODE, [LIB, 'csv-parse', '--file', registry],
    { account: (r) => ({ rows: json(r).rows, bytes: regBytes }) },
  );
  const naive = f('naive-copy.csv');
  if (naiveCopy) await step(
    { id: 'csv-copy', kind: 'baseline', label: 'csv-parse -> csv-stringify copy (naive issue, 1 copy)', counted: 'row-copies / MB written' },
    NODE, [LIB, 'csv-copy', '--file', registry, '--out', naive],
    { account: (r) => ({ rows: json(r).rows, bytes: json(r).bytesWritten }) },
  );
  await removePaths([naive]); // disk: at 90M rows this is another registry-sized file

  // ---- issue ----------------------------------------------------------------------------------
  const recipientsFile = f('recipients.csv');
  writeFileSync(recipientsFile, `id,name\n${recipients.map(([id, name]) => `${id},${name}`).join('\n')}\n`);
  await removePaths([vault, copies]);
  const init = await step(
    { id: 'init', kind: 'setup', label: 'rollmark init', counted: '' },
    NODE, [paths.cli, 'init', '--vault', vault],
    { account: () => ({}) },
  );
  let issued = null;
  if (init.ok) {
    issued = await step(
      { id: 'issue', kind: 'rollmark', label: `rollmark issue, ${recipients.length} recipient${recipients.length > 1 ? 's' : ''}`, counted: 'row-copies / MB written' },
      NODE, [paths.cli, 'issue', '--vault', vault, '--registry', registry, '--recipients', recipientsFile, '--release', 'BENCH-1', '--out', copies, '--json'],
      {
        stdoutFile: f('issue.json'),
        account: () => {
          const res = JSON.parse(readFileSync(f('issue.json'), 'utf8'));
          const files = readdirSync(copies).filter((x) => x.endsWith('.csv'));
          if (files.length !== recipients.length) throw new Error(`expected ${recipients.length} copies, found ${files.length}`);
          const rowsOut = res.copies.reduce((a, c) => a + c.rows, 0);
          return {
            rows: rowsOut,
            bytes: files.reduce((a, x) => a + sizeOf(path.join(copies, x)), 0),
            notes: `${res.copies.length} ${res.copies.length === 1 ? 'copy' : 'copies'}, ${int(res.canaries)} canaries, ${int(res.registryRows)} registry rows`,
            copyRows: Object.fromEntries(res.copies.map((c) => [c.recipient, c.rows])),
          };
        },
      },
    );
  }
  const issueOk = issued?.ok === true;
  const copyOf = (id) => path.join(copies, `${id}.csv`);
  if (issueOk) {
    // Only the leakers' copies are needed from here on; at 90M rows the others are ~75 GB.
    const keepIds = new Set(leaks.map((l) => l.leaker));
    await removePaths(recipients.filter(([id]) => !keepIds.has(id)).map(([id]) => copyOf(id)));
  }
  const keyDump = copyOf(leaks[0].leaker);

  // ---- DuckDB on the key-present dump ---------------------------------------------------------
  if (issueOk) {
    const dumpBytes = sizeOf(keyDump);
    const dumpRows = issued.copyRows[leaks[0].leaker];
    await step(
      { id: 'duckdb-count', kind: 'baseline', label: `DuckDB count(*) of the dump (${threads} threads)`, counted: 'rows / MB read' },
      NODE, [LIB, 'duckdb-count', '--file', keyDump, '--threads', String(threads), '--spill', dir],
      {
        account: (r) => {
          const c = json(r).rows;
          if (c !== dumpRows) warn(`DuckDB counted ${c} rows in the dump, issue reported ${dumpRows}`);
          return { rows: c, bytes: dumpBytes };
        },
      },
    );
    await step(
      { id: 'duckdb-join', kind: 'baseline', label: `DuckDB dump JOIN registry ON ELECTOR (${threads} threads)`, counted: 'dump rows / MB of both files' },
      NODE, [LIB, 'duckdb-join', '--dump', keyDump, '--registry', registry, '--key', 'ELECTOR', '--threads', String(threads), '--spill', dir],
      {
        account: (r) => {
          const joined = json(r).rows;
          // Every registry row is in the copy once; canary keys never collide with real ones.
          if (joined !== rows) warn(`DuckDB joined ${joined} dump rows to the registry, expected ${rows}`);
          return { rows: dumpRows, bytes: dumpBytes + regBytes, notes: `${int(joined)} rows joined` };
        },
      },
    );
  }

  // ---- leaks ---------------------------------------------------------------------------------
  const dumps = {};
  if (issueOk) {
    for (const leak of leaks) {
      if (leak.attacks === 'none') {
        dumps[leak.id] = copyOf(leak.leaker);
        continue;
      }
      const out = f(`leak-${leak.id}.csv`);
      const useSim = leakMode === 'simulate';
      const s = await step(
        { id: `leak-${leak.id}`, kind: 'setup', label: `make leak: ${leak.label} (${useSim ? 'rollmark simulate' : 'streamed'})`, counted: 'rows / MB written' },
        NODE,
        useSim
          ? [paths.cli, 'simulate', '--copies', copyOf(leak.leaker), '--attacks', leak.attacks, '--seed', `${seed}-${leak.id}`, '--out', out]
          : [LIB, 'leak', '--copy', copyOf(leak.leaker), '--out', out, '--seed', `${seed}-${leak.id}`,
            ...Object.entries(leak.stream).flatMap(([k, v]) => [`--${k}`, String(v)])],
        { account: async () => ({ rows: (await countNewlines(out)) - 1, bytes: sizeOf(out), notes: `from ${leak.leaker}: ${leak.attacks}` }) },
      );
      if (s.ok) dumps[leak.id] = out;
    }
  }

  // ---- trace -----------------------------------------------------------------------------------
  for (const leak of leaks) {
    const dump = dumps[leak.id];
    if (!dump) continue;
    const reportFile = f(`report-${leak.id}.json`);
    const dumpBytes = sizeOf(dump);
    const dumpRows = (await countNewlines(dump)) - 1;
    await step(
      { id: `trace-${leak.id}`, kind: 'rollmark', label: `rollmark trace --json: ${leak.label}`, counted: 'dump rows / MB read' },
      NODE, [paths.cli, 'trace', '--vault', vault, '--dump', dump, '--json'],
      {
        stdoutFile: reportFile,
        account: () => {
          const rep = JSON.parse(readFileSync(reportFile, 'utf8'));
          const top = rep.suspects?.[0];
          const implicated = (rep.suspects ?? []).filter((x) => x.implicated).map((x) => x.recipient);
          const check = {
            verdict: rep.verdict,
            expectedLeaker: leak.leaker,
            top: top?.recipient ?? null,
            topLog10P: top?.log10PValue ?? null,
            implicated,
            rows: rep.dump?.rows,
            rowsMatched: rep.dump?.rowsMatched,
            rowsDuplicate: rep.dump?.rowsDuplicate,
            rowsForeign: rep.dump?.rowsForeign,
            rowsRejected: rep.dump?.rowsRejected,
          };
          const right = rep.verdict === 'attributed' && top?.recipient === leak.leaker && implicated.length === 1 && implicated[0] === leak.leaker;
          if (!right) {
            warn(`trace of the ${leak.label} (leaked by ${leak.leaker}): verdict '${rep.verdict}', top suspect ${top?.recipient ?? 'none'}` +
              `${implicated.length ? `, implicated ${implicated.join(', ')}` : ''}; expected 'attributed' to ${leak.leaker}`);
          }
          if (rep.dump?.rows !== dumpRows) warn(`trace of the ${leak.label} read ${rep.dump?.rows} rows; the file has ${dumpRows}`);
          // An issued copy holds every registry row once plus this recipient's canaries: with the
          // key present, every row matches, or is skipped as sharing a record's 32-bit code
          // identity (rowsDuplicate), never foreign.
          if (leak.id === 'key-full' && (rep.dump?.rowsForeign ?? 0) !== 0) {
            warn(`trace of the ${leak.label} counted ${rep.dump?.rowsForeign} of ${dumpRows} rows foreign although the copy has none`);
          }
          const pct = rep.dump?.rows ? (100 * rep.dump.rowsMatched) / rep.dump.rows : NaN;
          // Past the evidence budget only a keyed share of the records has its marks read.
          const share = rep.releases?.find((r) => r.release === rep.release)?.scoring?.share;
          check.scoredShare = share ?? 1;
          return {
            rows: dumpRows,
            bytes: dumpBytes,
            check: { ...check, right },
            notes: `${rep.verdict} -> ${top?.recipient ?? '-'} (leaker ${leak.leaker})${right ? '' : ' WRONG'}, log10 p ${fixed(top?.log10PValue, 0)}, ${fixed(pct, 1)}% rows matched${share !== undefined && share < 1 ? `, marks of ${fixed(100 * share, 1)}% of records read` : ''}`,
          };
        },
      },
    );
  }
  return { registry: { file: registry, rows, bytes: regBytes, bytesPerRow: regBytes / rows }, leakMode, steps, warnings };
}

// ------------------------------------------------------------------------------------------------
// Reporting
// ------------------------------------------------------------------------------------------------

/** Ratio text of a's MB/s to the baseline steps', e.g. "0.6x csv-parse, 0.1x DuckDB". */
function compareText(s, byId) {
  const ratio = (id, name) => {
    const b = byId[id];
    return b?.ok && s.ok && b.mbPerSec ? `${(s.mbPerSec / b.mbPerSec).toFixed(2)}x ${name}` : null;
  };
  if (s.id.endsWith('issue')) return ratio('csv-copy', 'naive copy') ?? '';
  if (s.id.includes('trace-')) return [ratio('csv-parse', 'csv-parse'), ratio('duckdb-count', 'DuckDB count'), ratio('duckdb-join', 'DuckDB join')].filter(Boolean).join(', ');
  return '';
}

export function stepsTable(steps) {
  const byId = Object.fromEntries(steps.map((s) => [s.id.replace(/^.*?:/, ''), s]));
  const header = ['step', 'kind', 'counted', 'rows', 'MB', 'time s', 'CPU s', 'rows/s', 'MB/s', 'rows/CPU-s', 'peak RSS MiB', 'MB/s vs baselines', 'notes'];
  const rows = steps.map((s) => [
    s.label,
    s.kind,
    s.counted ?? '',
    s.ok ? int(s.rows) : 'FAILED',
    s.ok && s.bytes !== undefined ? fixed(s.bytes / MB, 1) : '',
    fixed(s.seconds, 2),
    fixed(s.cpuSeconds, 2),
    s.ok ? int(s.rowsPerSec) : '',
    s.ok ? fixed(s.mbPerSec, 1) : '',
    s.ok ? int(s.rowsPerCpuSec) : '',
    s.peakRssMiB === null ? '' : `${s.rssLowerBound ? '>=' : ''}${int(s.peakRssMiB)}`,
    compareText(s, byId),
    s.ok ? (s.notes ?? '') : s.error,
  ]);
  return markdownTable(header, rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l']);
}

export function headerLines(machine, extra) {
  return [
    `- date: ${machine.date}`,
    `- command: \`${extra.command}\``,
    `- node: ${machine.node}; CPU: ${machine.cpu}; cores: ${machine.cores}; memory: ${machine.memoryGiB} GiB; ${machine.os}`,
    `- rollmark: ${machine.rollmark}`,
    `- registry: ${int(extra.registry.rows)} rows, ${fmtBytes(extra.registry.bytes)} (${fixed(extra.registry.bytesPerRow, 0)} bytes a row), seed '${extra.seed}'; leaks made by ${extra.leakMode === 'simulate' ? '`rollmark simulate`' : 'streaming (bench/lib.mjs leak)'}`,
    `- peak RSS: ${rssMethod().text}`,
    `- load average (1 min) at start / max / end: ${extra.load.start} / ${extra.load.max} / ${extra.load.end} on ${machine.cores} cores${extra.load.busy ? ': other work shared the cores, so wall-clock figures are inflated; rows/CPU-s holds better' : ''}`,
  ];
}

export function warningLines(warnings) {
  return warnings.length ? ['', '**Warnings**', '', ...warnings.map((w) => `- WARNING: ${w}`)] : ['', 'No warnings: every trace named the right leaker.'];
}

export function writeResults(base, markdown, data) {
  const outDir = path.join(ROOT, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${base}.md`), markdown);
  writeFileSync(path.join(outDir, `${base}.json`), JSON.stringify(data, null, 2) + '\n');
  log(`wrote bench/out/${base}.md and bench/out/${base}.json`);
}

// ------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------

const USAGE = 'usage: node bench/run.mjs [--rows N] [--out DIR] [--seed S] [--keep] [--leaks simulate|stream]';

async function main() {
  const a = parseArgs(process.argv.slice(2), { rows: 'number', out: 'string', seed: 'string', keep: 'boolean', leaks: 'string', threads: 'number', help: 'boolean' }, USAGE);
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  useSnapshot();
  if (a.leaks && !['simulate', 'stream'].includes(a.leaks)) die(`--leaks must be simulate or stream\n${USAGE}`, 2);
  const rows = Math.round(a.rows ?? 1_000_000);
  const seed = a.seed ?? 'bench';
  const scratch = await makeScratch(a.out);
  const dir = scratch.temporary ? scratch.dir : path.join(scratch.dir, `rollmark-bench-${rows}`);
  const machine = machineInfo();
  const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  log(`rollmark bench: ${int(rows)} rows in ${dir}`);
  const stopLoad = watchLoad();
  let result;
  try {
    result = await runSuite({ rows, seed, dir, leaks: a.leaks, threads: a.threads });
  } finally {
    if (!a.keep) await rm(scratch.temporary ? scratch.dir : dir, { recursive: true, force: true });
    else log(`kept the files in ${dir}`);
  }
  const load = stopLoad();
  const md = [
    `# rollmark bench, ${int(rows)} rows`,
    '',
    ...headerLines(machine, { command, registry: result.registry, seed, leakMode: result.leakMode, load }),
    '',
    stepsTable(result.steps),
    ...warningLines(result.warnings),
    '',
  ].join('\n');
  process.stdout.write(md);
  writeResults('latest', md, { version: 1, command, machine, rssMethod: rssMethod(), params: { rows, seed, leakMode: result.leakMode }, load, registry: { rows, bytes: result.registry.bytes, bytesPerRow: result.registry.bytesPerRow }, steps: result.steps, warnings: result.warnings });
  if (result.steps.some((s) => !s.ok)) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
