#!/usr/bin/env node
/**
 * The issue benchmark: `issueRelease` of one synthetic mx-ine registry to 7 recipients, beside the
 * naive copy (csv-parse -> csv-stringify, one unmarked copy of the same file) measured in the same
 * run, on the same file, so the figures can be read against each other.
 *
 *   npm run build && node bench/issue.mjs [--rows N] [--registry FILE] [--out DIR] [--keep]
 *                                         [--workers N] [--single] [--seed S]
 *
 * Steps, each in its own child process (its own wall time, CPU time of all its threads, peak RSS):
 *   csv-parse -> csv-stringify   read the registry, write one unmarked copy
 *   issue                        issueRelease() to 7 recipients, default threads (or --workers N)
 *   issue, 1 thread              the same release from the same vault, `workers: 1` (with --single)
 * With --single the two issues must write byte-identical copies and release data: checked.
 *
 * Target (DESIGN.md): >= 1,000,000 row-copies/s on 2 cores for 1M rows x 7 recipients. The load
 * average is reported: other work on the machine inflates every wall time here.
 */
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MB, NODE, SELF as LIB, die, fixed, fmtBytes, int, lastLine, log, machineInfo, makeScratch, markdownTable, measure, parseArgs,
  paths, removePaths, sizeOf, useSnapshot, watchLoad, loadLib,
} from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const RECIPIENTS = ['PAN', 'PRI', 'PT', 'PVEM', 'MC', 'MORENA', 'PRD'];
const USAGE = 'usage: node bench/issue.mjs [--rows N] [--registry FILE] [--out DIR] [--keep] [--workers N] [--single] [--seed S]';

