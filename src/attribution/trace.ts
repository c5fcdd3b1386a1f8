import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { RollmarkError } from '../errors.js';
import type { Vault } from '../vault/vault.js';
import { StringRowView } from './row-views.js';
import { FULL_SHARE, prepareTrace, type PreparedTrace, type ShardPlan } from './trace-plan.js';
import type { ShardState } from './shard-state.js';
import { makeCores, runShardJob, shardState, ShardRun, type ShardJob, type ShardRecords, type ShardResult } from './shard-job.js';
import { EarlierUnion } from './take-back.js';
import { checkBound, finishTrace } from './trace-finish.js';
import { cutAt, hashFirstTargets } from './shard-cut.js';
import type { TraceReport } from './report.js';
import { compiledWorkerFile } from '../compiled-worker.js';

export { DEFAULT_BOUND, COVERAGE, COLLAPSE_MIN_OBSERVATIONS } from './trace-finish.js';

/**
 * Trace: read a found dump, match its rows to each release's records, read the symbols its
 * cells show at every code position and the canaries it holds, and rank the recipients with a
 * false-accusation bound that holds whatever the leaker did.
 *
 * Why attacks cannot frame an innocent recipient: every observation (which positions are read,
 * what symbol each shows, which canaries are present or absent, which classes are dropped as
 * collapsed) is a function of the dump alone; an innocent recipient's symbols are independent
 * keyed draws that never reached the dump, so its score is a sum of independent terms with a
 * known two-point law, and the bound (chernoff.ts) is computed on exactly those terms. Each
 * position is counted once: rows repeating a record are skipped (the first row in file order
 * counts, however the dump is split among threads).
 *
 * How rows are read. A plain dump (LF line ends, UTF-8 or Latin-1, gzip or not) goes through the
 * byte scanner (csv/scanner.ts), which decodes only the cells trace needs; an uncompressed one
 * large enough is split at record boundaries among worker threads, each reading its own shard;
 * a later shard then takes back the rows whose records an earlier one holds (take-back.ts), so the
 * result is the single reader's exactly, and their states are merged by addition. Anything else
 * goes through dump.ts's general reader. Both feed the same row core (trace-core.ts).
 */
export interface TraceOptions {
  vault: Vault | string;
  dump: string;
  /** Only this release; default every release in the ledger. */
  release?: string;
  /** Implicate when pValue <= bound (default 1e-9). */
  bound?: number;
  now?: () => Date;
  /**
   * Called as the rows start to be read (0, 0) and every 65,536 rows with the rows read so far
   * and, where known, the bytes of the file read so far (compressed bytes for a gzip dump), to
   * set against the file's size.
   */
  onProgress?: (rows: number, bytes?: number) => void;
  /**
   * Worker threads for an uncompressed dump: default one per core (at most 4) for dumps of
   * 32 MiB or more; 1 reads in the calling thread. Results do not depend on it.
   */
  workers?: number;
  /** 'auto' (default): the byte scanner where the dump allows; 'general': dump.ts's reader. */
  reader?: 'auto' | 'general';
  /**
   * About how many records' marks to read (default 10,000,000; Infinity: every record). A larger
   * dump has a keyed share of its records scored, the same records for every recipient; every
   * row is still matched, de-duplicated and counted, and every canary read. See the README.
   */
  evidenceBudget?: number;
}

/** Below this size a dump is read in the calling thread (starting workers would not pay). */
const MIN_PARALLEL_BYTES = 32 << 20;
const MAX_AUTO_WORKERS = 4;
/**
 * Relative costs a byte against a full read that scores every record, on mx-ine copies: finding
 * each row's record (scan, key or fingerprint) and the rest of a row whose marks are not read (its
 * group), measured with bench/trace.mjs; SHA-256, from a CPU profile of two workers on a 10M-row
 * copy (2026-12-06). They only balance the shards; results never depend on them.
 */
