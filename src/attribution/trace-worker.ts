/**
 * The trace worker thread: runs one shard job (shard-job.ts) and posts its state back. A thin
 * face: the plan and the job come in `workerData`, progress and the result go out as messages.
 * Built as its own entry (tsup.config.ts) and started by trace.ts from beside the built module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RollmarkError } from '../errors.js';
import { rehydratePlan, type ShardPlan } from './trace-plan.js';
import { runShardJob, type ShardJob } from './shard-job.js';

const { plan, job, progress } = workerData as { plan: ShardPlan; job: ShardJob; progress: boolean };
const port = parentPort!;

// No top-level await: the CommonJS build has none.
runShardJob(rehydratePlan(plan), job, progress ? (rows, bytes) => port.postMessage({ type: 'progress', rows, bytes }) : undefined).then(
  (result) => port.postMessage({ type: 'done', result }),
  (err: unknown) => {
    const e = err instanceof RollmarkError ? err : new RollmarkError('INTERNAL', (err as Error)?.stack ?? String(err));
    port.postMessage({ type: 'error', error: { code: e.code, message: e.message, file: e.file, line: e.line, column: e.column } });
  },
);
