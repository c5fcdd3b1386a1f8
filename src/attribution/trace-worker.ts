/**
 * The trace worker thread: runs one shard job (shard-job.ts) and posts its state back. A thin
 * face: the plan and the job come in `workerData`; progress, the shard's records (when later
 * shards need them), and the result go out as messages; a job that takes back what earlier
 * shards hold waits for their records in one message (trace.ts runJobs).
 * Built as its own entry (tsup.config.ts) and started by trace.ts from beside the built module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RollmarkError } from '../errors.js';
import { rehydratePlan, type ShardPlan } from './trace-plan.js';
import { ShardRun, type ShardJob, type ShardResult } from './shard-job.js';
import { EarlierUnion, type EarlierRecords, type ShardRecords } from './take-back.js';

const { plan, job, progress, share } = workerData as { plan: ShardPlan; job: ShardJob; progress: boolean; share: boolean };
const port = parentPort!;

const earlier = new Promise<EarlierRecords[] | null>((resolve) => {
  if (job.takeBack !== true) return resolve(null);
  port.once('message', (m: { earlier: ShardRecords[] }) => {
    const union = new EarlierUnion();
    union.add(m.earlier);
    resolve(union.get());
  });
});

async function run(): Promise<ShardResult> {
  const shard = new ShardRun(rehydratePlan(plan), job, progress ? (rows, bytes) => port.postMessage({ type: 'progress', rows, bytes }) : undefined);
  await shard.read();
  if (share) {
    // The bitmaps move to the main thread (no copy): this shard has no more use for them.
    const records = shard.records();
    port.postMessage({ type: 'read', records }, records.map((r) => r.seen.buffer as ArrayBuffer));
  }
  await shard.hashRest();
  return shard.finish(await earlier);
}

// No top-level await: the CommonJS build has none.
run().then(
  (result) => port.postMessage({ type: 'done', result }),
  (err: unknown) => {
    const e = err instanceof RollmarkError ? err : new RollmarkError('INTERNAL', (err as Error)?.stack ?? String(err));
    port.postMessage({ type: 'error', error: { code: e.code, message: e.message, file: e.file, line: e.line, column: e.column } });
  },
);