const RESOLVE_COST = { key: 0.23, match: 0.28 };
const UNSCORED_EXTRA = 0.05;
const HASH_COST = 0.035;

/** The hash's cost against a read when only `share` of the records are scored. */
function hashCost(resolve: number, share: number): number {
  return HASH_COST / (resolve + UNSCORED_EXTRA + share * (1 - resolve - UNSCORED_EXTRA));
}

export async function traceDump(opts: TraceOptions): Promise<TraceReport> {
  const bound = checkBound(opts.bound);
  const prepared = await prepareTrace(opts);
  opts.onProgress?.(0, 0);
  const { states, sha256 } = await readDump(prepared, opts);
  return finishTrace(prepared, states, { bound, now: opts.now, sha256 });
}

async function readDump(prepared: PreparedTrace, opts: TraceOptions): Promise<{ states: ShardState[]; sha256: string }> {
  const { plan, dump } = prepared;
  const eol = (dump as { eol?: unknown }).eol;
  if (opts.reader === 'general' || eol !== 10) return readGeneral(prepared, opts);
  const whole = { start: 0, end: plan.size };
  const workers = resolveWorkers(opts.workers, plan);
  if (workers > 1) {
    const keyed = plan.releases.every((r) => r.index === null);
    const targets = hashFirstTargets(plan.size, workers, hashCost(keyed ? RESOLVE_COST.key : RESOLVE_COST.match, plan.scoreShare / FULL_SHARE));
    const ranges = await cutAt(plan.file, plan.size, targets, plan.dialect.delimiter);
    if (ranges.length > 1) {
      // Each worker reads its own range; the first also hashes the rest of the file, and every
      // later one takes back what the earlier ones hold (take-back.ts).
      const jobs: ShardJob[] = ranges.map((range, k) => ({ range, claim: null, hash: k === 0, hashToEnd: k === 0, takeBack: k > 0 }));
      const results = await runJobs(plan, jobs, opts.onProgress);
      if (results !== null) return { states: results.map((r) => r.state), sha256: results[0].sha256! };
    }
  }
  const { state, sha256 } = await runShardJob(plan, { range: whole, claim: null, hash: !plan.gzip }, opts.onProgress);
  return { states: [state], sha256: sha256 ?? (await dump.sha256()) };
}

/** The general reader (dump.ts): any line ends, quoted fields over a few lines, and so on. */
async function readGeneral(prepared: PreparedTrace, opts: TraceOptions): Promise<{ states: ShardState[]; sha256: string }> {
  const { plan, dump } = prepared;
  const cores = makeCores(plan);
  const view = new StringRowView();
  let rows = 0;
  for await (const { fields } of dump.rows()) {
    rows++;
    view.fields = fields;
    for (const core of cores) core.observe(view);
    if (opts.onProgress && (rows & 0xffff) === 0) opts.onProgress(rows, dump.stats.bytesRead);
  }
  const counters = { rows, rowsRejected: dump.stats.rowsRejected, rejectedExamples: dump.stats.rejectedExamples.map((e) => ({ offset: -1, ...e })) };
  const state = shardState(plan, cores, counters, { start: 0, end: plan.size }, 0, dump.format.encoding);
  return { states: [state], sha256: await dump.sha256() };
}

function resolveWorkers(workers: number | undefined, plan: ShardPlan): number {
  if (workers !== undefined) {
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw new RollmarkError('USAGE', `workers must be an integer from 1 to 256, got ${workers}`);
    }
  }
  // A gzip dump is one stream; a dump whose encoding is not settled yet is read in order.
  if (plan.gzip || plan.dialect.decoding === 'sniffing') return 1;
  if (workers !== undefined) return workers;
  if (plan.size < MIN_PARALLEL_BYTES) return 1;
  return Math.max(1, Math.min(MAX_AUTO_WORKERS, os.availableParallelism()));
}

/**
 * The compiled worker beside this module (`trace-worker.js` beside `index.js`, `.cjs` beside
 * `.cjs`), or null: running from the TypeScript sources (tests) there is none, and the jobs run
 * in the calling thread, one after the other, with the same results.
 */