/** Child task: issue release R1 from `vault` and print what was written. */
async function taskIssue(a) {
  const { issueRelease } = await loadLib();
  const r = await issueRelease({
    vault: a.vault,
    registry: a.registry,
    recipients: RECIPIENTS.map((id) => ({ id, name: `Partido ${id}` })),
    release: 'R1',
    outDir: a.out,
    workers: a.workers,
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return {
    rows: r.registryRows,
    rowCopies: r.copies.reduce((n, c) => n + c.rows, 0),
    bytes: r.copies.reduce((n, c) => n + c.bytes, 0),
    canaries: r.canaries,
  };
}

async function sha256(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk);
  return h.digest('hex');
}

/** The sha256 of every copy and every release file of an issue (receipts carry the time: left out). */
async function digests(vault, out) {
  const sums = {};
  for (const f of readdirSync(out).filter((f) => f.endsWith('.csv')).sort()) sums[f] = await sha256(path.join(out, f));
  const rel = path.join(vault, 'releases', 'R1');
  for (const f of readdirSync(rel).sort()) sums[`release/${f}`] = await sha256(path.join(rel, f));
  return sums;
}

async function main() {
  const a = parseArgs(
    process.argv.slice(2),
    { rows: 'number', registry: 'string', out: 'string', keep: 'boolean', workers: 'number', single: 'boolean', seed: 'string' },
    USAGE,
  );
  const rows = a.rows ?? 1_000_000;
  const unsnap = useSnapshot();
  const scratch = await makeScratch(a.out);
  const stopLoad = watchLoad();
  const machine = machineInfo();
  const made = [];
  try {
    const env = { ROLLMARK_LIB: paths.dist };
    let registry = a.registry ? path.resolve(a.registry) : path.join(scratch.dir, 'registry.csv');
    if (!a.registry) {
      log(`synth: ${int(rows)} rows`);
      const s = await measure(NODE, [LIB, 'synth', '--rows', String(rows), '--seed', a.seed ?? 'bench', '--out', registry], { env, scratch: scratch.dir });
      if (s.code !== 0) die(`synth failed: ${lastLine(s.stderr)}`);
      made.push(registry);
    } else if (!existsSync(registry)) {
      die(`${registry} does not exist`);
    }
    const regBytes = sizeOf(registry);

    log('csv-parse -> csv-stringify');
    const naiveOut = path.join(scratch.dir, 'naive-copy.csv');
    made.push(naiveOut);
    const naive = await measure(NODE, [LIB, 'csv-copy', '--file', registry, '--out', naiveOut], { env, scratch: scratch.dir });
    if (naive.code !== 0) die(`csv-copy failed: ${lastLine(naive.stderr)}`);
    const naiveJson = JSON.parse(lastLine(naive.stdout));

    const vault0 = path.join(scratch.dir, 'vault0');
    made.push(vault0);
    const init = await measure(NODE, [paths.cli, 'init', '--vault', vault0], { scratch: scratch.dir });
    if (init.code !== 0) die(`init failed: ${lastLine(init.stderr)}`);

    const runs = [{ label: a.workers ? `issue, ${a.workers} worker threads` : 'issue (default threads)', workers: a.workers }];
    if (a.single) runs.push({ label: 'issue, 1 thread (workers: 1)', workers: 1 });
    const results = [];
    for (const run of runs) {
      log(run.label);
      const tag = `${results.length}`;
      const vault = path.join(scratch.dir, `vault-${tag}`);
      const out = path.join(scratch.dir, `copies-${tag}`);
      made.push(vault, out);
      cpSync(vault0, vault, { recursive: true });
      const args = [SELF, '--task', 'issue', '--vault', vault, '--registry', registry, '--copies', out];
      if (run.workers) args.push('--workers', String(run.workers));
      const m = await measure(NODE, args, { env, scratch: scratch.dir });
      if (m.code !== 0) die(`${run.label} failed: ${lastLine(m.stderr)}`);
      results.push({ ...run, m, r: JSON.parse(lastLine(m.stdout)), sums: a.single ? await digests(vault, out) : null });
    }
    const load = stopLoad();

    const table = [
      [
        'csv-parse -> csv-stringify (1 unmarked copy)',
        fixed(naive.seconds, 2),
        fixed(naive.cpuSeconds, 2),
        fixed(naive.peakRssMiB, 0),
        `${int(naiveJson.rows / naive.seconds)} rows/s`,
        fixed(regBytes / MB / naive.seconds, 0),
      ],
      ...results.map(({ label, m, r }) => [
        label,
        fixed(m.seconds, 2),
        fixed(m.cpuSeconds, 2),
        fixed(m.peakRssMiB, 0),
        `${int(r.rowCopies / m.seconds)} row-copies/s`,
        fixed(r.bytes / MB / m.seconds, 0),
      ]),
    ];
    const lines = [
      `# rollmark issue: ${int(results[0].r.rows)} rows (${fmtBytes(regBytes)}) to ${RECIPIENTS.length} recipients`,
      '',
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, rollmark ${machine.rollmark}, ${machine.date}`,
      `load average ${load.start} at the start, ${load.max} at most${load.busy ? ' (the machine was busy: wall times are inflated)' : ''}`,
      '',
      markdownTable(['step', 'wall s', 'CPU s', 'peak RSS MiB', 'throughput', 'MB/s written'], table, ['l', 'r', 'r', 'r', 'r', 'r']),
      '',
      ...results.map(({ label, r }) => `${label}: ${int(r.rows)} registry rows, ${int(r.canaries)} canaries, ${int(r.rowCopies)} row-copies, ${fmtBytes(r.bytes)}`),
    ];
    if (a.single) {
      const same = JSON.stringify(results[0].sums) === JSON.stringify(results[1].sums);
      lines.push('', `copies and release data byte-identical across thread counts: ${same ? 'yes' : 'NO'}`);
      if (!same) process.exitCode = 1;
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    if (!a.keep) await removePaths(scratch.temporary ? [scratch.dir] : made);
    else log(`kept ${scratch.dir}`);
    unsnap();
  }
}

if (process.argv.includes('--task')) {
  const args = process.argv.slice(2).filter((x) => x !== '--task' && x !== 'issue');
  const o = parseArgs(args, { vault: 'string', registry: 'string', copies: 'string', workers: 'number' }, USAGE);
  const r = await taskIssue({ vault: o.vault, registry: o.registry, out: o.copies, workers: o.workers });
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  await main();
}