export function traceWorkerFile(): string | null {
  return compiledWorkerFile('trace-worker');
}

interface WorkerMessage {
  type: 'progress' | 'read' | 'done' | 'error';
  rows?: number;
  bytes?: number;
  records?: ShardRecords[];
  result?: ShardResult;
  error?: { code: string; message: string; file?: string; line?: number; column?: number | string };
}

/** A worker that could not start: the dump is then read in the calling thread. */
class NoWorker extends Error {}

/**
 * Runs claim-free jobs (the first hashing the file, the later ones taking back): in worker threads
 * when the compiled worker is there, else one after the other in this thread, with the same
 * results. Each shard's records go to the next ones as soon as it is read. Null when a worker
 * could not start.
 */
async function runJobs(plan: ShardPlan, jobs: ShardJob[], onProgress?: (rows: number, bytes?: number) => void): Promise<ShardResult[] | null> {
  const file = traceWorkerFile();
  const done: number[] = jobs.map(() => 0);
  const read: number[] = jobs.map(() => 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const report = onProgress ? () => onProgress(sum(done), sum(read)) : undefined;
  const track = (k: number) => (rows: number, bytes?: number) => {
    done[k] = rows;
    read[k] = bytes ?? read[k];
    report?.();
  };
  const union = new EarlierUnion();
  if (file === null) {
    const results: ShardResult[] = [];
    for (let k = 0; k < jobs.length; k++) {
      const run = new ShardRun(plan, jobs[k], report && track(k));
      await run.read();
      await run.hashRest();
      results.push(run.finish(k > 0 ? union.get() : null));
      if (k < jobs.length - 1) union.add(run.records());
    }
    return results;
  }
  const workers: Worker[] = [];
  // Shard k's records, until the union takes them in shard order; then the next shard is sent it.
  const arrived: (ShardRecords[] | undefined)[] = [];
  let next = 1;
  const pump = (): void => {
    while (next < jobs.length && arrived[next - 1] !== undefined) {
      union.add(arrived[next - 1]!);
      arrived[next - 1] = undefined;
      const earlier = union.get().map((e) => ({ seen: e.seen, canaries: [...e.canaries] }));
      // The last shard to be sent the union takes its bitmaps over; the others get copies.
      const last = next === jobs.length - 1;
      workers[next].postMessage({ earlier }, last ? earlier.map((e) => e.seen.buffer as ArrayBuffer) : []);
      next++;
    }
  };
  try {
    return await Promise.all(
      jobs.map(
        (job, k) =>
          new Promise<ShardResult>((resolve, reject) => {
            // Flags for the main script (`--input-type` of `node -e`) make a worker fail to start.
            const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
            const share = k < jobs.length - 1;
            const w = new Worker(file, { workerData: { plan, job, progress: report !== undefined, share }, execArgv });
            workers.push(w);
            let settled = false;
            let started = false;
            w.on('message', (m: WorkerMessage) => {
              started = true;
              if (m.type === 'progress') {
                track(k)(m.rows ?? 0, m.bytes);
              } else if (m.type === 'read') {
                arrived[k] = m.records!;
                pump();
              } else if (m.type === 'done') {
                settled = true;
                resolve(m.result!);
              } else if (m.type === 'error') {
                settled = true;
                const e = m.error!;
                reject(new RollmarkError(e.code as RollmarkError['code'], e.message, { file: e.file, line: e.line, column: e.column }));
              }
            });
            w.on('error', (err) => {
              settled = true;
              reject(!started && !(err instanceof RollmarkError) ? new NoWorker(String(err)) : err);
            });
            w.on('exit', (code) => {
              if (!settled) reject(new RollmarkError('INTERNAL', `trace worker ${k} stopped (exit code ${code})`));
            });
          }),
      ),
    );
  } catch (err) {
    if (err instanceof NoWorker) return null;
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
